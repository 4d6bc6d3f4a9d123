//! The token endpoint (RFC 6749 3.2, 5.1, 5.2).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::form;
use crate::respond::{self, WwwAuthenticate};
use crate::state::AppState;

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = respond::request_id(&headers);
    let params = match form::body_params(&headers, &body) {
        Ok(params) => params,
        Err(error) => return respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    };
    match state
        .oauth
        .token(&params, respond::authorization_header(&headers))
        .await
    {
        Ok(tokens) => respond::json_no_store(StatusCode::OK, &tokens),
        Err(error) => respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    }
}
