//! Token introspection (RFC 7662 2): the client authenticates, the answer is
//! JSON that must not be cached.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::form;
use crate::respond::{self, WwwAuthenticate};
use crate::state::AppState;

pub async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = respond::request_id(&headers);
    let params = match form::body_params(&headers, &body) {
        Ok(params) => params,
        Err(error) => return respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    };
    match state
        .oauth
        .introspect(&params, respond::authorization_header(&headers))
        .await
    {
        Ok(answer) => respond::json_no_store(StatusCode::OK, &answer),
        Err(error) => respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    }
}
