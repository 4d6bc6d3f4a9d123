//! Token endpoint (RFC 6749 4.1.3, 5, 6; RFC 9700 4.13/4.14; RFC 9068):
//! client authentication failures, cache headers, code reuse, code binding,
//! refresh rotation with reuse detection, client_credentials.

use crate::support::fixture::{API_SCOPE, WEB_REDIRECT};
use crate::support::jwt::peek;
use crate::support::raw::{self, basic};
use crate::support::rp::{Request, Rp, walk};
use crate::support::{Fixture, PASSWORD, UserAgent, clients, shared, users};
use reqwest::StatusCode;

/// A fresh code for the web client (user dave, whose grants these tests
/// revoke freely).
async fn web_code(fixture: &Fixture) -> String {
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    walk(&agent, started.url.as_str(), Some((users::DAVE, PASSWORD)))
        .await
        .done()
        .code()
        .to_owned()
}

async fn redeem_basic(fixture: &Fixture, client_id: &str, code: &str) -> raw::Raw {
    raw::token_basic(
        fixture,
        client_id,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", WEB_REDIRECT),
        ],
    )
    .await
}

async fn refresh(fixture: &Fixture, client_id: &str, refresh_token: &str) -> raw::Raw {
    raw::token_basic(
        fixture,
        client_id,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

fn assert_no_store(response: &raw::Raw) {
    assert!(
        response
            .header("cache-control")
            .is_some_and(|value| value.contains("no-store")),
        "RFC 6749 5.1 Cache-Control: {:?}",
        response.header("cache-control")
    );
    assert_eq!(
        response.header("pragma").as_deref(),
        Some("no-cache"),
        "RFC 6749 5.1 Pragma"
    );
}

#[tokio::test]
async fn rfc6749_token_response_is_json_and_not_cacheable() {
    let fixture = shared();
    let code = web_code(fixture).await;
    let response = redeem_basic(fixture, clients::WEB, &code).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert!(
        response
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/json"))
    );
    assert_no_store(&response);
    assert!(response.str("access_token").is_some());
    assert!(response.str("id_token").is_some());
    assert!(response.str("refresh_token").is_some());
    assert!(
        response.json["expires_in"]
            .as_u64()
            .is_some_and(|value| value > 0)
    );
    assert!(
        response
            .str("token_type")
            .is_some_and(|value| value.eq_ignore_ascii_case("bearer"))
    );
    let refreshed = refresh(
        fixture,
        clients::WEB,
        response.str("refresh_token").unwrap(),
    )
    .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_no_store(&refreshed);
}

#[tokio::test]
async fn rfc6749_wrong_client_secret_is_401_with_www_authenticate() {
    let fixture = shared();
    let code = web_code(fixture).await;
    let response = raw::post(
        fixture,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_REDIRECT),
        ],
        Some(&basic(
            clients::WEB,
            "this-is-not-the-secret-of-the-web-client",
        )),
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_client"));
    assert!(
        response
            .header("www-authenticate")
            .is_some_and(|value| value.to_ascii_lowercase().starts_with("basic")),
        "RFC 6749 5.2: {:?}",
        response.header("www-authenticate")
    );
    // The failed attempt did not burn the code for the real client.
    let good = redeem_basic(fixture, clients::WEB, &code).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text);
}

#[tokio::test]
async fn rfc6749_unknown_client_is_invalid_client() {
    let fixture = shared();
    let response = raw::post(
        fixture,
        "/token",
        &[("grant_type", "client_credentials")],
        Some(&basic("nobody", "whatever-secret-whatever-secret-123")),
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_client"));
}

#[tokio::test]
async fn rfc6749_client_secret_post_secret_in_body_works_and_wrong_one_fails() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB_POST).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    let response = walk(&agent, started.url.as_str(), Some((users::DAVE, PASSWORD)))
        .await
        .done();
    let secret = fixture.secret(clients::WEB_POST);
    let wrong = raw::post(
        fixture,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", response.code()),
            ("redirect_uri", WEB_REDIRECT),
            ("client_id", clients::WEB_POST),
            ("client_secret", "not-the-secret-not-the-secret-not-it"),
        ],
        None,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);
    assert_eq!(wrong.error(), Some("invalid_client"));
    let good = raw::post(
        fixture,
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", response.code()),
            ("redirect_uri", WEB_REDIRECT),
            ("client_id", clients::WEB_POST),
            ("client_secret", secret),
        ],
        None,
    )
    .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text);
}

