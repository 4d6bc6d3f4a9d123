#![allow(clippy::unwrap_used)]

use super::*;
use axum::Form;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use chrono::Utc;
use pforte_crypto::{SigningAlg, SigningKey};
use pforte_types::SystemClock;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

/// An upstream OpenID provider on port 0: discovery, JWKS, a token endpoint
/// that checks the client's Basic credentials and the PKCE verifier, and a
/// userinfo endpoint. The ID token leaves `birthdate` to userinfo.
struct Upstream {
    issuer: String,
    key: SigningKey,
    /// The code challenge and nonce the test expects at the token endpoint.
    expected: Mutex<Option<(String, String)>>,
}

async fn upstream() -> Arc<Upstream> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let upstream = Arc::new(Upstream {
        issuer: issuer.clone(),
        key: SigningKey::generate(SigningAlg::ES256, "up-1".into()).unwrap(),
        expected: Mutex::new(None),
    });
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
    });
    let jwks = json!({"keys": [upstream.key.public_jwk()]});
    let token_state = upstream.clone();
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(discovery) }),
        )
        .route("/jwks", get(move || async move { axum::Json(jwks) }))
        .route(
            "/token",
            post(
                move |headers: HeaderMap, Form(form): Form<HashMap<String, String>>| {
                    let upstream = token_state.clone();
                    async move { upstream.token(&headers, &form) }
                },
            ),
        )
        .route(
            "/userinfo",
            get(|headers: HeaderMap| async move {
                if headers.get("authorization").unwrap() != "Bearer at-1" {
                    return (StatusCode::UNAUTHORIZED, axum::Json(json!({})));
                }
                (
                    StatusCode::OK,
                    axum::Json(json!({"sub": "person-9", "birthdate": "1980-04-02"})),
                )
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    upstream
}

impl Upstream {
    fn token(
        &self,
        headers: &HeaderMap,
        form: &HashMap<String, String>,
    ) -> (StatusCode, axum::Json<Value>) {
        let refuse = |error: &str| (StatusCode::BAD_REQUEST, axum::Json(json!({"error": error})));
        // RFC 6749 2.3.1: "pforte:se cret" form-urlencoded is "pforte:se+cret".
        let basic = format!("Basic {}", STANDARD.encode("pforte:se+cret"));
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
            return refuse("invalid_client");
        }
        let Some((challenge, nonce)) = self.expected.lock().unwrap().clone() else {
            return refuse("invalid_grant");
        };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        if form.get("code").map(String::as_str) != Some("code-1")
            || pforte_crypto::random::sha256_b64url(&verifier) != challenge
            || form.get("grant_type").map(String::as_str) != Some("authorization_code")
        {
            return refuse("invalid_grant");
        }
        let now = Utc::now().timestamp();
        let claims = json!({
            "iss": self.issuer, "aud": "pforte", "sub": "person-9",
            "iat": now, "exp": now + 300, "nonce": nonce,
            "given_name": "Erika", "family_name": "Mustermann",
        });
        let id_token = self
            .key
            .sign_json(claims.as_object().unwrap(), Some("JWT"))
            .unwrap();
        (
            StatusCode::OK,
            axum::Json(
                json!({"id_token": id_token, "access_token": "at-1", "token_type": "Bearer"}),
            ),
        )
    }
}

fn service(upstream: &Upstream) -> HttpIdentService {
    let settings = IdentSettings {
        enabled: true,
        issuer: upstream.issuer.clone(),
        client_id: "pforte".into(),
        client_secret: "se cret".into(),
        ..IdentSettings::default()
    };
    HttpIdentService::new(&settings, "http://127.0.0.1:9999", Arc::new(SystemClock)).unwrap()
}

#[tokio::test]
async fn r_rg_5_authorization_request_carries_state_nonce_and_pkce_s256() {
    let upstream = upstream().await;
    let service = service(&upstream);
    let request = IdentRequest {
        state: "st-1".into(),
        nonce: "no-1".into(),
        code_challenge: pforte_crypto::random::sha256_b64url("verifier-1"),
    };
    let url = url::Url::parse(&service.authorization_url(&request).await.unwrap()).unwrap();
    assert_eq!(url.path(), "/authorize");
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], "pforte");
    assert_eq!(
        query["redirect_uri"],
        "http://127.0.0.1:9999/ident/callback"
    );
    assert_eq!(query["scope"], "openid profile");
    assert_eq!(query["state"], "st-1");
    assert_eq!(query["nonce"], "no-1");
    assert_eq!(query["code_challenge"], request.code_challenge);
    assert_eq!(query["code_challenge_method"], "S256");
}

#[tokio::test]
async fn r_rg_5_redeem_verifies_the_id_token_and_completes_claims_from_userinfo() {
    let upstream = upstream().await;
    let service = service(&upstream);
    let challenge = pforte_crypto::random::sha256_b64url("verifier-1");
    *upstream.expected.lock().unwrap() = Some((challenge, "no-1".into()));
    let claims = service
        .redeem("code-1", "verifier-1", "no-1")
        .await
        .unwrap();
    assert_eq!(claims.issuer, upstream.issuer);
    assert_eq!(claims.subject, "person-9");
    assert_eq!(claims.given_name.as_deref(), Some("Erika"));
    assert_eq!(claims.birthdate.as_deref(), Some("1980-04-02"));
}

#[tokio::test]
async fn r_rg_5_wrong_verifier_wrong_nonce_and_unreachable_upstream_fail() {
    let upstream = upstream().await;
    let service = service(&upstream);
    let challenge = pforte_crypto::random::sha256_b64url("verifier-1");
    *upstream.expected.lock().unwrap() = Some((challenge, "no-1".into()));
    assert!(matches!(
        service.redeem("code-1", "verifier-2", "no-1").await,
        Err(IdentServiceError::Refused(error)) if error == "invalid_grant"
    ));
    // The upstream put "no-1" into the token; we expected another nonce.
    assert!(matches!(
        service.redeem("code-1", "verifier-1", "no-2").await,
        Err(IdentServiceError::Invalid(id_token::IdTokenError::Nonce))
    ));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = IdentSettings {
        enabled: true,
        issuer: format!("http://{}", listener.local_addr().unwrap()),
        client_id: "pforte".into(),
        client_secret: "x".into(),
        ..IdentSettings::default()
    };
    drop(listener);
    let service =
        HttpIdentService::new(&gone, "http://127.0.0.1:9999", Arc::new(SystemClock)).unwrap();
    let request = IdentRequest {
        state: "s".into(),
        nonce: "n".into(),
        code_challenge: "c".into(),
    };
    assert!(matches!(
        service.authorization_url(&request).await,
        Err(IdentServiceError::Unavailable(_))
    ));
}
