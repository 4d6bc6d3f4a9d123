//! The API handlers: each is a thin translation of one use case (R-OP-1).
//! The `#[utoipa::path]` attributes are the OpenAPI document.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::auth::{ApiError, ApiOperator};
use crate::state::AdminState;
use crate::usecases::{clients, keys, letters, outbox, policies, users};

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

/// `?q=`: the text searched in username, e-mail and name.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
}

#[utoipa::path(
    get, path = "/admin/api/v1/users", tag = "users",
    params(SearchQuery),
    responses(
        (status = 200, description = "Matching accounts, at most 50", body = [super::schema::UserSummarySchema]),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 422, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:support"]), ("client_credentials" = ["pforte:admin:auditor"]))
)]
pub async fn search_users(
    State(state): State<AdminState>,
    api: ApiOperator,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let found = users::search_users(&state, &api.operator, &query.q).await?;
    Ok(Json(found).into_response())
}

#[utoipa::path(
    get, path = "/admin/api/v1/users/{username}", tag = "users",
    params(("username" = String, Path, description = "The login name")),
    responses(
        (status = 200, description = "State, lock, factors and sessions", body = super::schema::UserDetailSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:support"]), ("client_credentials" = ["pforte:admin:auditor"]))
)]
pub async fn user_detail(
    State(state): State<AdminState>,
    api: ApiOperator,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let detail = users::user_detail(&state, &api.operator, &username).await?;
    Ok(Json(detail).into_response())
}

#[utoipa::path(
    get, path = "/admin/api/v1/users/{username}/audit", tag = "users",
    params(("username" = String, Path, description = "The login name")),
    responses(
        (status = 200, description = "The newest audit events, newest first", body = [super::schema::TimelineEntrySchema]),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:support"]), ("client_credentials" = ["pforte:admin:auditor"]))
)]
pub async fn user_audit(
    State(state): State<AdminState>,
    api: ApiOperator,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let events = users::user_timeline(&state, &api.operator, &username).await?;
    Ok(Json(events).into_response())
}

#[utoipa::path(
    post, path = "/admin/api/v1/users/{username}/unlock", tag = "users",
    params(("username" = String, Path, description = "The login name")),
    responses(
        (status = 200, description = "changed, unchanged or needs_reactivation", body = super::schema::ChangeSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:support"]), ("client_credentials" = ["pforte:admin:security_admin"]))
)]
pub async fn unlock_user(
    State(state): State<AdminState>,
    api: ApiOperator,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let outcome = users::unlock_user(&state, &api.operator, &username, api.context).await?;
    Ok(Json(serde_json::json!({ "outcome": outcome })).into_response())
}

#[utoipa::path(
    post, path = "/admin/api/v1/users/{username}/reactivate", tag = "users",
    params(("username" = String, Path, description = "The login name")),
    responses(
        (status = 200, description = "changed or unchanged", body = super::schema::ChangeSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:support"]), ("client_credentials" = ["pforte:admin:security_admin"]))
)]
pub async fn reactivate_user(
    State(state): State<AdminState>,
    api: ApiOperator,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let outcome = users::reactivate_user(&state, &api.operator, &username, api.context).await?;
    Ok(Json(serde_json::json!({ "outcome": outcome })).into_response())
}

/// The language of the message the user receives (`?lang=de|en`); German
/// when absent or unknown, like the pages.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct MessageLanguage {
    /// `de` or `en`.
    lang: Option<String>,
}

impl MessageLanguage {
    fn locale(&self) -> &'static str {
        match self.lang.as_deref() {
            Some("en") => "en",
            _ => "de",
        }
    }
}

#[utoipa::path(
    post, path = "/admin/api/v1/users/{username}/password-reset", tag = "users",
    params(("username" = String, Path, description = "The login name"), MessageLanguage),
    responses(
        (status = 200, description = "sent (with its channel) or no_verified_address", body = super::schema::ResetSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:support"]), ("client_credentials" = ["pforte:admin:security_admin"]))
)]
pub async fn trigger_password_reset(
    State(state): State<AdminState>,
    api: ApiOperator,
    Path(username): Path<String>,
    Query(language): Query<MessageLanguage>,
) -> Result<Response, ApiError> {
    let outcome = users::trigger_password_reset(
        &state,
        &api.operator,
        &username,
        language.locale(),
        api.context,
    )
    .await?;
    let body = match outcome {
        users::ResetOutcome::Sent { channel } => {
            serde_json::json!({ "outcome": "sent", "channel": channel })
        }
        users::ResetOutcome::NoVerifiedAddress => {
            serde_json::json!({ "outcome": "no_verified_address" })
        }
    };
    Ok(Json(body).into_response())
}

#[utoipa::path(
    post, path = "/admin/api/v1/users/{username}/activation-letter", tag = "users",
    params(("username" = String, Path, description = "The login name"), MessageLanguage),
    responses(
        (status = 200, description = "queued (with the new code's last day), not_awaiting_activation or no_postal_address", body = super::schema::LetterRequestSchema),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:support"]), ("client_credentials" = ["pforte:admin:security_admin"]))
)]
pub async fn resend_activation_letter(
    State(state): State<AdminState>,
    api: ApiOperator,
    Path(username): Path<String>,
    Query(language): Query<MessageLanguage>,
) -> Result<Response, ApiError> {
    let outcome = users::resend_activation_letter(
        &state,
        &api.operator,
        &username,
        language.locale(),
        api.context,
    )
    .await?;
    let body = match outcome {
        users::LetterOutcome::Queued { valid_until } => {
            serde_json::json!({ "outcome": "queued", "valid_until": valid_until.to_string() })
        }
        users::LetterOutcome::NotAwaitingActivation => {
            serde_json::json!({ "outcome": "not_awaiting_activation" })
        }
        users::LetterOutcome::NoPostalAddress => {
            serde_json::json!({ "outcome": "no_postal_address" })
        }
    };
    Ok(Json(body).into_response())
}

#[utoipa::path(
    get, path = "/admin/api/v1/letters", tag = "letters",
    responses(
        (status = 200, description = "Letters not yet exported, oldest first", body = [super::schema::LetterSchema]),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:support"]), ("client_credentials" = ["pforte:admin:auditor"]))
)]
pub async fn pending_letters(
    State(state): State<AdminState>,
    api: ApiOperator,
) -> Result<Response, ApiError> {
    let pending = letters::pending_letters(&state, &api.operator).await?;
    Ok(Json(pending).into_response())
}

#[utoipa::path(
    get, path = "/admin/api/v1/outbox", tag = "letters",
    responses(
        (status = 200, description = "The newest messages of the development outbox", body = [super::schema::OutboxEntrySchema]),
        (status = 401, body = super::schema::ErrorSchema),
        (status = 403, body = super::schema::ErrorSchema),
        (status = 404, description = "The outbox is not shown on this installation", body = super::schema::ErrorSchema),
    ),
    security(("client_credentials" = ["pforte:admin:support"]))
)]
pub async fn outbox_messages(
    State(state): State<AdminState>,
    api: ApiOperator,
) -> Result<Response, ApiError> {
    let messages = outbox::outbox_messages(&state, &api.operator).await?;
    Ok(Json(messages).into_response())
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