/// A client registered for client_secret_post may not switch to basic.
#[tokio::test]
async fn rfc6749_registered_auth_method_is_enforced() {
    let fixture = shared();
    let response = raw::post(
        fixture,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "irrelevant"),
        ],
        Some(&basic(clients::WEB_POST, fixture.secret(clients::WEB_POST))),
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_client"));
}

/// `oidcc-codereuse` / `-30seconds`: the second use fails with invalid_grant,
/// and everything issued from the code is revoked (RFC 6749 4.1.2).
#[tokio::test]
async fn oidcc_codereuse_is_invalid_grant_and_revokes_the_first_tokens() {
    let fixture = shared();
    let code = web_code(fixture).await;
    let first = redeem_basic(fixture, clients::WEB, &code).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let second = redeem_basic(fixture, clients::WEB, &code).await;
    assert_eq!(second.status, StatusCode::BAD_REQUEST, "{}", second.text);
    assert_eq!(second.error(), Some("invalid_grant"));
    let refresh_token = first.str("refresh_token").unwrap();
    let refreshed = refresh(fixture, clients::WEB, refresh_token).await;
    assert_eq!(
        refreshed.error(),
        Some("invalid_grant"),
        "refresh token survived code reuse"
    );
    let access_token = first.str("access_token").unwrap();
    assert!(
        !raw::is_active(fixture, clients::WEB, access_token).await,
        "access token survived code reuse"
    );
    let userinfo = raw::userinfo_get(fixture, access_token).await;
    assert_eq!(userinfo.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rfc6749_code_is_bound_to_its_client() {
    let fixture = shared();
    let code = web_code(fixture).await;
    let stolen = redeem_basic(fixture, clients::OTHER, &code).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST, "{}", stolen.text);
    assert_eq!(stolen.error(), Some("invalid_grant"));
}

#[tokio::test]
async fn rfc6749_code_is_bound_to_its_redirect_uri() {
    let fixture = shared();
    let code = web_code(fixture).await;
    let response = raw::token_basic(
        fixture,
        clients::WEB,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://rp.example.test/other"),
        ],
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_grant"));
}

#[tokio::test]
async fn rfc6749_unknown_code_is_invalid_grant() {
    let fixture = shared();
    let response = redeem_basic(fixture, clients::WEB, "made-up-code").await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_grant"));
}

#[tokio::test]
async fn rfc6749_unsupported_grant_type() {
    let fixture = shared();
    let response = raw::token_basic(
        fixture,
        clients::WEB,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "x"),
        ],
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("unsupported_grant_type"));
}

/// `oidcc-refresh-token` + RFC 9700 4.14.2: every refresh rotates the
/// refresh token; presenting an old one revokes the whole grant.
#[tokio::test]
async fn oidcc_refresh_token_rotation_and_reuse_revokes_the_grant() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::DAVE, &Request::scopes(&["openid"]))
        .await;
    let original = done.refresh_token();
    let first = refresh(fixture, clients::WEB, &original).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let rotated = first
        .str("refresh_token")
        .expect("rotated refresh token")
        .to_owned();
    assert_ne!(rotated, original, "refresh token was not rotated");
    let new_access = first.str("access_token").unwrap().to_owned();
    if let Some(id_token) = first.str("id_token") {
        let (_, payload) = peek(id_token);
        assert_eq!(payload["sub"], done.claims.subject().as_str());
    }
    // Reuse of the old one…
    let reuse = refresh(fixture, clients::WEB, &original).await;
    assert_eq!(reuse.status, StatusCode::BAD_REQUEST, "{}", reuse.text);
    assert_eq!(reuse.error(), Some("invalid_grant"));
    // …revokes the rotated one and its access token too.
    let after = refresh(fixture, clients::WEB, &rotated).await;
    assert_eq!(
        after.error(),
        Some("invalid_grant"),
        "grant not revoked on reuse: {}",
        after.text
    );
    assert!(!raw::is_active(fixture, clients::WEB, &new_access).await);
}

#[tokio::test]
async fn oidcc_refresh_token_is_bound_to_its_client() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::DAVE, &Request::scopes(&["openid"]))
        .await;
    let stolen = refresh(fixture, clients::OTHER, &done.refresh_token()).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST, "{}", stolen.text);
    assert_eq!(stolen.error(), Some("invalid_grant"));
}

