//! The policy screen (R-OP-1): the active policy, and for a security admin a
//! form to check a pasted policy; nothing is activated.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::dashboard::base_context;
use super::render;
use super::session::{self, CurrentOperator};
use super::views;
use crate::state::AdminState;
use crate::usecases::policies::{self, PolicyCheck};

#[derive(Debug, serde::Deserialize)]
pub struct ValidateForm {
    csrf_token: Option<String>,
    #[serde(default)]
    policy_text: String,
}

/// `GET /admin/policies`.
pub async fn show(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
) -> Response {
    page(&state, &current, &headers, None, None)
}

/// `POST /admin/policies/validate`.
pub async fn validate(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Form(form): Form<ValidateForm>,
) -> Response {
    if !current.check_csrf(form.csrf_token.as_deref()) {
        return session::csrf_refused();
    }
    match policies::validate_policy(&current.operator, &form.policy_text) {
        Ok(check) => page(
            &state,
            &current,
            &headers,
            Some(&check),
            Some(&form.policy_text),
        ),
        Err(error) => render::admin_error(&state, &headers, &error),
    }
}

fn page(
    state: &AdminState,
    current: &CurrentOperator,
    headers: &HeaderMap,
    check: Option<&PolicyCheck>,
    uploaded: Option<&str>,
) -> Response {
    match policies::view_policy(state, &current.operator) {
        Ok(policy) => {
            let mut context = base_context(state, current);
            context.extend(views::policies_context(
                &current.operator,
                current.csrf_token(),
                &policy,
                check,
                uploaded,
            ));
            render::page(state, headers, StatusCode::OK, "policies.html", &context)
        }
        Err(error) => render::admin_error(state, headers, &error),
    }
}
