//! The signing key screen (R-OP-1): the keys, and the rotate button for a
//! security admin; the use case checks again.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::clients::CsrfOnly;
use super::dashboard::base_context;
use super::render;
use super::session::{self, CurrentOperator};
use super::views;
use crate::state::AdminState;
use crate::usecases::keys;

/// `GET /admin/keys`.
pub async fn list(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
) -> Response {
    page(&state, &current, &headers, &[]).await
}

/// `POST /admin/keys/rotate`: the list with the new key ids.
pub async fn rotate(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Form(post): Form<CsrfOnly>,
) -> Response {
    if !current.check_csrf(post.csrf_token()) {
        return session::csrf_refused();
    }
    match keys::rotate_keys(&state, &current.operator, current.context.clone()).await {
        Ok(kids) => page(&state, &current, &headers, &kids).await,
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}

async fn page(
    state: &AdminState,
    current: &CurrentOperator,
    headers: &HeaderMap,
    rotated: &[String],
) -> Response {
    match keys::list_keys(state, &current.operator).await {
        Ok(listed) => {
            let mut context = base_context(state, current);
            context.extend(views::keys_context(
                &current.operator,
                current.csrf_token(),
                &listed,
                rotated,
            ));
            render::page(state, headers, StatusCode::OK, "keys.html", &context)
        }
        Err(error) => render::admin_error(state, headers, &error),
    }
}
