//! Basic OP plan, happy paths: `oidcc-server`, `oidcc-idtoken-signature`,
//! userinfo variants, nonce, state, alternate flows, form_post, per-client ID
//! token algorithms and RFC 9207 `iss`.

use crate::support::jwt::{peek, unix_now};
use crate::support::raw;
use crate::support::rp::{AuthResponse, Request, Rp, walk, walk_from};
use crate::support::{PASSWORD, UserAgent, clients, shared, users};
use openidconnect::core::CoreJwsSigningAlgorithm;
use openidconnect::{Nonce, OAuth2TokenResponse, TokenResponse};
use reqwest::StatusCode;

#[tokio::test]
async fn oidcc_server_code_flow_with_verified_id_token_and_userinfo() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(
            &agent,
            users::ALICE,
            &Request::scopes(&["openid", "profile"]),
        )
        .await;
    assert!(!done.response.form_post);
    assert_eq!(
        done.response.target,
        fixture.client(clients::WEB).redirect_uri
    );
    let claims = &done.claims;
    assert_eq!(claims.issuer().as_str(), fixture.server.issuer);
    assert!(
        claims
            .audiences()
            .iter()
            .any(|aud| aud.as_str() == clients::WEB)
    );
    let now = unix_now() as i64;
    assert!(claims.expiration().timestamp() > now, "exp in the past");
    assert!(
        claims.issue_time().timestamp() <= now + 5,
        "iat in the future"
    );
    let auth_time = claims.auth_time().expect("auth_time").timestamp();
    assert!(
        auth_time <= now + 5 && auth_time > now - 300,
        "implausible auth_time"
    );
    assert!(!claims.subject().as_str().is_empty());
    let (_, payload) = peek(&done.id_token());
    assert!(
        payload["sid"].as_str().is_some_and(|sid| !sid.is_empty()),
        "sid: {payload}"
    );
    assert!(
        payload["amr"].as_array().is_some_and(|amr| !amr.is_empty()),
        "amr: {payload}"
    );
    if let Some(acr) = payload.get("acr") {
        assert!(
            acr.as_str().is_some_and(|acr| !acr.is_empty()),
            "acr must not be empty"
        );
    }
    assert!(done.tokens.expires_in().is_some(), "expires_in missing");
    assert_eq!(
        done.tokens.token_type().as_ref().to_ascii_lowercase(),
        "bearer"
    );
    let userinfo = rp.userinfo(done.tokens.access_token()).await.unwrap();
    assert_eq!(userinfo.subject(), claims.subject());
}

#[tokio::test]
async fn oidcc_server_client_secret_post() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB_POST).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::ALICE, &Request::scopes(&["openid"]))
        .await;
    assert!(rp.userinfo(done.tokens.access_token()).await.is_ok());
}

/// `oidcc-idtoken-signature`: RS256 unless the client registered another
/// algorithm, with a kid found in the JWKS.
#[tokio::test]
async fn oidcc_idtoken_signature_is_rs256_by_default_with_known_kid() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::ALICE, &Request::scopes(&["openid"]))
        .await;
    let (header, _) = peek(&done.id_token());
    assert_eq!(header["alg"], "RS256");
    let kid = header["kid"].as_str().expect("kid in ID token header");
    let jwks = raw::get(fixture, "/jwks", None).await;
    assert!(
        jwks.json["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|key| key["kid"] == kid),
        "kid {kid} not in JWKS"
    );
}

async fn id_token_alg_case(client_id: &str, expected: &str, alg: CoreJwsSigningAlgorithm) {
    let fixture = shared();
    let rp = Rp::new(fixture, client_id).await;
    assert_eq!(rp.id_token_alg(), alg);
    let agent = UserAgent::new(&fixture.server.issuer);
    // login_flow verifies the signature allowing only the registered algorithm.
    let done = rp
        .login_flow(&agent, users::ALICE, &Request::scopes(&["openid"]))
        .await;
    let (header, _) = peek(&done.id_token());
    assert_eq!(header["alg"], expected);
}

#[tokio::test]
async fn id_token_signed_with_es256_for_a_client_registered_for_it() {
    id_token_alg_case(
        clients::ES256,
        "ES256",
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    )
    .await;
}

#[tokio::test]
async fn id_token_signed_with_ps256_for_a_client_registered_for_it() {
    id_token_alg_case(
        clients::PS256,
        "PS256",
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    )
    .await;
}

#[tokio::test]
async fn id_token_signed_with_eddsa_for_a_client_registered_for_it() {
    id_token_alg_case(clients::EDDSA, "EdDSA", CoreJwsSigningAlgorithm::EdDsa).await;
}

async fn logged_in_access_token() -> (String, String) {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::ALICE, &Request::scopes(&["openid", "email"]))
        .await;
    (
        done.access_token(),
        done.claims.subject().as_str().to_owned(),
    )
}

