//! The one place console pages are rendered: every console template goes
//! through [`page`], so the look (brand and language) is chosen in one spot.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::error::AdminError;
use crate::state::AdminState;

/// The language of a console page: the browser's `Accept-Language`.
fn locale(headers: &HeaderMap) -> &'static str {
    pforte_web::respond::locale(headers, &[])
}

/// Renders `admin/<template>` with the console's look.
pub fn page(
    state: &AdminState,
    headers: &HeaderMap,
    status: StatusCode,
    template: &str,
    context: &tera::Context,
) -> Response {
    // What the layout reads, for pages shown without a console session.
    let mut full = tera::Context::new();
    full.insert("operator_name", &Option::<String>::None);
    full.insert("operator_roles", &Vec::<String>::new());
    full.insert("csrf_token", "");
    full.insert("nav", &Vec::<String>::new());
    full.extend(context.clone());
    pforte_web::respond::page(
        &state.web,
        status,
        &format!("admin/{template}"),
        locale(headers),
        &full,
        None,
    )
}

/// A message of the catalog in the page's language.
pub fn message(state: &AdminState, headers: &HeaderMap, key: &str) -> String {
    state.web.pages.message(locale(headers), key)
}

/// The page for a refused or failed console action: the public code, a
/// message from the catalog and the request id.
pub fn error(
    state: &AdminState,
    headers: &HeaderMap,
    status: StatusCode,
    public_code: &str,
    message_key: &str,
) -> Response {
    let mut context = tera::Context::new();
    context.insert("public_code", public_code);
    context.insert("message_key", message_key);
    context.insert("description", &message(state, headers, message_key));
    context.insert("request_id", &pforte_web::respond::request_id(headers));
    page(state, headers, status, "error.html", &context)
}

/// 403 "no access": the account holds no operator role (R-OP-1).
pub fn no_access(state: &AdminState, headers: &HeaderMap) -> Response {
    error(
        state,
        headers,
        StatusCode::FORBIDDEN,
        "PF-ADMIN-403",
        "admin_error_no_role",
    )
}

/// A store or service failure: logged with the request id, shown as 500.
pub fn internal_error(
    state: &AdminState,
    headers: &HeaderMap,
    detail: &dyn std::fmt::Display,
) -> Response {
    let request_id = pforte_web::respond::request_id(headers);
    tracing::error!(request_id, %detail, "admin console failure");
    error(
        state,
        headers,
        StatusCode::INTERNAL_SERVER_ERROR,
        "PF-ADMIN-500",
        "admin_error_internal",
    )
}

/// The page for an error of a use case.
pub fn admin_error(state: &AdminState, headers: &HeaderMap, error: &AdminError) -> Response {
    match error {
        AdminError::Forbidden(_) => error_page(
            state,
            headers,
            StatusCode::FORBIDDEN,
            error,
            "admin_error_forbidden",
        ),
        AdminError::NotFound(_) => error_page(
            state,
            headers,
            StatusCode::NOT_FOUND,
            error,
            "admin_error_not_found",
        ),
        AdminError::Invalid(_) => error_page(
            state,
            headers,
            StatusCode::BAD_REQUEST,
            error,
            "admin_error_invalid",
        ),
        AdminError::Identity(_) | AdminError::Store(_) => internal_error(state, headers, error),
    }
}

fn error_page(
    state: &AdminState,
    headers: &HeaderMap,
    status: StatusCode,
    error: &AdminError,
    key: &str,
) -> Response {
    tracing::info!(
        request_id = pforte_web::respond::request_id(headers),
        %error,
        "admin action refused"
    );
    self::error(state, headers, status, error.public_code(), key)
}
