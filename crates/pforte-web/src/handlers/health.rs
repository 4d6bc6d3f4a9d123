//! `/healthz`: the process answers (for load balancers and container checks);
//! `/`: a short page for people who open the provider's address directly (and
//! the demo client's post-logout redirect URI).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::respond;
use crate::state::AppState;

pub async fn healthz() -> &'static str {
    "ok"
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
