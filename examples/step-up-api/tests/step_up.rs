//! The example API end to end: started on port 0 against a fake issuer (also on
//! port 0) that serves discovery and the JWKS of a P-256 key made here; tokens
//! are signed with that key and the API's answers are checked header by header.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::Generate;
use pforte_example_step_up_api::build;
use pforte_example_step_up_api::config::Config;
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::net::TcpListener;

/// The fixed time of the API's clock.
const NOW: i64 = 1_800_000_000;
const AUDIENCE: &str = "portal";
const KID: &str = "test-es256";

struct Fixture {
    issuer: String,
    api: String,
    key: SigningKey,
    http: reqwest::Client,
}

async fn serve(router: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// A stand-in for Pforte: discovery with levels low → high and one ES256 key
/// (next to an RSA key the API must skip).
async fn fake_issuer(key: &SigningKey) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let point = key.verifying_key().to_sec1_point(false);
    let bytes = point.as_bytes();
    let jwks = json!({"keys": [
        {"kty": "RSA", "kid": "rsa", "use": "sig", "alg": "RS256", "n": "AQAB", "e": "AQAB"},
        {
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": KID,
            "x": URL_SAFE_NO_PAD.encode(&bytes[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&bytes[33..65]),
        },
    ]});
    let discovery = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/jwks"),
        "authorization_endpoint": format!("{issuer}/authorize"),
        "acr_values_supported": ["loa-low", "loa-substantial", "loa-high"],
    });
    let router = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || async move { axum::Json(discovery) }),
        )
        .route(
            "/jwks",
            axum::routing::get(move || async move { axum::Json(jwks) }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    issuer
}

async fn start() -> Fixture {
    let key = SigningKey::generate_from_rng(&mut rand::rng());
    let issuer = fake_issuer(&key).await;
    let config = Config::from_lookup(|name| match name {
        "PFORTE_ISSUER" => Some(issuer.clone()),
        "EXAMPLE_AUDIENCE" => Some(AUDIENCE.to_owned()),
        _ => None,
    })
    .unwrap();
    let router = build(&config, Arc::new(|| NOW)).await.unwrap();
    let api = serve(router).await;
    Fixture {
        issuer,
        api,
        key,
        http: reqwest::Client::new(),
    }
}

impl Fixture {
    /// An access token as Pforte mints it (RFC 9068), for a user who logged
    /// in at `acr` `age` seconds ago.
    fn token(&self, key: &SigningKey, acr: &str, amr: &[&str], age: i64) -> String {
        let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": KID});
        let claims = json!({
            "iss": self.issuer,
            "sub": "acct-erika",
            "aud": [AUDIENCE, format!("{}/userinfo", self.issuer)],
            "client_id": AUDIENCE,
            "iat": NOW - 5,
            "exp": NOW + 600,
            "jti": "jti-1",
            "scope": "openid profile",
            "acr": acr,
            "amr": amr,
            "auth_time": NOW - age,
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Option<String>, Value) {
        let mut request = self.http.get(format!("{}{path}", self.api));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let challenge = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .map(|value| value.to_str().unwrap().to_owned());
        (status, challenge, response.json().await.unwrap())
    }
}

#[tokio::test]
async fn rfc_6750_no_token_gets_a_bare_bearer_challenge() {
    let fixture = start().await;
    for path in ["/api/profile", "/api/health-documents"] {
        let (status, challenge, _) = fixture.get(path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(challenge.as_deref(), Some("Bearer"), "{path}");
    }
}

#[tokio::test]
async fn rfc_6750_bad_token_gets_invalid_token() {
    let fixture = start().await;
    let stranger = SigningKey::generate_from_rng(&mut rand::rng());
    let forged = fixture.token(&stranger, "loa-high", &["hwk", "pwd", "mfa"], 0);
    for token in [forged.as_str(), "not-a-jwt"] {
        let (status, challenge, body) = fixture.get("/api/health-documents", Some(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let challenge = challenge.unwrap();
        assert!(
            challenge.starts_with(r#"Bearer error="invalid_token", error_description=""#),
            "{challenge}"
        );
        assert_eq!(body["error"], "invalid_token");
    }
}

#[tokio::test]
async fn r_ac_3_profile_accepts_every_level() {
    let fixture = start().await;
    let token = fixture.token(&fixture.key, "loa-low", &["pwd"], 3600);
    let (status, challenge, body) = fixture.get("/api/profile", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(challenge, None);
    assert_eq!(body["subject"], "acct-erika");
    assert_eq!(body["token"]["amr"], json!(["pwd"]));
}

#[tokio::test]
async fn rfc_9470_loa_low_token_is_asked_for_loa_substantial() {
    let fixture = start().await;
    let token = fixture.token(&fixture.key, "loa-low", &["pwd"], 10);
    let (status, challenge, body) = fixture.get("/api/health-documents", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge.as_deref(),
        Some(
            r#"Bearer error="insufficient_user_authentication", error_description="authentication at level loa-substantial is required", acr_values="loa-substantial""#
        )
    );
    assert_eq!(body["error"], "insufficient_user_authentication");
}

#[tokio::test]
async fn rfc_9470_old_authentication_is_asked_for_max_age() {
    let fixture = start().await;
    let token = fixture.token(&fixture.key, "loa-substantial", &["otp", "pwd", "mfa"], 301);
    let (status, challenge, _) = fixture.get("/api/health-documents", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge.as_deref(),
        Some(
            r#"Bearer error="insufficient_user_authentication", error_description="a new authentication within the last 300 seconds is required", acr_values="loa-substantial", max_age="300""#
        )
    );
}

#[tokio::test]
async fn r_ac_3_fresh_loa_substantial_token_opens_health_documents() {
    let fixture = start().await;
    let token = fixture.token(&fixture.key, "loa-substantial", &["otp", "pwd", "mfa"], 30);
    let (status, challenge, body) = fixture.get("/api/health-documents", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(challenge, None);
    assert_eq!(body["acr"], "loa-substantial");
    assert_eq!(body["documents"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn r_ac_3_unknown_required_level_stops_the_start() {
    let key = SigningKey::generate_from_rng(&mut rand::rng());
    let issuer = fake_issuer(&key).await;
    let config = Config::from_lookup(|name| match name {
        "PFORTE_ISSUER" => Some(issuer.clone()),
        "EXAMPLE_REQUIRED_ACR" => Some("gematik-ehealth-loa-substantial".to_owned()),
        _ => None,
    })
    .unwrap();
    let error = build(&config, Arc::new(|| NOW)).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("gematik-ehealth-loa-substantial"),
        "{error}"
    );
}
