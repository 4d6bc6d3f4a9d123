//! The admin console: server-rendered, themed pages under `/admin` (R-OP-1).

pub mod views;

use axum::Router;

use crate::state::AdminState;

pub fn routes() -> Router<AdminState> {
    Router::new()
}
