//! `/login/enrol`: enrolling a second factor during a login, when the level
//! needs a class the user has no method for (policy `enrol`, R-AC-4) or when
//! a second factor is mandatory (R-MF-2, R-RG-7), and verifying a mobile
//! number or e-mail address (R-RG-7), which enrols it as SMS-TAN or e-mail
//! code factor. The user chooses the method; the page then shows the QR code
//! and manual key (TOTP) or asks for the code sent to the new destination.
//! After the first factor, recovery codes are issued once when the policy
//! has them (R-MF-1).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::flow::{LoginTxn, Next};
use pforte_identity::policy::RequiredAction;
use pforte_identity::{IdentityError, RequestContext};
use pforte_types::{FactorClass, Method};
use serde::Deserialize;
use std::net::SocketAddr;

use super::factor::FactorQuery;
use super::flow::{self, Step};
use crate::respond;
use crate::security;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
struct EnrolForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
    #[serde(default)]
    method: String,
    #[serde(default)]
    destination: String,
    #[serde(default)]
    membership: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    action: String,
}

/// What the planner wants enrolled now: the class and the methods offered
/// (WebAuthn only when the provider can be a relying party).
pub(crate) async fn wanted(
    state: &AppState,
    step: &Step,
) -> Result<Option<(FactorClass, Vec<Method>)>, Response> {
    let next = step.next_prompt(state).await?;
    let assurance = state.identity.assurance();
    let possession = |assurance: &pforte_identity::policy::AssurancePolicy| -> Vec<Method> {
        assurance
            .class(FactorClass::Possession)
            .map(|rule| {
                rule.methods
                    .iter()
                    .copied()
                    .filter(|method| pforte_identity::flow::planner::enrollable(*method))
                    .collect()
            })
            .unwrap_or_default()
    };
    let webauthn = state.identity.webauthn_available();
    let offered = |methods: Vec<Method>| -> Vec<Method> {
        methods
            .into_iter()
            .filter(|method| webauthn || *method != Method::Webauthn)
            .collect()
    };
    Ok(match next {
        Next::Enrol { class, methods } => Some((class, offered(methods))),
        Next::Action(RequiredAction::EnrolSecondFactor) => {
            Some((FactorClass::Possession, offered(possession(&assurance))))
        }
        Next::Action(RequiredAction::VerifyPhone) => {
            Some((FactorClass::Possession, vec![Method::SmsTan]))
        }
        Next::Action(RequiredAction::VerifyEmail) => {
            Some((FactorClass::Possession, vec![Method::EmailCode]))
        }
        _ => None,
    })
}

struct View<'a> {
    methods: &'a [Method],
    error: Option<String>,
}

async fn page(state: &AppState, step: &Step, view: View<'_>) -> Response {
    let mut context = tera::Context::new();
    context.insert("interaction", &step.id);
    context.insert("csrf_token", &step.record.csrf_token);
    let methods: Vec<&str> = view.methods.iter().map(Method::as_str).collect();
    context.insert("methods", &methods);
    context.insert("error_message", &view.error);
    context.insert(
        "mandatory",
        &state.identity.assurance().second_factor_mandatory,
    );
    context.insert("code_length", &state.identity.assurance().otp.length);
    context.insert(
        "membership_digits",
        &state.identity.membership_proof_digits(),
    );
    let account = step.txn.account_id;
    let pending = match (account, step.txn.enrolling) {
        (Some(account), Some(factor)) => state
            .identity
            .pending_factor(account, factor)
            .await
            .ok()
            .flatten(),
        _ => None,
    };
    context.insert(
        "enrolling",
        &pending.as_ref().map(|factor| factor.method.as_str()),
    );
    context.insert(
        "destination",
        &pending.as_ref().map(|factor| factor.label.clone()),
    );
    if let (Some(account), Some(factor)) = (account, pending.as_ref())
        && factor.method == Method::Totp
    {
        match state.identity.totp_enrolment_view(account, factor.id).await {
            Ok(view) => {
                context.insert("qr_svg", &view.qr_svg);
                context.insert("manual_key", &view.manual_key);
            }
            Err(error) => {
                return respond::internal_error_page(state, &step.locale, &error, &step.request_id);
            }
        }
    }
    respond::page(
        state,
        StatusCode::OK,
        "enrol.html",
        &step.locale,
        &context,
        Some(security::csp_with_form_target(Some(
            &step.record.pending.redirect_uri,
        ))),
    )
}

pub async fn enrol_get(
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
    match wanted(&state, &step).await {
        Ok(Some((_, methods))) => {
            page(
                &state,
                &step,
                View {
                    methods: &methods,
                    error: None,
                },
            )
            .await
        }
        Ok(None) => step.advance(&state, &headers, step.txn.clone()).await,
        Err(response) => response,
    }
}

