//! Every route of the admin console and API, mounted under `/admin` by the
//! composition root.

use axum::Router;

use crate::state::AdminState;

/// The console pages and the JSON API.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .merge(crate::console::routes())
        .merge(crate::api::routes())
        .with_state(state)
}
