//! Introspection (RFC 7662) and revocation (RFC 7009).

use crate::support::raw;
use crate::support::rp::{Completed, Request, Rp};
use crate::support::{UserAgent, clients, shared, users};
use reqwest::StatusCode;
use serde_json::Value;

async fn dave() -> Completed {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    rp.login_flow(&agent, users::DAVE, &Request::scopes(&["openid", "email"]))
        .await
}

#[tokio::test]
async fn rfc7662_active_access_token_is_described() {
    let fixture = shared();
    let done = dave().await;
    let response = raw::introspect(fixture, clients::WEB, &done.access_token()).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let json = &response.json;
    assert_eq!(json["active"], Value::Bool(true));
    assert_eq!(json["client_id"], clients::WEB);
    assert_eq!(json["sub"], done.claims.subject().as_str());
    assert!(
        json["scope"]
            .as_str()
            .is_some_and(|scope| scope.split(' ').any(|s| s == "email"))
    );
    assert!(json["exp"].as_i64().is_some());
    assert_eq!(json["iss"], fixture.server.issuer.as_str());
}

#[tokio::test]
async fn rfc7662_active_refresh_token_is_described() {
    let fixture = shared();
    let done = dave().await;
    let response = raw::introspect(fixture, clients::WEB, &done.refresh_token()).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.json["active"], Value::Bool(true));
    assert_eq!(response.json["client_id"], clients::WEB);
}

#[tokio::test]
async fn rfc7662_unknown_token_is_only_inactive() {
    let fixture = shared();
    let response = raw::introspect(fixture, clients::WEB, "no-such-token").await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(
        response.json,
        serde_json::json!({ "active": false }),
        "RFC 7662 2.2"
    );
}

/// Another client's refresh token is not described to a stranger.
#[tokio::test]
async fn rfc7662_other_clients_refresh_token_is_inactive_for_a_stranger() {
    let fixture = shared();
    let done = dave().await;
    let response = raw::introspect(fixture, clients::OTHER, &done.refresh_token()).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.json["active"], Value::Bool(false));
}

#[tokio::test]
async fn rfc7662_introspection_requires_client_authentication() {
    let fixture = shared();
    let done = dave().await;
    let response = raw::post(
        fixture,
        "/introspect",
        &[("token", &done.access_token())],
        None,
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.text
    );
    assert!(response.str("active").is_none());
    assert!(
        response.json.get("sub").is_none(),
        "introspection leaked to an anonymous caller"
    );
}

/// RFC 7009 2.1: revoking a refresh token also invalidates the access tokens
/// of the same grant.
#[tokio::test]
async fn rfc7009_revoking_the_refresh_token_kills_its_access_token() {
    let fixture = shared();
    let done = dave().await;
    let access_token = done.access_token();
    assert_eq!(
        raw::userinfo_get(fixture, &access_token).await.status,
        StatusCode::OK
    );
    let revoked = raw::revoke(fixture, clients::WEB, &done.refresh_token()).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert!(!raw::is_active(fixture, clients::WEB, &done.refresh_token()).await);
    assert!(!raw::is_active(fixture, clients::WEB, &access_token).await);
    let userinfo = raw::userinfo_get(fixture, &access_token).await;
    assert_eq!(
        userinfo.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        userinfo.text
    );
    let refresh = raw::token_basic(
        fixture,
        clients::WEB,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &done.refresh_token()),
        ],
    )
    .await;
    assert_eq!(refresh.error(), Some("invalid_grant"));
}

#[tokio::test]
async fn rfc7009_revoking_an_unknown_token_is_ok() {
    let fixture = shared();
    let response = raw::revoke(fixture, clients::WEB, "never-issued").await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "RFC 7009 2.2: {}",
        response.text
    );
}

#[tokio::test]
async fn rfc7009_another_client_cannot_revoke_my_token() {
    let fixture = shared();
    let done = dave().await;
    let response = raw::revoke(fixture, clients::OTHER, &done.refresh_token()).await;
    // RFC 7009 2.1: the server refuses or ignores it, but the token stays valid.
    assert!(response.status == StatusCode::OK || response.status == StatusCode::BAD_REQUEST);
    assert!(raw::is_active(fixture, clients::WEB, &done.refresh_token()).await);
}

#[tokio::test]
async fn rfc7009_revocation_requires_client_authentication() {
    let fixture = shared();
    let done = dave().await;
    let response = raw::post(
        fixture,
        "/revoke",
        &[("token", &done.refresh_token())],
        None,
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.text
    );
    assert!(raw::is_active(fixture, clients::WEB, &done.refresh_token()).await);
}

/// RFC 7662 2.1 / RFC 7009 2.1: a wrong `token_type_hint` does not hide the
/// token; the server searches all types.
#[tokio::test]
async fn rfc7662_wrong_token_type_hint_still_finds_the_token() {
    let fixture = shared();
    let done = dave().await;
    let authorization = raw::basic(clients::WEB, fixture.secret(clients::WEB));
    let response = raw::post(
        fixture,
        "/introspect",
        &[
            ("token", &done.access_token()),
            ("token_type_hint", "refresh_token"),
        ],
        Some(&authorization),
    )
    .await;
    assert_eq!(
        response.json["active"],
        Value::Bool(true),
        "{}",
        response.text
    );
    let revoked = raw::post(
        fixture,
        "/revoke",
        &[
            ("token", &done.refresh_token()),
            ("token_type_hint", "access_token"),
        ],
        Some(&authorization),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert!(!raw::is_active(fixture, clients::WEB, &done.refresh_token()).await);
}
