//! OpenID Connect Discovery 1.0 §4 and RFC 8414 §3 metadata, and the JWKS
//! (RFC 7517 §5): pre-built bytes from the core, cacheable for a short while
//! so that key rotation reaches clients quickly, readable cross-origin by
//! browser-based clients.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

fn public_json(bytes: Bytes) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

pub async fn openid_configuration(State(state): State<AppState>) -> Response {
    public_json(state.oauth.openid_configuration())
}

pub async fn oauth_metadata(State(state): State<AppState>) -> Response {
    public_json(state.oauth.oauth_metadata())
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    public_json(state.oauth.jwks())
}