pub async fn enrol_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: EnrolForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
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
    let (class, methods) = match wanted(&state, &step).await {
        Ok(Some(wanted)) => wanted,
        Ok(None) => return step.advance(&state, &headers, step.txn.clone()).await,
        Err(response) => return response,
    };
    let Some(account) = step.txn.account_id else {
        return step.advance(&state, &headers, step.txn.clone()).await;
    };
    let mut txn = step.txn.clone();
    let outcome = match form.action.as_str() {
        "start" => {
            let Some(method) =
                Method::parse(&form.method).filter(|method| methods.contains(method))
            else {
                return page(
                    &state,
                    &step,
                    View {
                        methods: &methods,
                        error: None,
                    },
                )
                .await;
            };
            if method == Method::Webauthn {
                // The WebAuthn ceremony runs on its own page with script.
                txn.chosen = Some(Method::Webauthn);
                txn.enrolling = None;
                let step = Step { txn, ..step };
                if let Err(response) = flow::save_txn(&state, &step, &step.txn).await {
                    return response;
                }
                return respond::see_other(&format!(
                    "/login/webauthn?interaction={}&mode=register",
                    step.id
                ));
            }
            start(
                &state,
                &step,
                &mut txn,
                account,
                method,
                (&form.destination, &form.membership),
                &context,
            )
            .await
        }
        "restart" => {
            txn.enrolling = None;
            Ok(false)
        }
        "resend" => match txn.enrolling {
            Some(factor) => state
                .identity
                .resend_enrolment_code(account, factor, step.locale.locale, &context)
                .await
                .map(|_| false),
            None => Ok(false),
        },
        _ => confirm(&state, &mut txn, account, class, &form.code, &context).await,
    };
    let step = Step {
        txn: txn.clone(),
        ..step
    };
    match outcome {
        Ok(true) => {
            if let Ok(Some(codes)) = first_recovery_codes(&state, account, &context).await {
                if let Err(response) = flow::save_txn(&state, &step, &txn).await {
                    return response;
                }
                return recovery_codes_page(&state, &step, &codes);
            }
            step.advance(&state, &headers, txn).await
        }
        Ok(false) => {
            if let Err(response) = flow::save_txn(&state, &step, &txn).await {
                return response;
            }
            page(
                &state,
                &step,
                View {
                    methods: &methods,
                    error: None,
                },
            )
            .await
        }
        Err(error) => {
            let key = match error {
                IdentityError::WrongCode => "factor_wrong_code",
                IdentityError::CodeExpired => "factor_code_expired",
                IdentityError::ResendTooSoon { .. } => "factor_resend_too_soon",
                IdentityError::InvalidDestination(_) => "enrol_invalid_destination",
                IdentityError::Delivery(_) => "factor_delivery_failed",
                IdentityError::MembershipNotProven => {
                    txn.factor_failures = txn.factor_failures.saturating_add(1);
                    if txn.factor_failures >= pforte_identity::flow::MAX_FACTOR_FAILURES {
                        return flow::restart(&state, &step).await;
                    }
                    "enrol_membership_wrong"
                }
                IdentityError::MembershipUnavailable => "enrol_membership_unavailable",
                other => {
                    return respond::internal_error_page(
                        &state,
                        &step.locale,
                        &other,
                        &step.request_id,
                    );
                }
            };
            if let Err(response) = flow::save_txn(&state, &step, &txn).await {
                return response;
            }
            page(
                &state,
                &step,
                View {
                    methods: &methods,
                    error: Some(state.pages.message(&step.locale, key)),
                },
            )
            .await
        }
    }
}

/// Starts enrolling `method`; `Ok(false)`: the page shows the next part.
async fn start(
    state: &AppState,
    step: &Step,
    txn: &mut LoginTxn,
    account: pforte_types::AccountId,
    method: Method,
    (destination, membership): (&str, &str),
    context: &RequestContext,
) -> Result<bool, IdentityError> {
    match method {
        Method::Totp => {
            let enrolment = state.identity.begin_totp_enrolment(account).await?;
            txn.enrolling = Some(enrolment.factor_id);
        }
        Method::SmsTan | Method::EmailCode => {
            let (factor, _) = state
                .identity
                .begin_code_enrolment(
                    account,
                    method,
                    destination,
                    Some(membership),
                    step.locale.locale,
                    context,
                )
                .await?;
            txn.enrolling = Some(factor);
        }
        _ => return Err(IdentityError::NoSuchFactor),
    }
    Ok(false)
}

/// Confirms the factor being enrolled with its first code; `Ok(true)` when
/// it is enrolled (and proven for `class`).
async fn confirm(
    state: &AppState,
    txn: &mut LoginTxn,
    account: pforte_types::AccountId,
    class: FactorClass,
    code: &str,
    context: &RequestContext,
) -> Result<bool, IdentityError> {
    let Some(factor_id) = txn.enrolling else {
        return Ok(false);
    };
    let Some(factor) = state.identity.pending_factor(account, factor_id).await? else {
        txn.enrolling = None;
        return Ok(false);
    };
    match factor.method {
        Method::Totp => {
            state
                .identity
                .confirm_totp_enrolment(account, factor_id, code, Some((txn, class)), context)
                .await?
        }
        _ => {
            state
                .identity
                .confirm_code_enrolment(account, factor_id, code, Some((txn, class)), context)
                .await?
        }
    }
    Ok(true)
}

/// Recovery codes are issued once, after the first second factor, when the
/// policy has them.
pub(crate) async fn first_recovery_codes(
    state: &AppState,
    account: pforte_types::AccountId,
    context: &RequestContext,
) -> Result<Option<Vec<String>>, IdentityError> {
    if state.identity.assurance().recovery_codes == 0
        || state.identity.recovery_codes_left(account).await? > 0
    {
        return Ok(None);
    }
    state
        .identity
        .issue_recovery_codes(account, context)
        .await
        .map(Some)
}

pub(crate) fn recovery_codes_page(state: &AppState, step: &Step, codes: &[String]) -> Response {
    let mut context = tera::Context::new();
    context.insert("interaction", &step.id);
    context.insert("csrf_token", &step.record.csrf_token);
    context.insert("codes", codes);
    let mut response = respond::page(
        state,
        StatusCode::OK,
        "recovery_codes.html",
        &step.locale,
        &context,
        Some(security::csp_with_form_target(Some(
            &step.record.pending.redirect_uri,
        ))),
    );
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

#[derive(Debug, Default, Deserialize)]
struct ContinueForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
}

/// `POST /login/continue`: after a page that only informs (the recovery
/// codes), the login goes on.
pub async fn continue_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: ContinueForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
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
    step.advance(&state, &headers, step.txn.clone()).await
}
