//! `/account/profile`: self-service for the password, the e-mail address and
//! the mobile number (R-RC-3, R-PW-4), linked from `/account/security`.
//!
//! The password change asks for the current password in the same form (that
//! is its re-authentication). A new e-mail address or mobile number needs a
//! recent password proof in the session (`pforte_identity::reauth`): when
//! the proof is older, the page asks for the password first and then sends
//! the code to the new address; the code entered here stores it, and the old
//! address gets a notice (`pforte_identity::self_service`).
//!
//! Like `/account/security`, the state between the steps (the CSRF token,
//! the change waiting for the password, the address waiting for its code)
//! is a server-side record keyed by a digest of the session id.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::policy::Language;
use pforte_identity::self_service::{ContactKind, PendingContact};
use pforte_identity::session::ProviderSession;
use pforte_identity::{IdentityError, RequestContext};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

use crate::csrf;
use crate::pages::Look;
use crate::respond;
use crate::state::AppState;

/// The path of the page (and of its forms).
pub const PATH: &str = "/account/profile";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Record {
    csrf_token: String,
    /// A new address that waits for the password: (kind, as typed).
    waiting: Option<(ContactKind, String)>,
    /// A new address that waits for its code.
    pending: Option<PendingContact>,
}

#[derive(Debug, Default, Deserialize)]
struct ProfileForm {
    csrf_token: Option<String>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    destination: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

fn key(sid: &str) -> String {
    format!(
        "account-profile:{}",
        pforte_crypto::random::sha256_b64url(sid)
    )
}

async fn load_record(state: &AppState, sid: &str) -> Result<Option<Record>, String> {
    crate::page_state::load(state, &key(sid)).await
}

async fn save_record(state: &AppState, sid: &str, record: &Record) -> Result<(), String> {
    crate::page_state::save(state, &key(sid), record).await
}

/// What the page says after an action.
#[derive(Default)]
struct View {
    notice: Option<String>,
    error: Option<String>,
    problems: Vec<String>,
}

impl View {
    fn notice(state: &AppState, locale: &Look, key: &str) -> Self {
        Self {
            notice: Some(state.pages.message(locale, key)),
            ..Self::default()
        }
    }

    fn error(state: &AppState, locale: &Look, key: &str) -> Self {
        Self {
            error: Some(state.pages.message(locale, key)),
            ..Self::default()
        }
    }
}

fn sign_in_first(state: &AppState, locale: &Look) -> Response {
    let mut context = tera::Context::new();
    context.insert("signed_in", &false);
    respond::page(
        state,
        StatusCode::OK,
        "account_profile.html",
        locale,
        &context,
        None,
    )
}

pub async fn profile_get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    let session = match super::live_session(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return sign_in_first(&state, locale),
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let record = match load_record(&state, &session.sid).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            let record = Record {
                csrf_token: csrf::new_token(),
                ..Record::default()
            };
            if let Err(error) = save_record(&state, &session.sid, &record).await {
                return respond::internal_error_page(&state, locale, &error, &request_id);
            }
            record
        }
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    render(
        &state,
        locale,
        &request_id,
        &session,
        &record,
        View::default(),
    )
    .await
}

