//! The API handlers: each is a thin translation of one use case (R-OP-1).
//! The `#[utoipa::path]` attributes are the OpenAPI document.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{ApiError, ApiOperator};
use crate::state::AdminState;
use crate::usecases::{clients, keys, policies};

#[utoipa::path(
    get, path = "/admin/api/v1/clients", tag = "clients",
    responses(
        (status = 200, description = "Every client, by id", body = [super::schema::ClientSchema]),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:security_admin"]), ("client_credentials" = ["pforte:admin:auditor"]))
)]
pub async fn list_clients(
    State(state): State<AdminState>,
    api: ApiOperator,
) -> Result<Response, ApiError> {
    let clients = clients::list_clients(&state, &api.operator).await?;
    Ok(Json(clients).into_response())
}

#[utoipa::path(
    post, path = "/admin/api/v1/clients", tag = "clients",
    request_body = super::schema::NewClientSchema,
    responses(
        (status = 201, description = "Registered; a generated secret is in the answer once", body = super::schema::WithSecretSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 422, description = "Every problem, one per line", body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:security_admin"]))
)]
pub async fn create_client(
    State(state): State<AdminState>,
    api: ApiOperator,
    Json(new): Json<clients::NewClient>,
) -> Result<Response, ApiError> {
    let created = clients::create_client(&state, &api.operator, api.context, new).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[utoipa::path(
    get, path = "/admin/api/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path, description = "The client id")),
    responses(
        (status = 200, body = super::schema::ClientSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:security_admin"]), ("client_credentials" = ["pforte:admin:auditor"]))
)]
pub async fn show_client(
    State(state): State<AdminState>,
    api: ApiOperator,
    Path(client_id): Path<String>,
) -> Result<Response, ApiError> {
    let client = clients::show_client(&state, &api.operator, &client_id).await?;
    Ok(Json(client).into_response())
}

#[utoipa::path(
    put, path = "/admin/api/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path, description = "The client id; it cannot change")),
    request_body = super::schema::ClientChangesSchema,
    responses(
        (status = 200, description = "Changed; in force at once", body = super::schema::WithSecretSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, body = super::schema::ErrorSchema),
        (status = 422, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:security_admin"]))
)]
pub async fn update_client(
    State(state): State<AdminState>,
    api: ApiOperator,
    Path(client_id): Path<String>,
    Json(changes): Json<clients::ClientChanges>,
) -> Result<Response, ApiError> {
    let updated =
        clients::update_client(&state, &api.operator, api.context, &client_id, changes).await?;
    Ok(Json(updated).into_response())
}

#[utoipa::path(
    post, path = "/admin/api/v1/clients/{client_id}/secret", tag = "clients",
    params(("client_id" = String, Path, description = "The client id")),
    responses(
        (status = 200, description = "The new secret, shown once; the old one no longer works", body = super::schema::WithSecretSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, body = super::schema::ErrorSchema),
        (status = 422, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:security_admin"]))
)]
pub async fn new_client_secret(
    State(state): State<AdminState>,
    api: ApiOperator,
    Path(client_id): Path<String>,
) -> Result<Response, ApiError> {
    let renewed =
        clients::new_client_secret(&state, &api.operator, api.context, &client_id).await?;
    Ok(Json(renewed).into_response())
}

#[utoipa::path(
    get, path = "/admin/api/v1/keys", tag = "keys",
    responses(
        (status = 200, description = "The signing keys, newest first", body = [super::schema::KeySchema]),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:security_admin"]), ("client_credentials" = ["pforte:admin:auditor"]))
)]
pub async fn list_keys(
    State(state): State<AdminState>,
    api: ApiOperator,
) -> Result<Response, ApiError> {
    let keys = keys::list_keys(&state, &api.operator).await?;
    Ok(Json(keys).into_response())
}

#[utoipa::path(
    post, path = "/admin/api/v1/keys/rotate", tag = "keys",
    responses(
        (status = 200, description = "New keys sign from now on", body = super::schema::RotatedSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:security_admin"]))
)]
pub async fn rotate_keys(
    State(state): State<AdminState>,
    api: ApiOperator,
) -> Result<Response, ApiError> {
    let kids = keys::rotate_keys(&state, &api.operator, api.context).await?;
    Ok(Json(serde_json::json!({ "kids": kids })).into_response())
}

#[utoipa::path(
    get, path = "/admin/api/v1/policy", tag = "policies",
    responses(
        (status = 200, description = "The policy in force", body = super::schema::ActivePolicySchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:security_admin"]), ("client_credentials" = ["pforte:admin:auditor"]))
)]
pub async fn view_policy(
    State(state): State<AdminState>,
    api: ApiOperator,
) -> Result<Response, ApiError> {
    let policy = policies::view_policy(&state, &api.operator)?;
    Ok(Json(policy).into_response())
}

#[utoipa::path(
    post, path = "/admin/api/v1/policy/validate", tag = "policies",
    request_body(content = String, content_type = "application/toml", description = "A policy file"),
    responses(
        (status = 200, description = "Every problem, or the summary of a valid policy; nothing is activated", body = super::schema::PolicyCheckSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:security_admin"]))
)]
pub async fn validate_policy(api: ApiOperator, body: String) -> Result<Response, ApiError> {
    let check = policies::validate_policy(&api.operator, &body)?;
    Ok(Json(check).into_response())
}

/// `/admin/api/openapi.json`: public, like a discovery document.
pub async fn openapi(State(state): State<AdminState>) -> Response {
    let token_endpoint = state
        .web
        .oauth
        .config()
        .endpoint(pforte_oauth::config::paths::TOKEN);
    Json(super::schema::document(&token_endpoint)).into_response()
}
