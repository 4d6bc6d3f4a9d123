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

/// The prefix the composition root mounts the admin router at.
pub const MOUNT: &str = "/admin";

/// Every API route (method, path below [`MOUNT`]) but the document itself.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/clients"),
    ("post", "/api/v1/clients"),
    ("get", "/api/v1/clients/{client_id}"),
    ("put", "/api/v1/clients/{client_id}"),
    ("post", "/api/v1/clients/{client_id}/secret"),
    ("get", "/api/v1/keys"),
    ("post", "/api/v1/keys/rotate"),
    ("get", "/api/v1/policy"),
    ("post", "/api/v1/policy/validate"),
];

/// The document's path below [`MOUNT`].
pub const OPENAPI_PATH: &str = "/api/openapi.json";

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route(OPENAPI_PATH, get(handlers::openapi))
        .route(
            "/api/v1/clients",
            get(handlers::list_clients).post(handlers::create_client),
        )
        .route(
            "/api/v1/clients/{client_id}",
            get(handlers::show_client).put(handlers::update_client),
        )
        .route(
            "/api/v1/clients/{client_id}/secret",
            post(handlers::new_client_secret),
        )
        .route("/api/v1/keys", get(handlers::list_keys))
        .route("/api/v1/keys/rotate", post(handlers::rotate_keys))
        .route("/api/v1/policy", get(handlers::view_policy))
        .route("/api/v1/policy/validate", post(handlers::validate_policy))
}

#[cfg(test)]
mod tests;