pub async fn profile_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    let form: ProfileForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let session = match super::live_session(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return sign_in_first(&state, locale),
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let mut record = match load_record(&state, &session.sid).await {
        Ok(Some(record)) => record,
        Ok(None) => return super::login::forged(&state, &headers, locale),
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    if !csrf::tokens_match(&record.csrf_token, form.csrf_token.as_deref()) {
        return super::login::forged(&state, &headers, locale);
    }
    let audit = super::account::audit_context(&headers, peer, &request_id);
    let mut session = session;
    let result = act(&state, locale, &mut session, &mut record, &form, &audit).await;
    let view = match result {
        Ok(view) => view,
        Err(error) => match message_of(&error) {
            Some(key) => View::error(&state, locale, key),
            None => return respond::internal_error_page(&state, locale, &error, &request_id),
        },
    };
    if let Err(error) = save_record(&state, &session.sid, &record).await {
        return respond::internal_error_page(&state, locale, &error, &request_id);
    }
    render(&state, locale, &request_id, &session, &record, view).await
}

async fn act(
    state: &AppState,
    locale: &Look,
    session: &mut ProviderSession,
    record: &mut Record,
    form: &ProfileForm,
    audit: &RequestContext,
) -> Result<View, IdentityError> {
    let identity = &state.identity;
    match form.action.as_str() {
        "password" => {
            match identity
                .change_own_password(
                    session.account_id,
                    &form.current_password,
                    &form.new_password,
                    &form.new_password_confirm,
                    locale.locale,
                    audit,
                )
                .await
            {
                Ok(()) => Ok(View::notice(state, locale, "profile_password_changed")),
                Err(IdentityError::PasswordRejected(violations)) => {
                    let language = Language::from_tag(locale.locale);
                    Ok(View {
                        error: Some(state.pages.message(locale, "password_change_rejected")),
                        problems: violations
                            .iter()
                            .map(|violation| violation.render(language))
                            .collect(),
                        ..View::default()
                    })
                }
                Err(IdentityError::PasswordConfirmationMismatch) => {
                    Ok(View::error(state, locale, "password_change_mismatch"))
                }
                Err(error) => Err(error),
            }
        }
        "contact" => {
            let Some(kind) = ContactKind::parse(&form.kind) else {
                return Ok(View::default());
            };
            record.pending = None;
            if identity.recently_authenticated(session) {
                record.waiting = None;
                start_change(
                    state,
                    locale,
                    session,
                    record,
                    kind,
                    &form.destination,
                    audit,
                )
                .await
            } else {
                record.waiting = Some((kind, form.destination.clone()));
                Ok(View::default())
            }
        }
        "reauth" => {
            *session = identity
                .reauthenticate(session, &form.password, audit)
                .await?;
            match record.waiting.take() {
                Some((kind, destination)) => {
                    start_change(state, locale, session, record, kind, &destination, audit).await
                }
                None => Ok(View::default()),
            }
        }
        "confirm" => {
            let Some(pending) = record.pending.clone() else {
                return Ok(View::default());
            };
            match identity
                .confirm_contact_change(
                    session.account_id,
                    &pending,
                    &form.code,
                    locale.locale,
                    audit,
                )
                .await
            {
                Ok(()) => {
                    record.pending = None;
                    Ok(View::notice(
                        state,
                        locale,
                        match pending.kind {
                            ContactKind::Email => "profile_email_changed",
                            ContactKind::Mobile => "profile_mobile_changed",
                        },
                    ))
                }
                Err(IdentityError::CodeExpired) => {
                    record.pending = None;
                    Ok(View::error(state, locale, "factor_code_expired"))
                }
                Err(error) => Err(error),
            }
        }
        "cancel" => {
            record.pending = None;
            record.waiting = None;
            Ok(View::default())
        }
        _ => Ok(View::default()),
    }
}

async fn start_change(
    state: &AppState,
    locale: &Look,
    session: &ProviderSession,
    record: &mut Record,
    kind: ContactKind,
    destination: &str,
    audit: &RequestContext,
) -> Result<View, IdentityError> {
    let pending = state
        .identity
        .begin_contact_change(session.account_id, kind, destination, locale.locale, audit)
        .await?;
    record.pending = Some(pending);
    Ok(View::default())
}

/// The message key of an error the user can act on; `None` for ours.
fn message_of(error: &IdentityError) -> Option<&'static str> {
    Some(match error {
        IdentityError::WrongCode => "factor_wrong_code",
        IdentityError::CodeExpired => "factor_code_expired",
        IdentityError::ResendTooSoon { .. } => "factor_resend_too_soon",
        IdentityError::InvalidDestination(_) => "enrol_invalid_destination",
        IdentityError::Delivery(_) => "factor_delivery_failed",
        IdentityError::Busy => "error_busy",
        IdentityError::InvalidCredentials
        | IdentityError::InvalidIdentifier(_)
        | IdentityError::WrongAccount => "account_reauth_failed",
        _ => return None,
    })
}

async fn render(
    state: &AppState,
    locale: &Look,
    request_id: &str,
    session: &ProviderSession,
    record: &Record,
    view: View,
) -> Response {
    let account = match state.identity.account(session.account_id).await {
        Ok(Some(account)) => account,
        Ok(None) => return sign_in_first(state, locale),
        Err(error) => return respond::internal_error_page(state, locale, &error, request_id),
    };
    let mut context = tera::Context::new();
    context.insert("signed_in", &true);
    context.insert("path", PATH);
    context.insert("back_to", super::account::PATH);
    context.insert("delete_path", super::account_delete::PATH);
    context.insert("csrf_token", &record.csrf_token);
    context.insert("username", &account.username);
    context.insert(
        "email",
        &pforte_identity::self_service::masked_email(&account),
    );
    context.insert(
        "mobile",
        &pforte_identity::self_service::masked_mobile(&account),
    );
    context.insert(
        "reauth",
        &(record.waiting.is_some() && !state.identity.recently_authenticated(session)),
    );
    context.insert(
        "pending",
        &record
            .pending
            .as_ref()
            .map(|pending| pending.masked.clone()),
    );
    context.insert(
        "pending_kind",
        &record.pending.as_ref().map(|pending| pending.kind.as_str()),
    );
    context.insert("code_length", &state.identity.assurance().otp.length);
    context.insert("notice", &view.notice);
    context.insert("error_message", &view.error);
    context.insert("problems", &view.problems);
    context.insert(
        "session_countdown",
        &super::session::countdown(session, state.clock.now(), PATH),
    );
    respond::page(
        state,
        StatusCode::OK,
        "account_profile.html",
        locale,
        &context,
        Some(super::session::countdown_csp()),
    )
}
