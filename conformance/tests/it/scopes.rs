//! `oidcc-scope-profile`, `-email`, `-phone` and `oidcc-claims-essential`:
//! which claims userinfo and the ID token carry (OIDC Core 5.4, 5.5).

use crate::support::jwt::peek;
use crate::support::raw;
use crate::support::rp::{Completed, Request, Rp};
use crate::support::{UserAgent, clients, shared, users};
use reqwest::StatusCode;
use serde_json::Value;

async fn alice_with(request: Request<'_>) -> (Completed, Value) {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp.login_flow(&agent, users::ALICE, &request).await;
    let userinfo = raw::userinfo_get(fixture, &done.access_token()).await;
    assert_eq!(userinfo.status, StatusCode::OK, "{}", userinfo.text);
    (done, userinfo.json)
}

#[tokio::test]
async fn oidcc_scope_openid_alone_returns_only_sub() {
    let (done, userinfo) = alice_with(Request::scopes(&["openid"])).await;
    assert_eq!(userinfo["sub"], done.claims.subject().as_str());
    for claim in [
        "name",
        "given_name",
        "family_name",
        "birthdate",
        "email",
        "email_verified",
        "phone_number",
    ] {
        assert!(
            userinfo.get(claim).is_none(),
            "{claim} without its scope: {userinfo}"
        );
    }
}

#[tokio::test]
async fn oidcc_scope_profile_returns_names() {
    let (_, userinfo) = alice_with(Request::scopes(&["openid", "profile"])).await;
    assert_eq!(userinfo["given_name"], "Alice");
    assert_eq!(userinfo["family_name"], "Adler");
    assert_eq!(userinfo["name"], "Alice Adler");
    // OIDC Core 5.1: `birthdate` belongs to the profile scope (what an ident
    // service built on Pforte vouches for, R-RG-5).
    assert_eq!(userinfo["birthdate"], "1980-04-02");
    assert!(
        userinfo.get("email").is_none(),
        "email without the email scope"
    );
    assert!(userinfo.get("phone_number").is_none());
}

#[tokio::test]
async fn oidcc_scope_email_returns_email_and_verification() {
    let (_, userinfo) = alice_with(Request::scopes(&["openid", "email"])).await;
    assert_eq!(userinfo["email"], "alice@example.test");
    assert_eq!(userinfo["email_verified"], Value::Bool(true));
    assert!(
        userinfo.get("given_name").is_none(),
        "profile claims without the scope"
    );
}

#[tokio::test]
async fn oidcc_scope_phone_returns_phone_number() {
    let (_, userinfo) = alice_with(Request::scopes(&["openid", "phone"])).await;
    assert_eq!(userinfo["phone_number"], "+49301234567");
    assert!(userinfo.get("email").is_none());
}

#[tokio::test]
async fn oidcc_scope_all_returns_every_claim() {
    let (_, userinfo) = alice_with(Request::scopes(&["openid", "profile", "email", "phone"])).await;
    for claim in [
        "name",
        "given_name",
        "family_name",
        "email",
        "email_verified",
        "phone_number",
    ] {
        assert!(userinfo.get(claim).is_some(), "{claim} missing: {userinfo}");
    }
}

/// `oidcc-claims-essential`: `claims` asks for `name` in userinfo without the
/// profile scope.
#[tokio::test]
async fn oidcc_claims_essential_name_in_userinfo() {
    let claims = r#"{"userinfo":{"name":{"essential":true}}}"#;
    let (_, userinfo) = alice_with(Request::scopes(&["openid"]).param("claims", claims)).await;
    assert_eq!(userinfo["name"], "Alice Adler");
}

/// OIDC Core 5.5: a claim requested for the ID token appears there.
#[tokio::test]
async fn oidcc_claims_essential_email_in_id_token() {
    let claims = r#"{"id_token":{"email":{"essential":true}}}"#;
    let (done, _) = alice_with(Request::scopes(&["openid"]).param("claims", claims)).await;
    let (_, payload) = peek(&done.id_token());
    assert_eq!(payload["email"], "alice@example.test", "{payload}");
}

#[tokio::test]
async fn claims_parameter_that_is_not_json_is_rejected() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]).param("claims", "{not json"));
    let walk = crate::support::walk(
        &agent,
        started.url.as_str(),
        Some((users::ALICE, crate::support::PASSWORD)),
    )
    .await;
    match walk {
        crate::support::rp::Walk::Done(response) => {
            assert_eq!(
                response.get("error"),
                Some("invalid_request"),
                "{:?}",
                response.params
            );
            assert!(response.get("code").is_none());
        }
        crate::support::rp::Walk::Stuck { page } => {
            assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.describe());
        }
    }
}
