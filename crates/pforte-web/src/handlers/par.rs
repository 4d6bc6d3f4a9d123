//! Pushed authorization requests (RFC 9126 2.1): `201 Created` with the
//! `request_uri`, errors as at the token endpoint (RFC 9126 2.3).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::form;
use crate::respond::{self, WwwAuthenticate};
use crate::state::AppState;

pub async fn par(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = respond::request_id(&headers);
    let params = match form::body_params(&headers, &body) {
        Ok(params) => params,
        Err(error) => return respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    };
    match state
        .oauth
        .push_authorization_request(&params, respond::authorization_header(&headers))
        .await
    {
        Ok(created) => respond::json_no_store(StatusCode::CREATED, &created),
        Err(error) => respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    }
}
