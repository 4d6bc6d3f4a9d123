//! Requests the relying party library cannot or should not send: negative
//! cases, token endpoint details (headers, error bodies), introspection,
//! revocation, PAR and the userinfo variants.

use super::fixture::Fixture;
use super::http::plain_client;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// A response read completely, with the body parsed as JSON when it is.
#[derive(Debug)]
pub struct Raw {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: serde_json::Value,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    }

    /// The RFC 6749 5.2 `error` code.
    pub fn error(&self) -> Option<&str> {
        self.json.get("error").and_then(|value| value.as_str())
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.json.get(name).and_then(|value| value.as_str())
    }
}

/// RFC 6749 2.3.1: form-urlencode id and secret, then Basic.
pub fn basic(client_id: &str, secret: &str) -> String {
    let encode = |value: &str| -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    };
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(client_id), encode(secret)))
    )
}

async fn read(response: reqwest::Response) -> Raw {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Raw {
        status,
        headers,
        text,
        json,
    }
}

/// POSTs a form to `path` on the issuer, optionally with an Authorization
/// header.
pub async fn post(
    fixture: &Fixture,
    path: &str,
    form: &[(&str, &str)],
    authorization: Option<&str>,
) -> Raw {
    let mut request = plain_client().post(fixture.server.url(path)).form(form);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    read(request.send().await.unwrap()).await
}

/// GETs `path` on the issuer with an optional Authorization header.
pub async fn get(fixture: &Fixture, path: &str, authorization: Option<&str>) -> Raw {
    let mut request = plain_client().get(fixture.server.url(path));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    read(request.send().await.unwrap()).await
}

/// Token endpoint with client_secret_basic for a fixture client.
pub async fn token_basic(fixture: &Fixture, client_id: &str, form: &[(&str, &str)]) -> Raw {
    let authorization = basic(client_id, fixture.secret(client_id));
    post(fixture, "/token", form, Some(&authorization)).await
}

/// Introspection (RFC 7662) as the given confidential client.
pub async fn introspect(fixture: &Fixture, client_id: &str, token: &str) -> Raw {
    let authorization = basic(client_id, fixture.secret(client_id));
    post(
        fixture,
        "/introspect",
        &[("token", token)],
        Some(&authorization),
    )
    .await
}

/// Revocation (RFC 7009) as the given confidential client.
pub async fn revoke(fixture: &Fixture, client_id: &str, token: &str) -> Raw {
    let authorization = basic(client_id, fixture.secret(client_id));
    post(
        fixture,
        "/revoke",
        &[("token", token)],
        Some(&authorization),
    )
    .await
}

/// Userinfo with the access token in a Bearer header (GET).
pub async fn userinfo_get(fixture: &Fixture, access_token: &str) -> Raw {
    get(
        fixture,
        "/userinfo",
        Some(&format!("Bearer {access_token}")),
    )
    .await
}

/// Whether introspection says the token is active.
pub async fn is_active(fixture: &Fixture, client_id: &str, token: &str) -> bool {
    let response = introspect(fixture, client_id, token).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    response.json["active"].as_bool().unwrap_or(false)
}

/// GET an absolute URL and parse JSON (for servers other than the shared one).
pub async fn plain_get_json(url: &str) -> serde_json::Value {
    let response = plain_client().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.json().await.unwrap()
}
