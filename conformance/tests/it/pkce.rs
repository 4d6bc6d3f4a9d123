//! RFC 7636 (S256 only, mandatory for public clients, downgrade rejected) and
//! RFC 8252 7.3 (native loopback redirect on any port).

use crate::support::raw;
use crate::support::rp::{Request, Rp, walk};
use crate::support::server::free_port;
use crate::support::{PASSWORD, UserAgent, clients, shared, users};
use openidconnect::{OAuth2TokenResponse, PkceCodeVerifier};
use reqwest::StatusCode;

fn loopback(port: u16) -> String {
    format!("http://127.0.0.1:{port}/callback")
}

#[tokio::test]
async fn rfc8252_native_client_loopback_redirect_on_any_port_with_pkce() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let redirect = loopback(free_port());
    let done = rp
        .login_flow(
            &agent,
            users::ALICE,
            &Request::scopes(&["openid"]).redirect_uri(&redirect),
        )
        .await;
    assert_eq!(done.response.target, redirect);
    assert!(rp.userinfo(done.tokens.access_token()).await.is_ok());
}

#[tokio::test]
async fn rfc8252_native_client_registered_loopback_without_port_works() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    rp.login_flow(&agent, users::ALICE, &Request::scopes(&["openid"]))
        .await;
}

#[tokio::test]
async fn rfc8252_native_loopback_with_other_path_shows_error_page() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(
        &Request::scopes(&["openid"])
            .redirect_uri(format!("http://127.0.0.1:{}/elsewhere", free_port())),
    );
    let page = agent.get(started.url.as_str()).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.describe());
    assert!(page.header("location").is_none());
}

/// The any-port rule is for loopback IPs of native clients only: a web
/// client's registered URI must match exactly, port included.
#[tokio::test]
async fn rfc8252_any_port_does_not_apply_to_web_clients() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(
        &Request::scopes(&["openid"])
            .redirect_uri(format!("https://rp.example.test:{}/callback", free_port())),
    );
    let page = agent.get(started.url.as_str()).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.describe());
}

#[tokio::test]
async fn rfc7636_public_client_without_pkce_is_rejected() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]).pkce(false));
    let response = walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    assert_eq!(
        response.get("error"),
        Some("invalid_request"),
        "{:?}",
        response.params
    );
    assert!(response.get("code").is_none());
    assert_eq!(response.get("iss"), Some(fixture.server.issuer.as_str()));
}

#[tokio::test]
async fn rfc7636_plain_challenge_is_rejected() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(
        &Request::scopes(&["openid"])
            .pkce(false)
            .param("code_challenge", "x".repeat(50))
            .param("code_challenge_method", "plain"),
    );
    let response = walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    assert_eq!(
        response.get("error"),
        Some("invalid_request"),
        "{:?}",
        response.params
    );
    assert!(response.get("code").is_none());
}

#[tokio::test]
async fn rfc7636_challenge_without_method_is_rejected_as_plain() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(
        &Request::scopes(&["openid"])
            .pkce(false)
            .param("code_challenge", "y".repeat(50)),
    );
    let response = walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    assert_eq!(
        response.get("error"),
        Some("invalid_request"),
        "{:?}",
        response.params
    );
}

async fn native_code() -> (Rp, String, PkceCodeVerifier) {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    let response = walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    (rp, response.code().to_owned(), started.verifier.unwrap())
}

#[tokio::test]
async fn rfc7636_wrong_verifier_is_rejected() {
    let (rp, code, _) = native_code().await;
    let wrong = PkceCodeVerifier::new("w".repeat(64));
    let error = rp.redeem(&code, Some(wrong), None).await.unwrap_err();
    assert!(error.contains("invalid_grant"), "{error}");
}

#[tokio::test]
async fn rfc7636_missing_verifier_is_rejected() {
    let (rp, code, _) = native_code().await;
    let error = rp.redeem(&code, None, None).await.unwrap_err();
    assert!(
        error.contains("invalid_grant") || error.contains("invalid_request"),
        "{error}"
    );
}

#[tokio::test]
async fn rfc7636_correct_verifier_after_failed_attempt_does_not_work() {
    // A failed redemption must not leave the code usable for a second guess.
    let (rp, code, verifier) = native_code().await;
    let wrong = PkceCodeVerifier::new("z".repeat(64));
    assert!(rp.redeem(&code, Some(wrong), None).await.is_err());
    let error = rp.redeem(&code, Some(verifier), None).await.unwrap_err();
    assert!(error.contains("invalid_grant"), "{error}");
}

/// PKCE downgrade (RFC 9700 4.8.2): a verifier sent for a code that was
/// issued without a challenge is rejected.
#[tokio::test]
async fn rfc7636_verifier_without_challenge_is_rejected() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]).pkce(false));
    let response = walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    let verifier = "v".repeat(64);
    let token = raw::token_basic(
        fixture,
        clients::WEB,
        &[
            ("grant_type", "authorization_code"),
            ("code", response.code()),
            ("redirect_uri", crate::support::fixture::WEB_REDIRECT),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(token.status, StatusCode::BAD_REQUEST, "{}", token.text);
    assert_eq!(token.error(), Some("invalid_grant"));
}

#[tokio::test]
async fn rfc8252_native_code_redeemed_with_other_port_is_rejected() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let port = free_port();
    let redirect = loopback(port);
    let started = rp.start(&Request::scopes(&["openid"]).redirect_uri(&redirect));
    let response = walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    let other = loopback(if port == u16::MAX { port - 1 } else { port + 1 });
    let error = rp
        .redeem(response.code(), started.verifier, Some(&other))
        .await
        .unwrap_err();
    assert!(error.contains("invalid_grant"), "{error}");
}

/// RFC 7636 4.2: an S256 challenge is the 43-character base64url SHA-256;
/// anything else is malformed.
#[tokio::test]
async fn rfc7636_malformed_s256_challenge_is_rejected() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(
        &Request::scopes(&["openid"])
            .pkce(false)
            .param("code_challenge", "too-short")
            .param("code_challenge_method", "S256"),
    );
    let response = walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    assert_eq!(
        response.get("error"),
        Some("invalid_request"),
        "{:?}",
        response.params
    );
}

/// RFC 7636 4.1: a verifier of fewer than 43 characters is malformed.
#[tokio::test]
async fn rfc7636_too_short_verifier_is_rejected() {
    let (rp, code, _) = native_code().await;
    let error = rp
        .redeem(&code, Some(PkceCodeVerifier::new("short".to_owned())), None)
        .await
        .unwrap_err();
    assert!(
        error.contains("invalid_grant") || error.contains("invalid_request"),
        "{error}"
    );
}