#[tokio::test]
async fn rfc6749_refresh_cannot_widen_scope() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::DAVE, &Request::scopes(&["openid"]))
        .await;
    let response = raw::token_basic(
        fixture,
        clients::WEB,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &done.refresh_token()),
            ("scope", "openid email"),
        ],
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "RFC 6749 6: {}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_scope"));
}

#[tokio::test]
async fn rfc6749_client_credentials_issues_only_an_access_token() {
    let fixture = shared();
    let response = raw::token_basic(
        fixture,
        clients::SERVICE,
        &[("grant_type", "client_credentials"), ("scope", API_SCOPE)],
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_no_store(&response);
    assert!(
        response.str("id_token").is_none(),
        "no ID token without a user"
    );
    assert!(response.str("refresh_token").is_none(), "RFC 6749 4.4.3");
    let access_token = response.str("access_token").unwrap();
    let (header, payload) = peek(access_token);
    assert_eq!(header["typ"], "at+jwt", "RFC 9068 2.1");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(payload["iss"], fixture.server.issuer.as_str());
    assert_eq!(payload["client_id"], clients::SERVICE);
    assert!(
        payload["scope"]
            .as_str()
            .is_some_and(|scope| scope.split(' ').any(|s| s == API_SCOPE))
    );
    assert!(payload.get("aud").is_some(), "RFC 9068 2.2 aud");
    assert!(raw::is_active(fixture, clients::SERVICE, access_token).await);
}

#[tokio::test]
async fn rfc6749_client_credentials_refused_for_unregistered_scope_or_grant() {
    let fixture = shared();
    let scope = raw::token_basic(
        fixture,
        clients::SERVICE,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "admin.everything"),
        ],
    )
    .await;
    assert_eq!(scope.status, StatusCode::BAD_REQUEST, "{}", scope.text);
    assert_eq!(scope.error(), Some("invalid_scope"));
    let grant = raw::token_basic(
        fixture,
        clients::WEB,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(grant.status, StatusCode::BAD_REQUEST, "{}", grant.text);
    assert_eq!(grant.error(), Some("unauthorized_client"));
}

/// RFC 9068: the access token from the code flow is a JWT for this user and
/// client, signed by a key in the JWKS.
#[tokio::test]
async fn rfc9068_access_token_is_a_jwt_with_sub_client_and_scope() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::DAVE, &Request::scopes(&["openid", "email"]))
        .await;
    let (header, payload) = peek(&done.access_token());
    assert_eq!(header["typ"], "at+jwt");
    let kid = header["kid"].as_str().unwrap();
    let jwks = raw::get(fixture, "/jwks", None).await;
    assert!(
        jwks.json["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|key| key["kid"] == kid)
    );
    assert_eq!(payload["sub"], done.claims.subject().as_str());
    assert_eq!(payload["client_id"], clients::WEB);
    let scope = payload["scope"].as_str().unwrap();
    assert!(scope.split(' ').any(|s| s == "email"), "{scope}");
    assert!(payload["exp"].as_i64().is_some() && payload["jti"].as_str().is_some());
}

/// `oidcc-refresh-token` scope handling: a refresh may narrow the scope.
#[tokio::test]
async fn oidcc_refresh_token_with_narrower_scope() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::DAVE, &Request::scopes(&["openid", "email"]))
        .await;
    let response = raw::token_basic(
        fixture,
        clients::WEB,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &done.refresh_token()),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let access_token = response.str("access_token").unwrap();
    let userinfo = raw::userinfo_get(fixture, access_token).await;
    assert_eq!(userinfo.status, StatusCode::OK);
    assert!(
        userinfo.json.get("email").is_none(),
        "narrowed scope still releases email"
    );
}

/// FAPI `refresh-token`: refreshing without client authentication fails.
#[tokio::test]
async fn rfc6749_refresh_without_client_authentication_is_rejected() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::DAVE, &Request::scopes(&["openid"]))
        .await;
    let response = raw::post(
        fixture,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &done.refresh_token()),
            ("client_id", clients::WEB),
        ],
        None,
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_client"));
    // The grant is untouched by the failed attempt.
    let good = refresh(fixture, clients::WEB, &done.refresh_token()).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text);
}

