//! Health (R-OP-3): `/health/live` says the process answers (restart it when
//! not), `/health/ready` says it can serve requests now (send it traffic), and
//! `/healthz` stays as an alias of `/health/live` for existing probes
//! (docs/operations.md). `/`: a short page for people who open the provider's
//! address directly (and the demo client's post-logout redirect URI).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::respond;
use crate::state::AppState;

/// Liveness: no dependency is asked, so a database outage does not make an
/// orchestrator restart every node at once.
pub async fn live() -> &'static str {
    "ok"
}

/// Readiness: `200 {"status":"ready","checks":{…}}` when every check of
/// [`crate::readiness::Readiness`] passes, else `503` with
/// `"status":"not_ready"` and the state of each check by name.
pub async fn ready(State(state): State<AppState>) -> Response {
    let report = state.readiness.evaluate().await;
    let checks: serde_json::Map<String, serde_json::Value> = report
        .checks
        .iter()
        .map(|(name, check)| {
            (
                (*name).to_owned(),
                serde_json::to_value(check).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    let (status, word) = if report.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    };
    respond::json_no_store(
        status,
        &serde_json::json!({ "status": word, "checks": checks }),
    )
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
    let locale = &respond::look(&state, &headers, &[], None);
    respond::page(
        &state,
        StatusCode::OK,
        "home.html",
        locale,
        &tera::Context::new(),
        None,
    )
}
