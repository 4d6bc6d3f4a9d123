//! `/password/forgot` and `/username/forgot` (R-RC-1, R-RC-2): the pages of
//! `pforte_identity::recovery`.
//!
//! The forgot-password page walks through three steps — name and channel,
//! the code, the new password — on one URL. Its state is a server-side
//! record in the ephemeral store under a random flow id that the forms
//! carry, with the form's CSRF token; the reset ticket never reaches the
//! browser. After the first step the page is the same whether or not the
//! account exists or has the chosen channel: the identity layer did the
//! same work either way.
//!
//! A login page's interaction id may come along (`?interaction=…`), so that
//! the last page leads back to that login.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::IdentityError;
use pforte_identity::RequestContext;
use pforte_identity::policy::Language;
use pforte_identity::recovery::{ResetChannel, ResetTicket};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

use crate::csrf;
use crate::pages::Look;
use crate::respond;
use crate::state::AppState;

/// The path of the forgot-password page.
pub const PASSWORD_PATH: &str = "/password/forgot";
/// The path of the forgot-username page.
pub const USERNAME_PATH: &str = "/username/forgot";

/// How long a reset may take from the first form to the new password.
const FLOW_TTL: Duration = Duration::from_secs(30 * 60);

/// The server-side state of one reset.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Record {
    csrf_token: String,
    /// What the user typed, for "send a new code".
    input: String,
    ticket: Option<ResetTicket>,
    /// The login interaction to return to.
    interaction: String,
    /// Its `ui_locales`, so that the pages keep the login's language.
    #[serde(default)]
    ui_locales: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
/// The query of the first page: the login interaction to return to.
pub struct ForgotQuery {
    #[serde(default)]
    interaction: String,
}

#[derive(Debug, Default, Deserialize)]
struct ForgotForm {
    #[serde(default)]
    flow: String,
    csrf_token: Option<String>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
    #[serde(default)]
    email: String,
}

fn flow_key(flow: &str) -> String {
    format!(
        "password-forgot:{}",
        pforte_crypto::random::sha256_b64url(flow)
    )
}

async fn load(state: &AppState, flow: &str) -> Result<Option<Record>, String> {
    if flow.is_empty() {
        return Ok(None);
    }
    match state
        .ephemeral
        .get_ephemeral(&flow_key(flow))
        .await
        .map_err(|error| error.to_string())?
    {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| error.to_string()),
        None => Ok(None),
    }
}

async fn save(state: &AppState, flow: &str, record: &Record) -> Result<(), String> {
    let bytes = serde_json::to_vec(record).map_err(|error| error.to_string())?;
    state
        .ephemeral
        .put_ephemeral(&flow_key(flow), &bytes, FLOW_TTL)
        .await
        .map_err(|error| error.to_string())
}

/// Only an interaction id's shape is passed on (it ends up in a link).
fn clean_interaction(id: &str) -> String {
    if !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        id.to_owned()
    } else {
        String::new()
    }
}

/// The step a page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Request,
    Code,
    NewPassword,
    Done,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Code => "code",
            Self::NewPassword => "new_password",
            Self::Done => "done",
        }
    }
}

struct View<'a> {
    step: Step,
    flow: &'a str,
    record: &'a Record,
    error: Option<String>,
    problems: Vec<String>,
}

fn render(state: &AppState, locale: &Look, view: View<'_>) -> Response {
    let mut context = tera::Context::new();
    context.insert("path", PASSWORD_PATH);
    context.insert("username_path", USERNAME_PATH);
    context.insert("step", view.step.as_str());
    context.insert("flow", view.flow);
    context.insert("csrf_token", &view.record.csrf_token);
    context.insert("identifier", &view.record.input);
    context.insert("error_message", &view.error);
    context.insert("problems", &view.problems);
    context.insert("code_length", &state.identity.assurance().otp.length);
    context.insert("interaction", &view.record.interaction);
    context.insert("letters", &state.registrar.is_some());
    context.insert(
        "channel",
        &view
            .record
            .ticket
            .as_ref()
            .map(|ticket| ticket.channel.as_str()),
    );
    respond::page(
        state,
        StatusCode::OK,
        "password_forgot.html",
        locale,
        &context,
        None,
    )
}

fn audit_context(
    headers: &HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    request_id: &str,
) -> RequestContext {
    super::account::audit_context(headers, peer, request_id)
}

async fn fresh(state: &AppState, interaction: &str) -> Result<(String, Record), String> {
    let flow = csrf::new_token();
    let interaction = clean_interaction(interaction);
    let ui_locales = if interaction.is_empty() {
        Vec::new()
    } else {
        crate::interaction::load(state.ephemeral.as_ref(), &interaction)
            .await
            .map_err(|error| error.to_string())?
            .map(|record| record.target.ui_locales)
            .unwrap_or_default()
    };
    let record = Record {
        csrf_token: csrf::new_token(),
        interaction,
        ui_locales,
        ..Record::default()
    };
    save(state, &flow, &record).await?;
    Ok((flow, record))
}

