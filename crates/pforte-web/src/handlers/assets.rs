//! The base style sheet and the scripts (no CDN; DESIGN.md §6). Brand style
//! sheets and logos are served by [`super::theme::brand_asset`].

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::state::AppState;

/// The base theme's style sheet at its unversioned address, cached briefly.
pub async fn stylesheet(State(state): State<AppState>) -> Response {
    let mut response = super::theme::asset(state.pages.stylesheet());
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// The WebAuthn script. Pages link it with its content hash as `?v=`, so a
/// year of caching never serves an old version after a theme change.
pub async fn webauthn_script(State(state): State<AppState>) -> Response {
    super::theme::asset(state.pages.webauthn_script())
}

/// The session countdown script (R-SE-1), cached like the WebAuthn script.
pub async fn session_script(State(state): State<AppState>) -> Response {
    super::theme::asset(state.pages.session_script())
}

/// The live password rules of the registration form (R-RG-1), cached like
/// the other scripts.
pub async fn password_rules_script(State(state): State<AppState>) -> Response {
    super::theme::asset(state.pages.password_rules_script())
}
