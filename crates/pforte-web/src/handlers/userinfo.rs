//! The userinfo endpoint (OIDC Core 5.3): GET with the bearer token in the
//! header, POST with it in the header or the form body (RFC 6750 2.1, 2.2).
//! Errors carry `WWW-Authenticate: Bearer …` (RFC 6750 3).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_oauth::Params;

use crate::form;
use crate::respond::{self, WwwAuthenticate};
use crate::state::AppState;

async fn answer(state: &AppState, headers: &HeaderMap, body: &Params) -> Response {
    let request_id = respond::request_id(headers);
    match state
        .oauth
        .userinfo(respond::authorization_header(headers), body)
        .await
    {
        Ok(claims) => respond::json_no_store(StatusCode::OK, &claims),
        Err(error) => {
            let without_token =
                respond::authorization_header(headers).is_none() && !body.contains("access_token");
            let challenge = if without_token {
                WwwAuthenticate::BearerWithoutError
            } else {
                WwwAuthenticate::Bearer
            };
            respond::oauth_error(&error, &request_id, challenge)
        }
    }
}

pub async fn userinfo_get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(&state, &headers, &Params::default()).await
}

pub async fn userinfo_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match form::body_params(&headers, &body) {
        Ok(params) => answer(&state, &headers, &params).await,
        Err(error) => respond::oauth_error(
            &error,
            &respond::request_id(&headers),
            WwwAuthenticate::Bearer,
        ),
    }
}
