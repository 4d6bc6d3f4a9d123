//! The admin JSON API under `/admin/api`, with its OpenAPI document (R-OP-1).
//!
//! Every route is in [`ROUTES`], which the router is built beside and a test
//! compares with the OpenAPI document and the router. Authentication and
//! errors: [`auth`]. The document: [`schema`].

pub mod auth;
pub mod handlers;
pub mod schema;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AdminState;

/// Every API route (method, path) but the document itself. The admin
/// router is merged into the provider's at the root, so paths are full.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/admin/api/v1/users"),
    ("get", "/admin/api/v1/users/{username}"),
    ("get", "/admin/api/v1/users/{username}/audit"),
    ("post", "/admin/api/v1/users/{username}/unlock"),
    ("post", "/admin/api/v1/users/{username}/reactivate"),
    ("post", "/admin/api/v1/users/{username}/password-reset"),
    ("post", "/admin/api/v1/users/{username}/activation-letter"),
    ("get", "/admin/api/v1/letters"),
    ("get", "/admin/api/v1/outbox"),
    ("get", "/admin/api/v1/clients"),
    ("post", "/admin/api/v1/clients"),
    ("get", "/admin/api/v1/clients/{client_id}"),
    ("put", "/admin/api/v1/clients/{client_id}"),
    ("post", "/admin/api/v1/clients/{client_id}/secret"),
    ("get", "/admin/api/v1/keys"),
    ("post", "/admin/api/v1/keys/rotate"),
    ("get", "/admin/api/v1/policy"),
    ("post", "/admin/api/v1/policy/validate"),
];

/// The document's path.
pub const OPENAPI_PATH: &str = "/admin/api/openapi.json";

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route(OPENAPI_PATH, get(handlers::openapi))
        .route("/admin/api/v1/users", get(handlers::search_users))
        .route("/admin/api/v1/users/{username}", get(handlers::user_detail))
        .route(
            "/admin/api/v1/users/{username}/audit",
            get(handlers::user_audit),
        )
        .route(
            "/admin/api/v1/users/{username}/unlock",
            post(handlers::unlock_user),
        )
        .route(
            "/admin/api/v1/users/{username}/reactivate",
            post(handlers::reactivate_user),
        )
        .route(
            "/admin/api/v1/users/{username}/password-reset",
            post(handlers::trigger_password_reset),
        )
        .route(
            "/admin/api/v1/users/{username}/activation-letter",
            post(handlers::resend_activation_letter),
        )
        .route("/admin/api/v1/letters", get(handlers::pending_letters))
        .route("/admin/api/v1/outbox", get(handlers::outbox_messages))
        .route(
            "/admin/api/v1/clients",
            get(handlers::list_clients).post(handlers::create_client),
        )
        .route(
            "/admin/api/v1/clients/{client_id}",
            get(handlers::show_client).put(handlers::update_client),
        )
        .route(
            "/admin/api/v1/clients/{client_id}/secret",
            post(handlers::new_client_secret),
        )
        .route("/admin/api/v1/keys", get(handlers::list_keys))
        .route("/admin/api/v1/keys/rotate", post(handlers::rotate_keys))
        .route("/admin/api/v1/policy", get(handlers::view_policy))
        .route(
            "/admin/api/v1/policy/validate",
            post(handlers::validate_policy),
        )
}

#[cfg(test)]
mod tests;
