//! The letters and outbox screens (R-OP-1, R-RG-4).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::dashboard::base_context;
use super::render;
use super::session::CurrentOperator;
use crate::state::AdminState;
use crate::usecases::{letters, outbox};

pub const LETTERS_PATH: &str = "/admin/letters";
pub const OUTBOX_PATH: &str = "/admin/outbox";

/// `GET /admin/letters`: letters waiting for the next print batch.
pub async fn letters_get(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
) -> Response {
    match letters::pending_letters(&state, &current.operator).await {
        Ok(pending) => {
            let mut context = base_context(&state, &current);
            context.insert("letters", &pending);
            render::page(&state, &headers, StatusCode::OK, "letters.html", &context)
        }
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}

/// `GET /admin/outbox`: the newest messages of the dev outbox.
pub async fn outbox_get(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
) -> Response {
    match outbox::outbox_messages(&state, &current.operator).await {
        Ok(messages) => {
            let mut context = base_context(&state, &current);
            context.insert("messages", &messages);
            render::page(&state, &headers, StatusCode::OK, "outbox.html", &context)
        }
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}
