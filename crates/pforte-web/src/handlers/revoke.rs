//! Token revocation (RFC 7009 2.2): 200 with an empty body, also for tokens
//! that are unknown or already invalid.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::form;
use crate::respond::{self, WwwAuthenticate};
use crate::state::AppState;

pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = respond::request_id(&headers);
    let params = match form::body_params(&headers, &body) {
        Ok(params) => params,
        Err(error) => return respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    };
    match state
        .oauth
        .revoke(&params, respond::authorization_header(&headers))
        .await
    {
        Ok(()) => respond::empty(StatusCode::OK),
        Err(error) => respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    }
}