#[tokio::test]
async fn oidcc_userinfo_get() {
    let fixture = shared();
    let (access_token, sub) = logged_in_access_token().await;
    let response = raw::userinfo_get(fixture, &access_token).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.str("sub"), Some(sub.as_str()));
    assert_eq!(response.str("email"), Some("alice@example.test"));
}

#[tokio::test]
async fn oidcc_userinfo_post_header() {
    let fixture = shared();
    let (access_token, sub) = logged_in_access_token().await;
    let response = raw::post(
        fixture,
        "/userinfo",
        &[],
        Some(&format!("Bearer {access_token}")),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.str("sub"), Some(sub.as_str()));
}

#[tokio::test]
async fn oidcc_userinfo_post_body() {
    let fixture = shared();
    let (access_token, sub) = logged_in_access_token().await;
    let response = raw::post(
        fixture,
        "/userinfo",
        &[("access_token", &access_token)],
        None,
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "RFC 6750 2.2: {}",
        response.text
    );
    assert_eq!(response.str("sub"), Some(sub.as_str()));
}

#[tokio::test]
async fn rfc6750_userinfo_without_or_with_bad_token_is_401_with_www_authenticate() {
    let fixture = shared();
    let missing = raw::get(fixture, "/userinfo", None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert!(
        missing
            .header("www-authenticate")
            .is_some_and(|value| value.starts_with("Bearer")),
        "{:?}",
        missing.header("www-authenticate")
    );
    let bad = raw::userinfo_get(fixture, "not-a-token").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(
        bad.header("www-authenticate")
            .is_some_and(|value| value.contains("invalid_token")),
        "RFC 6750 3.1: {:?}",
        bad.header("www-authenticate")
    );
}

/// Removes one query parameter from an authorization URL.
fn without_param(url: &url::Url, name: &str) -> url::Url {
    let mut copy = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != name)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    copy.query_pairs_mut().clear().extend_pairs(pairs);
    copy
}

#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    let url = without_param(&started.url, "nonce");
    let response = walk(&agent, url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    let tokens = rp.redeem(response.code(), None, None).await.unwrap();
    let id_token = tokens.id_token().unwrap();
    let claims = id_token
        .claims(&rp.verifier(), |nonce: Option<&Nonce>| match nonce {
            None => Ok(()),
            Some(value) => Err(format!("unexpected nonce {}", value.secret())),
        })
        .unwrap();
    assert!(claims.nonce().is_none());
}

#[tokio::test]
async fn oidcc_nonce_is_returned_in_the_id_token() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::ALICE, &Request::scopes(&["openid"]))
        .await;
    // login_flow already compared it through the library; check the raw value too.
    let (_, payload) = peek(&done.id_token());
    assert!(
        payload["nonce"]
            .as_str()
            .is_some_and(|nonce| nonce.len() >= 16)
    );
}

/// State is opaque: returned byte for byte, whatever characters it holds.
#[tokio::test]
async fn oidcc_state_with_special_characters_is_returned_unchanged() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    let state = "a b+c/d=e&f?ü~".to_owned() + &"x".repeat(200);
    let mut url = without_param(&started.url, "state");
    url.query_pairs_mut().append_pair("state", &state);
    let response = walk(&agent, url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    assert_eq!(response.get("state"), Some(state.as_str()));
}

#[tokio::test]
async fn oidcc_request_without_state_returns_no_state() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    let url = without_param(&started.url, "state");
    let response = walk(&agent, url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    assert!(response.get("code").is_some());
    assert_eq!(response.get("state"), None);
    assert_eq!(response.get("iss"), Some(fixture.server.issuer.as_str()));
}

/// `oidcc-alternate-happy-flow`: scope order and parameter order do not matter.
#[tokio::test]
async fn oidcc_alternate_happy_flow_reversed_scope_and_parameter_order() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid", "email", "profile"]));
    let mut pairs: Vec<(String, String)> = started
        .url
        .query_pairs()
        .map(|(key, value)| {
            let value = if key == "scope" {
                "profile email openid".to_owned()
            } else {
                value.into_owned()
            };
            (key.into_owned(), value)
        })
        .collect();
    pairs.reverse();
    let mut url = started.url.clone();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let response = walk(&agent, url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    let tokens = rp.redeem(response.code(), None, None).await.unwrap();
    rp.verify(&tokens, &started.nonce);
}

async fn succeeds_with_extra(name: &'static str, value: &str) -> AuthResponse {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let request = Request::scopes(&["openid"]).param(name, value);
    rp.login_flow(&agent, users::ALICE, &request).await.response
}

#[tokio::test]
async fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    succeeds_with_extra("extra", "foobar").await;
}

#[tokio::test]
async fn oidcc_display_page_is_accepted() {
    succeeds_with_extra("display", "page").await;
}

