//! `/login/factor`: proving a second factor in a login or step-up (R-MF-1,
//! R-MF-3, R-AC-3). The page asks for the method the planner offers (the
//! user may switch to another enrolled one): a code from the authenticator
//! app, a code sent by SMS or e-mail (sent when the page is first shown,
//! resend throttled), or a recovery code. WebAuthn has its own handler
//! ([`super::webauthn`]).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::IdentityError;
use pforte_identity::flow::{CodeSent, LoginTxn, Next};
use pforte_types::{FactorClass, Method};
use serde::Deserialize;
use std::net::SocketAddr;

use super::flow::{self, Step};
use crate::respond;
use crate::security;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct FactorQuery {
    #[serde(default)]
    pub interaction: String,
}

#[derive(Debug, Default, Deserialize)]
struct FactorForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
    #[serde(default)]
    method: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    action: String,
}

/// What the prove page shows.
struct View<'a> {
    class: FactorClass,
    method: Method,
    methods: &'a [Method],
    sent: Option<&'a CodeSent>,
    error: Option<String>,
}

fn page(state: &AppState, step: &Step, view: &View<'_>) -> Response {
    let mut context = tera::Context::new();
    context.insert("interaction", &step.id);
    context.insert("csrf_token", &step.record.csrf_token);
    context.insert(
        "client_name",
        step.record
            .target
            .client_name
            .as_deref()
            .unwrap_or(&step.record.target.client_id),
    );
    context.insert("class", view.class.as_str());
    context.insert("method", view.method.as_str());
    let others: Vec<&str> = view
        .methods
        .iter()
        .filter(|method| **method != view.method)
        .map(Method::as_str)
        .collect();
    context.insert("other_methods", &others);
    context.insert(
        "destination",
        &view.sent.map(|sent| sent.destination.clone()),
    );
    context.insert("error_message", &view.error);
    context.insert("step_up", &step.txn.step_up);
    context.insert("code_length", &state.identity.assurance().otp.length);
    respond::page(
        state,
        StatusCode::OK,
        "factor.html",
        &step.locale,
        &context,
        Some(security::csp_with_form_target(Some(
            &step.record.pending.redirect_uri,
        ))),
    )
}

/// The method to ask: the user's choice if it is offered, else the first.
fn chosen(txn: &LoginTxn, methods: &[Method]) -> Option<Method> {
    txn.chosen
        .filter(|method| methods.contains(method))
        .or_else(|| methods.first().copied())
}

fn sends_code(method: Method) -> bool {
    matches!(method, Method::SmsTan | Method::EmailCode)
}

pub async fn factor_get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(query): Query<FactorQuery>,
) -> Response {
    let step = match flow::load_step(
        &state,
        &headers,
        peer.map(|Extension(ConnectInfo(address))| address),
        &query.interaction,
        None,
    )
    .await
    {
        Ok(step) => step,
        Err(response) => return response,
    };
    let context = step.context.clone();
    let (class, methods) = match prompt(&state, &step).await {
        Ok(Some(prompt)) => prompt,
        Ok(None) => return step.advance(&state, &headers, step.txn.clone()).await,
        Err(response) => return response,
    };
    let Some(method) = chosen(&step.txn, &methods) else {
        return step.advance(&state, &headers, step.txn.clone()).await;
    };
    if method == Method::Webauthn {
        return respond::see_other(&format!("/login/webauthn?interaction={}", step.id));
    }
    let mut error = None;
    let sent = if sends_code(method) {
        match state
            .identity
            .send_login_code(&step.txn, method, step.locale.locale, &context)
            .await
        {
            Ok(sent) => Some(sent),
            // A code is already on its way; the page just asks for it.
            Err(IdentityError::ResendTooSoon { .. }) => state
                .identity
                .pending_login_code(&step.txn, method)
                .await
                .ok()
                .flatten(),
            Err(IdentityError::Delivery(detail)) => {
                tracing::warn!(request_id = step.request_id, detail, "code not delivered");
                error = Some(state.pages.message(&step.locale, "factor_delivery_failed"));
                None
            }
            Err(other) => {
                return respond::internal_error_page(
                    &state,
                    &step.locale,
                    &other,
                    &step.request_id,
                );
            }
        }
    } else {
        None
    };
    page(
        &state,
        &step,
        &View {
            class,
            method,
            methods: &methods,
            sent: sent.as_ref(),
            error,
        },
    )
}

