//! private_key_jwt (RFC 7523 2.2, 3; OIDC Core 9): the relying party signs
//! its own client assertions. Audience may be the issuer or the token
//! endpoint URL; a jti is accepted once; other keys and audiences fail.

use crate::support::fixture::WEB_REDIRECT;
use crate::support::jwt::{ClientKey, unique, unix_now};
use crate::support::raw::{self, Raw};
use crate::support::rp::{Request, Rp, walk};
use crate::support::{Fixture, PASSWORD, UserAgent, clients, shared, users};
use openidconnect::{AuthorizationCode, OAuth2TokenResponse};
use reqwest::StatusCode;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async fn jwt_code(fixture: &Fixture) -> (Rp, String, openidconnect::Nonce) {
    let rp = Rp::new(fixture, clients::JWT).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    let response = walk(&agent, started.url.as_str(), Some((users::DAVE, PASSWORD)))
        .await
        .done();
    (rp, response.code().to_owned(), started.nonce)
}

async fn redeem_with_assertion(fixture: &Fixture, code: &str, assertion: &str) -> Raw {
    raw::post(
        fixture,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", WEB_REDIRECT),
            ("client_id", clients::JWT),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ],
        None,
    )
    .await
}

fn assert_invalid_client(response: &Raw) {
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_client"));
}

/// The whole flow through the RP library, the assertion added as extra
/// parameters, `aud` = issuer (`oidcc-ensure-client-assertion-with-iss-aud-succeeds`).
#[tokio::test]
async fn oidcc_private_key_jwt_with_issuer_audience_through_the_rp_library() {
    let fixture = shared();
    let (rp, code, nonce) = jwt_code(fixture).await;
    let assertion =
        fixture
            .client_key
            .client_assertion(clients::JWT, &fixture.server.issuer, &unique("jti"));
    let tokens = rp
        .client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .add_extra_param("client_assertion_type", ASSERTION_TYPE)
        .add_extra_param("client_assertion", assertion)
        .request_async(&rp.http)
        .await
        .unwrap_or_else(|error| panic!("token request failed: {error:?}"));
    let claims = rp.verify(&tokens, &nonce);
    assert!(
        claims
            .audiences()
            .iter()
            .any(|aud| aud.as_str() == clients::JWT)
    );
    assert!(rp.userinfo(tokens.access_token()).await.is_ok());
}

#[tokio::test]
async fn oidcc_private_key_jwt_with_token_endpoint_audience() {
    let fixture = shared();
    let (_, code, _) = jwt_code(fixture).await;
    let assertion = fixture.client_key.client_assertion(
        clients::JWT,
        &fixture.server.url("/token"),
        &unique("jti"),
    );
    let response = redeem_with_assertion(fixture, &code, &assertion).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
}

#[tokio::test]
async fn rfc7523_replayed_jti_is_rejected() {
    let fixture = shared();
    let assertion =
        fixture
            .client_key
            .client_assertion(clients::JWT, &fixture.server.issuer, &unique("jti"));
    let (_, first_code, _) = jwt_code(fixture).await;
    let first = redeem_with_assertion(fixture, &first_code, &assertion).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let (_, second_code, _) = jwt_code(fixture).await;
    let replay = redeem_with_assertion(fixture, &second_code, &assertion).await;
    assert_invalid_client(&replay);
}

#[tokio::test]
async fn rfc7523_assertion_signed_with_an_unregistered_key_is_rejected() {
    let fixture = shared();
    let (_, code, _) = jwt_code(fixture).await;
    // Same kid as the registered key, different key material.
    let impostor = ClientKey::generate(&fixture.client_key.kid);
    let assertion = impostor.client_assertion(clients::JWT, &fixture.server.issuer, &unique("jti"));
    assert_invalid_client(&redeem_with_assertion(fixture, &code, &assertion).await);
    // The code is still good for the real client.
    let good =
        fixture
            .client_key
            .client_assertion(clients::JWT, &fixture.server.issuer, &unique("jti"));
    let response = redeem_with_assertion(fixture, &code, &good).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
}

#[tokio::test]
async fn rfc7523_assertion_for_another_audience_is_rejected() {
    let fixture = shared();
    let (_, code, _) = jwt_code(fixture).await;
    let assertion = fixture.client_key.client_assertion(
        clients::JWT,
        "https://some-other-provider.example.test",
        &unique("jti"),
    );
    assert_invalid_client(&redeem_with_assertion(fixture, &code, &assertion).await);
}

#[tokio::test]
async fn rfc7523_expired_assertion_is_rejected() {
    let fixture = shared();
    let (_, code, _) = jwt_code(fixture).await;
    let now = unix_now();
    let assertion = fixture.client_key.sign(serde_json::json!({
        "iss": clients::JWT,
        "sub": clients::JWT,
        "aud": fixture.server.issuer,
        "jti": unique("jti"),
        "iat": now - 600,
        "exp": now - 300,
    }));
    assert_invalid_client(&redeem_with_assertion(fixture, &code, &assertion).await);
}

#[tokio::test]
async fn rfc7523_assertion_without_jti_or_with_wrong_subject_is_rejected() {
    let fixture = shared();
    let (_, code, _) = jwt_code(fixture).await;
    let now = unix_now();
    let without_jti = fixture.client_key.sign(serde_json::json!({
        "iss": clients::JWT,
        "sub": clients::JWT,
        "aud": fixture.server.issuer,
        "iat": now,
        "exp": now + 60,
    }));
    assert_invalid_client(&redeem_with_assertion(fixture, &code, &without_jti).await);
    let wrong_subject = fixture.client_key.sign(serde_json::json!({
        "iss": clients::JWT,
        "sub": clients::WEB,
        "aud": fixture.server.issuer,
        "jti": unique("jti"),
        "iat": now,
        "exp": now + 60,
    }));
    assert_invalid_client(&redeem_with_assertion(fixture, &code, &wrong_subject).await);
}

#[tokio::test]
async fn rfc7523_private_key_jwt_client_cannot_use_no_authentication() {
    let fixture = shared();
    let (_, code, _) = jwt_code(fixture).await;
    let response = raw::post(
        fixture,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_REDIRECT),
            ("client_id", clients::JWT),
        ],
        None,
    )
    .await;
    assert_invalid_client(&response);
}