#[tokio::test]
async fn oidcc_display_popup_is_accepted() {
    succeeds_with_extra("display", "popup").await;
}

#[tokio::test]
async fn oidcc_claims_locales_is_accepted() {
    succeeds_with_extra("claims_locales", "se").await;
}

#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let fixture = shared();
    let metadata = raw::get(fixture, "/.well-known/openid-configuration", None).await;
    let advertised: Vec<String> = metadata.json["acr_values_supported"]
        .as_array()
        .map(|values| {
            values
                .iter()
                .filter_map(|value| value.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let requested = if advertised.is_empty() {
        "urn:example:loa:1".to_owned()
    } else {
        advertised.join(" ")
    };
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(
            &agent,
            users::ALICE,
            &Request::scopes(&["openid"]).param("acr_values", requested),
        )
        .await;
    if !advertised.is_empty() {
        let acr = done.claims.auth_context_ref().expect("acr in the ID token");
        assert!(
            advertised.iter().any(|value| value == acr.as_str()),
            "acr {acr:?}"
        );
    }
}

/// `oidcc-ensure-post-request-succeeds`: the authorization endpoint accepts
/// its parameters as a POSTed form (OIDC Core 3.1.2.1).
#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    let fields: Vec<(String, String)> = started
        .url
        .query_pairs()
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let page = agent
        .post_form(&fixture.server.url("/authorize"), &fields)
        .await;
    let response = walk_from(&agent, page, Some((users::ALICE, PASSWORD)))
        .await
        .done();
    assert_eq!(response.get("state"), Some(started.state.secret().as_str()));
    let tokens = rp.redeem(response.code(), None, None).await.unwrap();
    rp.verify(&tokens, &started.nonce);
}

#[tokio::test]
async fn oidcc_ensure_request_with_valid_pkce_succeeds_for_confidential_client() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    rp.login_flow(
        &agent,
        users::ALICE,
        &Request::scopes(&["openid"]).pkce(true),
    )
    .await;
}

/// Form Post OP plan: `response_mode=form_post` answers with an
/// auto-submitting form to the redirect URI, carrying code, state and iss.
#[tokio::test]
async fn oidcc_formpost_response_mode_posts_code_state_and_iss() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]).param("response_mode", "form_post"));
    let response = walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    assert!(response.form_post, "expected a form_post page");
    assert_eq!(response.target, fixture.client(clients::WEB).redirect_uri);
    assert_eq!(response.get("state"), Some(started.state.secret().as_str()));
    assert_eq!(response.get("iss"), Some(fixture.server.issuer.as_str()));
    let tokens = rp.redeem(response.code(), None, None).await.unwrap();
    rp.verify(&tokens, &started.nonce);
}

#[tokio::test]
async fn oidcc_formpost_page_submits_by_script_with_noscript_fallback() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    // Log in first, so the next request answers directly with the form_post page.
    rp.login_flow(&agent, users::ALICE, &Request::scopes(&["openid"]))
        .await;
    let started = rp.start(&Request::scopes(&["openid"]).param("response_mode", "form_post"));
    let page = agent.get(started.url.as_str()).await;
    let mut page = page;
    while page.status.is_redirection() {
        page = agent.get(page.location().unwrap().as_str()).await;
    }
    assert_eq!(page.status, StatusCode::OK, "{}", page.describe());
    let body = page.body.to_ascii_lowercase();
    assert!(
        body.contains("<script"),
        "form_post page without submitting script"
    );
    assert!(
        body.contains("<noscript"),
        "form_post page without <noscript> fallback"
    );
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.action.as_deref() == Some(crate::support::fixture::WEB_REDIRECT))
        .expect("form posting to the redirect URI");
    assert!(form.method.eq_ignore_ascii_case("post"));
    assert!(form.has_field("code") && form.has_field("iss"));
}

/// The auth scheme is case-insensitive (RFC 9110 11.1; FAPI
/// `access-token-type-header-case-sensitivity`).
#[tokio::test]
async fn rfc6750_userinfo_accepts_lowercase_bearer_scheme() {
    let fixture = shared();
    let (access_token, sub) = logged_in_access_token().await;
    let response = raw::get(
        fixture,
        "/userinfo",
        Some(&format!("bearer {access_token}")),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.str("sub"), Some(sub.as_str()));
}

/// FAPI `ensure-authorization-request-with-long-nonce`: a 384-character
/// nonce comes back intact (never truncated).
#[tokio::test]
async fn long_nonce_is_returned_intact() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    let nonce = "n".repeat(384);
    let mut url = without_param(&started.url, "nonce");
    url.query_pairs_mut().append_pair("nonce", &nonce);
    let response = walk(&agent, url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    let tokens = rp.redeem(response.code(), None, None).await.unwrap();
    rp.verify(&tokens, &Nonce::new(nonce));
}