/// The class and methods the planner asks for now; `None` when the login is
/// past this step.
pub(crate) async fn prompt(
    state: &AppState,
    step: &Step,
) -> Result<Option<(FactorClass, Vec<Method>)>, Response> {
    Ok(match step.next_prompt(state).await? {
        Next::Prove { class, methods } => Some((class, methods)),
        _ => None,
    })
}

pub async fn factor_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: FactorForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let step = match flow::load_step(
        &state,
        &headers,
        peer.map(|Extension(ConnectInfo(address))| address),
        &form.interaction,
        Some(form.csrf_token.as_deref()),
    )
    .await
    {
        Ok(step) => step,
        Err(response) => return response,
    };
    let context = step.context.clone();
    if form.action == "cancel" {
        return step.cancel(&state, &headers).await;
    }
    let (class, methods) = match prompt(&state, &step).await {
        Ok(Some(prompt)) => prompt,
        Ok(None) => return step.advance(&state, &headers, step.txn.clone()).await,
        Err(response) => return response,
    };
    let method = Method::parse(&form.method).filter(|method| methods.contains(method));
    let Some(method) = method else {
        return step.advance(&state, &headers, step.txn.clone()).await;
    };
    let mut txn = step.txn.clone();
    match form.action.as_str() {
        "switch" => {
            txn.chosen = Some(method);
            if let Err(response) = flow::save_txn(&state, &step, &txn).await {
                return response;
            }
            return respond::see_other(&format!("/login/factor?interaction={}", step.id));
        }
        "resend" if sends_code(method) => {
            let (sent, error) = match state
                .identity
                .send_login_code(&txn, method, step.locale.locale, &context)
                .await
            {
                Ok(sent) => (Some(sent), None),
                Err(IdentityError::ResendTooSoon { .. }) => (
                    None,
                    Some(state.pages.message(&step.locale, "factor_resend_too_soon")),
                ),
                Err(IdentityError::Delivery(_)) => (
                    None,
                    Some(state.pages.message(&step.locale, "factor_delivery_failed")),
                ),
                Err(other) => {
                    return respond::internal_error_page(
                        &state,
                        &step.locale,
                        &other,
                        &step.request_id,
                    );
                }
            };
            return page(
                &state,
                &step,
                &View {
                    class,
                    method,
                    methods: &methods,
                    sent: sent.as_ref(),
                    error,
                },
            );
        }
        _ => {}
    }
    let proven = match method {
        Method::Totp => {
            state
                .identity
                .prove_totp(&mut txn, class, &form.code, &context)
                .await
        }
        Method::SmsTan | Method::EmailCode => {
            state
                .identity
                .prove_code(&mut txn, class, method, &form.code, &context)
                .await
        }
        Method::RecoveryCode => {
            state
                .identity
                .prove_recovery_code(&mut txn, class, &form.code, &context)
                .await
        }
        _ => Err(IdentityError::NoSuchFactor),
    };
    let message_key = match proven {
        Ok(()) => {
            return step.advance(&state, &headers, txn).await;
        }
        Err(IdentityError::TooManyAttempts) => return flow::restart(&state, &step).await,
        Err(IdentityError::WrongCode) => "factor_wrong_code",
        Err(IdentityError::CodeExpired) => "factor_code_expired",
        Err(error) => {
            return respond::internal_error_page(&state, &step.locale, &error, &step.request_id);
        }
    };
    if let Err(response) = flow::save_txn(&state, &step, &txn).await {
        return response;
    }
    let sent = if sends_code(method) {
        state
            .identity
            .pending_login_code(&txn, method)
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    page(
        &state,
        &step,
        &View {
            class,
            method,
            methods: &methods,
            sent: sent.as_ref(),
            error: Some(state.pages.message(&step.locale, message_key)),
        },
    )
}
