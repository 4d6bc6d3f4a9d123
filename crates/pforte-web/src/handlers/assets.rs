//! The theme's style sheet and its scripts (no CDN; DESIGN.md §6).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

pub async fn stylesheet(State(state): State<AppState>) -> Response {
    let mut response = state.pages.stylesheet().to_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// The WebAuthn script. Pages link it with its content hash as `?v=`, so a
/// year of caching never serves an old version after a theme change.
pub async fn webauthn_script(State(state): State<AppState>) -> Response {
    script(state.pages.webauthn_script())
}

/// The session countdown script (R-SE-1), cached like the WebAuthn script.
pub async fn session_script(State(state): State<AppState>) -> Response {
    script(state.pages.session_script())
}

/// The live password rules of the registration form (R-RG-1), cached like
/// the other scripts.
pub async fn password_rules_script(State(state): State<AppState>) -> Response {
    script(state.pages.password_rules_script())
}

fn script(text: &str) -> Response {
    let mut response = text.to_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}