pub async fn password_forgot_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ForgotQuery>,
) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    match fresh(&state, &query.interaction).await {
        Ok((flow, record)) => render(
            &state,
            &respond::look(&state, &headers, &record.ui_locales, None),
            View {
                step: Step::Request,
                flow: &flow,
                record: &record,
                error: None,
                problems: Vec::new(),
            },
        ),
        Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
    }
}

pub async fn password_forgot_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    let form: ForgotForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let record = match load(&state, &form.flow).await {
        Ok(Some(record)) => record,
        // An unknown or expired flow starts again from the first step.
        Ok(None) => {
            return match fresh(&state, "").await {
                Ok((flow, record)) => render(
                    &state,
                    locale,
                    View {
                        step: Step::Request,
                        flow: &flow,
                        record: &record,
                        error: Some(state.pages.message(locale, "forgot_expired")),
                        problems: Vec::new(),
                    },
                ),
                Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
            };
        }
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let locale = &respond::look(&state, &headers, &record.ui_locales, None);
    if !csrf::tokens_match(&record.csrf_token, form.csrf_token.as_deref()) {
        return super::login::forged(&state, &headers, locale);
    }
    let audit = audit_context(&headers, peer, &request_id);
    let flow = form.flow.clone();
    let outcome = match form.action.as_str() {
        "request" => {
            request(
                &state,
                locale,
                record,
                &form.identifier,
                &form.channel,
                &audit,
            )
            .await
        }
        "resend" => {
            let channel = record
                .ticket
                .as_ref()
                .map(|ticket| ticket.channel.as_str())
                .unwrap_or_default()
                .to_owned();
            let input = record.input.clone();
            request(&state, locale, record, &input, &channel, &audit).await
        }
        "code" => code(&state, locale, record, &form.code, &audit).await,
        "password" => {
            new_password(
                &state,
                locale,
                record,
                &form.new_password,
                &form.new_password_confirm,
                &audit,
            )
            .await
        }
        _ => Ok((Step::Request, record, None, Vec::new())),
    };
    let (step, record, error, problems) = match outcome {
        Ok(outcome) => outcome,
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let saved = if step == Step::Done {
        state
            .ephemeral
            .take_ephemeral(&flow_key(&flow))
            .await
            .map(|_| ())
            .map_err(|error| error.to_string())
    } else {
        save(&state, &flow, &record).await
    };
    if let Err(error) = saved {
        return respond::internal_error_page(&state, locale, &error, &request_id);
    }
    render(
        &state,
        locale,
        View {
            step,
            flow: &flow,
            record: &record,
            error,
            problems,
        },
    )
}

type Outcome = Result<(Step, Record, Option<String>, Vec<String>), IdentityError>;

/// Step 1 (and "send a new code"): the same code page whatever happened.
async fn request(
    state: &AppState,
    locale: &Look,
    mut record: Record,
    input: &str,
    channel: &str,
    audit: &RequestContext,
) -> Outcome {
    let Some(channel) = ResetChannel::parse(channel) else {
        let error = state.pages.message(locale, "forgot_choose_channel");
        return Ok((Step::Request, record, Some(error), Vec::new()));
    };
    record.input = input.trim().chars().take(256).collect();
    if record.input.is_empty() {
        let error = state.pages.message(locale, "forgot_enter_identifier");
        return Ok((Step::Request, record, Some(error), Vec::new()));
    }
    let requested = match (channel, state.registrar.as_ref()) {
        (ResetChannel::Letter, Some(registrar)) => {
            registrar
                .request_reset_letter(&record.input, locale.locale, audit)
                .await
        }
        (ResetChannel::LetterCode, Some(registrar)) => {
            registrar.letter_code_ticket(&record.input, audit).await
        }
        // Without registration there are no letters: the option is not
        // offered, and a forged choice is answered like a missing one.
        (ResetChannel::Letter | ResetChannel::LetterCode, None) => {
            let error = state.pages.message(locale, "forgot_choose_channel");
            return Ok((Step::Request, record, Some(error), Vec::new()));
        }
        (ResetChannel::Email | ResetChannel::Sms, _) => {
            state
                .identity
                .request_password_reset(&record.input, channel, locale.locale, audit)
                .await
        }
    };
    match requested {
        Ok(ticket) => {
            record.ticket = Some(ticket);
            Ok((Step::Code, record, None, Vec::new()))
        }
        Err(IdentityError::RecoveryThrottled) => {
            let error = state.pages.message(locale, "forgot_throttled");
            Ok((Step::Request, record, Some(error), Vec::new()))
        }
        Err(error) => Err(error),
    }
}

/// Step 2: the code.
async fn code(
    state: &AppState,
    locale: &Look,
    mut record: Record,
    code: &str,
    audit: &RequestContext,
) -> Outcome {
    let Some(ticket) = record.ticket.clone() else {
        return Ok((Step::Request, record, None, Vec::new()));
    };
    if ticket.verified {
        return Ok((Step::NewPassword, record, None, Vec::new()));
    }
    let verified = match (ticket.channel.is_letter(), state.registrar.as_ref()) {
        (true, Some(registrar)) => {
            registrar
                .verify_reset_letter_code(&ticket, code, audit)
                .await
        }
        (true, None) => Err(IdentityError::CodeExpired),
        (false, _) => state.identity.verify_reset_code(&ticket, code).await,
    };
    match verified {
        Ok(verified) => {
            record.ticket = Some(verified);
            Ok((Step::NewPassword, record, None, Vec::new()))
        }
        Err(IdentityError::WrongCode) => {
            let error = state.pages.message(locale, "factor_wrong_code");
            Ok((Step::Code, record, Some(error), Vec::new()))
        }
        Err(IdentityError::CodeExpired) => {
            record.ticket = None;
            let error = state.pages.message(locale, "forgot_code_expired");
            Ok((Step::Request, record, Some(error), Vec::new()))
        }
        Err(error) => Err(error),
    }
}

/// Step 3: the new password.
async fn new_password(
    state: &AppState,
    locale: &Look,
    record: Record,
    new_password: &str,
    confirmation: &str,
    audit: &RequestContext,
) -> Outcome {
    let Some(ticket) = record.ticket.clone().filter(|ticket| ticket.verified) else {
        return Ok((Step::Request, record, None, Vec::new()));
    };
    match state
        .identity
        .complete_password_reset(&ticket, new_password, confirmation, locale.locale, audit)
        .await
    {
        Ok(_) => Ok((Step::Done, record, None, Vec::new())),
        Err(IdentityError::PasswordRejected(violations)) => {
            let language = Language::from_tag(locale.locale);
            let problems = violations
                .iter()
                .map(|violation| violation.render(language))
                .collect();
            let error = state.pages.message(locale, "password_change_rejected");
            Ok((Step::NewPassword, record, Some(error), problems))
        }
        Err(IdentityError::PasswordConfirmationMismatch) => {
            let error = state.pages.message(locale, "password_change_mismatch");
            Ok((Step::NewPassword, record, Some(error), Vec::new()))
        }
        Err(IdentityError::Busy) => {
            let error = state.pages.message(locale, "error_busy");
            Ok((Step::NewPassword, record, Some(error), Vec::new()))
        }
        Err(IdentityError::CodeExpired) => {
            let error = state.pages.message(locale, "forgot_code_expired");
            Ok((
                Step::Request,
                Record {
                    ticket: None,
                    ..record
                },
                Some(error),
                Vec::new(),
            ))
        }
        Err(error) => Err(error),
    }
}

/// The forgot-username page; `sent` after the form was posted.
fn username_page(
    state: &AppState,
    locale: &Look,
    token: &str,
    sent: bool,
    error: Option<String>,
) -> Response {
    let mut context = tera::Context::new();
    context.insert("path", USERNAME_PATH);
    context.insert("password_path", PASSWORD_PATH);
    context.insert("flow", token);
    context.insert("sent", &sent);
    context.insert("error_message", &error);
    respond::page(
        state,
        StatusCode::OK,
        "username_forgot.html",
        locale,
        &context,
        None,
    )
}

fn username_key(token: &str) -> String {
    format!(
        "username-forgot:{}",
        pforte_crypto::random::sha256_b64url(token)
    )
}

/// A single-use form token for the forgot-username form.
async fn username_token(state: &AppState) -> Result<String, String> {
    let token = csrf::new_token();
    state
        .ephemeral
        .put_ephemeral(&username_key(&token), b"1", FLOW_TTL)
        .await
        .map_err(|error| error.to_string())?;
    Ok(token)
}

pub async fn username_forgot_get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    match username_token(&state).await {
        Ok(token) => username_page(&state, locale, &token, false, None),
        Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
    }
}

pub async fn username_forgot_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    let form: ForgotForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let known = if form.flow.is_empty() {
        Ok(None)
    } else {
        state
            .ephemeral
            .take_ephemeral(&username_key(&form.flow))
            .await
    };
    match known {
        Ok(Some(_)) => {}
        Ok(None) => return super::login::forged(&state, &headers, locale),
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    }
    let audit = audit_context(&headers, peer, &request_id);
    let email: String = form.email.trim().chars().take(254).collect();
    let result = state
        .identity
        .remind_username(&email, locale.locale, &audit)
        .await;
    let token = match username_token(&state).await {
        Ok(token) => token,
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    match result {
        Ok(()) => username_page(&state, locale, &token, true, None),
        Err(IdentityError::RecoveryThrottled) => {
            let error = state.pages.message(locale, "forgot_throttled");
            username_page(&state, locale, &token, false, Some(error))
        }
        Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
    }
}
