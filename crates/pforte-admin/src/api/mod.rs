//! The admin JSON API under `/admin/api`, with its OpenAPI document (R-OP-1).

use axum::Router;

use crate::state::AdminState;

pub fn routes() -> Router<AdminState> {
    Router::new()
}
