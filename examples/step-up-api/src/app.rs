//! The HTTP side: two routes, the bearer-token check and the `401` answers.

use crate::challenge::Challenge;
use crate::decision::{Authentication, Decision, Requirement, decide};
use crate::provider::Provider;
use crate::token::{AccessToken, Expected, TokenError, verify};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::sync::Arc;

/// Seconds since the epoch; injected so tests choose the time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
            })
    })
}

/// Everything a request needs.
#[derive(Clone)]
pub struct AppState {
    pub provider: Provider,
    /// The value that must be in `aud`.
    pub audience: String,
    /// What `GET /api/health-documents` needs (R-AC-3).
    pub health_documents: Requirement,
    pub clock: Clock,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/profile", get(profile))
        .route("/api/health-documents", get(health_documents))
        .with_state(Arc::new(state))
}

/// `GET /api/profile`: any valid token, at any level.
async fn profile(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match authenticate(&state, &headers).await {
        Ok(token) => ok(json!({ "subject": token.sub, "token": token })),
        Err(challenge) => unauthorized(&challenge),
    }
}

/// `GET /api/health-documents`: documents with diagnoses, so a recent
/// authentication at the configured level is needed (R-AC-3, RFC 9470 §3).
async fn health_documents(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let token = match authenticate(&state, &headers).await {
        Ok(token) => token,
        Err(challenge) => return unauthorized(&challenge),
    };
    let authentication = Authentication {
        acr: token.acr.as_deref(),
        auth_time: token.auth_time,
    };
    match decide(
        &state.provider.levels,
        &state.health_documents,
        authentication,
        (state.clock)(),
    ) {
        Decision::Allow => ok(json!({
            "subject": token.sub,
            "acr": token.acr,
            "auth_time": token.auth_time,
            "documents": [
                {"date": "2025-11-03", "title": "Arztbrief / Doctor's letter", "diagnosis": "J06.9"},
                {"date": "2026-01-20", "title": "Befund / Findings", "diagnosis": "M54.5"},
            ],
        })),
        Decision::StepUp(step_up) => {
            tracing::info!(sub = %token.sub, acr = ?token.acr, "step-up required");
            unauthorized(&Challenge::StepUp(step_up))
        }
    }
}

/// The bearer token of the `Authorization` header (RFC 6750 §2.1), if any.
/// Another scheme counts as no token.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

/// Verifies the request's token; reloads the provider's keys once when the
/// token names a key we have not seen.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<AccessToken, Challenge> {
    let token = bearer(headers).ok_or(Challenge::NoToken)?;
    let expected = Expected {
        issuer: &state.provider.issuer,
        audience: &state.audience,
        now: (state.clock)(),
    };
    let keys = &state.provider.keys;
    let result = match verify(token, &keys.current(), expected) {
        Err(TokenError::UnknownKey) if keys.reload().await => {
            verify(token, &keys.current(), expected)
        }
        other => other,
    };
    result.map_err(|error| Challenge::InvalidToken(error.description()))
}

fn ok(body: serde_json::Value) -> Response {
    let mut response = Json(body).into_response();
    no_store(&mut response);
    response
}

/// `401` with the challenge in `WWW-Authenticate` and, for people reading the
/// answer with curl, the same facts as OAuth error JSON.
fn unauthorized(challenge: &Challenge) -> Response {
    let body = match challenge.error() {
        Some(error) => json!({"error": error, "error_description": challenge.description()}),
        None => json!({"error_description": challenge.description()}),
    };
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge.header_value()) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    no_store(&mut response);
    response
}

/// Personal data and challenges must not end up in shared caches.
fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6750_bearer_token_extraction() {
        let table = [
            (Some("Bearer abc.def.ghi"), Some("abc.def.ghi")),
            (Some("bearer  abc"), Some("abc")),
            (Some("Basic dXNlcjpwdw=="), None),
            (Some("Bearer "), None),
            (Some("Bearer"), None),
            (None, None),
        ];
        for (header, expected) in table {
            let mut headers = HeaderMap::new();
            if let Some(header) = header {
                headers.insert(AUTHORIZATION, HeaderValue::from_static(header));
            }
            assert_eq!(bearer(&headers), expected, "{header:?}");
        }
    }
}