#[tokio::test]
async fn rfc6749_get_on_token_endpoint_is_rejected() {
    let fixture = shared();
    let response = raw::get(fixture, "/token?grant_type=client_credentials", None).await;
    assert!(
        response.status == StatusCode::METHOD_NOT_ALLOWED
            || response.status == StatusCode::BAD_REQUEST,
        "{}",
        response.status
    );
}

/// Userinfo serves OpenID access tokens only: a client_credentials token has
/// no user and no `openid` scope.
#[tokio::test]
async fn userinfo_rejects_a_client_credentials_token() {
    let fixture = shared();
    let token = raw::token_basic(
        fixture,
        clients::SERVICE,
        &[("grant_type", "client_credentials"), ("scope", API_SCOPE)],
    )
    .await;
    let access_token = token.str("access_token").unwrap();
    let userinfo = raw::userinfo_get(fixture, access_token).await;
    assert!(
        userinfo.status == StatusCode::UNAUTHORIZED || userinfo.status == StatusCode::FORBIDDEN,
        "{} {}",
        userinfo.status,
        userinfo.text
    );
}

/// RFC 9068 4: the access token's signature verifies with the provider's
/// JWKS (ES256 by default) and the header names the key.
#[tokio::test]
async fn rfc9068_access_token_signature_verifies_with_the_jwks() {
    let fixture = shared();
    let response = raw::token_basic(
        fixture,
        clients::SERVICE,
        &[("grant_type", "client_credentials"), ("scope", API_SCOPE)],
    )
    .await;
    let access_token = response.str("access_token").unwrap();
    let (header, _) = peek(access_token);
    let kid = header["kid"].as_str().unwrap();
    let jwks = raw::get(fixture, "/jwks", None).await;
    let key = jwks.json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == kid)
        .expect("access token kid in the JWKS")
        .clone();
    let serde_json::Value::Object(map) = key else {
        panic!("JWK is not an object");
    };
    let jwk = josekit::jwk::Jwk::from_map(map).unwrap();
    let verifier = josekit::jws::ES256.verifier_from_jwk(&jwk).unwrap();
    let (payload, _) = josekit::jwt::decode_with_verifier(access_token, &verifier)
        .unwrap_or_else(|error| panic!("access token signature invalid: {error}"));
    assert_eq!(payload.issuer(), Some(fixture.server.issuer.as_str()));
    // A flipped payload byte breaks the signature.
    let mut parts: Vec<String> = access_token.split('.').map(str::to_owned).collect();
    let mut payload_chars: Vec<char> = parts[1].chars().collect();
    payload_chars[10] = if payload_chars[10] == 'A' { 'B' } else { 'A' };
    parts[1] = payload_chars.into_iter().collect();
    let tampered = parts.join(".");
    assert!(josekit::jwt::decode_with_verifier(&tampered, &verifier).is_err());
    assert!(!raw::is_active(fixture, clients::SERVICE, &tampered).await);
}

/// RFC 6749 4.1.3: the redirect_uri of the authorization request is
/// required at the token endpoint.
#[tokio::test]
async fn rfc6749_code_redeemed_without_redirect_uri_is_rejected() {
    let fixture = shared();
    let code = web_code(fixture).await;
    let response = raw::token_basic(
        fixture,
        clients::WEB,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    assert!(
        matches!(response.error(), Some("invalid_grant" | "invalid_request")),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn rfc6749_token_errors_are_json_and_not_cacheable() {
    let fixture = shared();
    let response = redeem_basic(fixture, clients::WEB, "no-such-code").await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(
        response
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/json")),
        "RFC 6749 5.2"
    );
    assert_no_store(&response);
    if let Some(description) = response.str("error_description") {
        assert!(
            description
                .chars()
                .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'),
            "RFC 6749 5.2 error_description charset: {description:?}"
        );
    }
}

/// The token endpoint takes form-encoded bodies (RFC 6749 4.1.3); a JSON
/// body is a client error, never a server error.
#[tokio::test]
async fn rfc6749_json_body_at_the_token_endpoint_is_a_client_error() {
    let fixture = shared();
    let response = crate::support::http::plain_client()
        .post(fixture.server.url("/token"))
        .header(
            "authorization",
            basic(clients::SERVICE, fixture.secret(clients::SERVICE)),
        )
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
}
