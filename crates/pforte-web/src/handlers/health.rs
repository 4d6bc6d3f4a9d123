//! `/healthz`: the process answers (for load balancers and container checks);
//! `/`: a short page for people who open the provider's address directly (and
//! the demo client's post-logout redirect URI).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::respond;
use crate::state::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Browsers ask for `/favicon.ico` on every page; answer "no icon" instead of
/// rendering the not-found page each time.
pub async fn no_icon() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let locale = respond::locale(&headers, &[]);
    respond::page(
        &state,
        StatusCode::OK,
        "home.html",
        locale,
        &tera::Context::new(),
        None,
    )
}
