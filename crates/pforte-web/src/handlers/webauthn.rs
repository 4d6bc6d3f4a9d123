//! `/login/webauthn`: a passkey or security key in a login (R-MF-1, R-AC-1
//! `hardware_key`), in three modes:
//!
//! - `prove` (default): the planner asks for a factor the account has a
//!   WebAuthn credential for (reached from `/login/factor`);
//! - `register`: the planner asks to enrol, and the user chose WebAuthn on
//!   `/login/enrol`; the user may name the authenticator;
//! - `passwordless`: the policy allows a passkey to start the login without
//!   a user name (`assurance.passwordless`).
//!
//! Each GET starts a new ceremony: its state goes into the login
//! transaction, which stays server-side with the interaction, and the
//! options are embedded in the page as JSON for `webauthn.js`, the page's
//! only script (CSP `script-src 'self'`, no inline script). The POST takes
//! the state out before verifying, so an answer counts once; an answer to
//! another interaction's challenge does not verify and is counted like a
//! wrong code. Errors the browser reports (cancelled, not allowed, timed
//! out) are shown by the script without a round trip; the user can retry
//! or choose another method.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::flow::LoginTxn;
use pforte_identity::{IdentityError, RequestContext};
use pforte_types::{FactorClass, Method};
use serde::Deserialize;
use std::net::SocketAddr;

use super::flow::{self, Step};
use crate::respond;
use crate::security;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Prove,
    Register,
    Passwordless,
}

impl Mode {
    fn parse(text: &str) -> Self {
        match text {
            "register" => Self::Register,
            "passwordless" => Self::Passwordless,
            _ => Self::Prove,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Prove => "prove",
            Self::Register => "register",
            Self::Passwordless => "passwordless",
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WebauthnQuery {
    #[serde(default)]
    interaction: String,
    #[serde(default)]
    mode: String,
}

#[derive(Debug, Default, Deserialize)]
struct WebauthnForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    response: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    action: String,
}

/// What the current prompt allows in this mode: the class to prove or enrol
/// and the other methods offered; `None` when the login is not at a step
/// WebAuthn can answer.
async fn current(
    state: &AppState,
    step: &Step,
    mode: Mode,
) -> Result<Option<(FactorClass, Vec<Method>)>, Response> {
    let found = match mode {
        Mode::Prove => super::factor::prompt(state, step).await?,
        Mode::Register => super::enrol::wanted(state, step).await?,
        Mode::Passwordless => {
            return Ok(
                (step.txn.account_id.is_none() && state.identity.passwordless_available())
                    .then(|| (FactorClass::HardwareKey, Vec::new())),
            );
        }
    };
    Ok(found.filter(|(_, methods)| methods.contains(&Method::Webauthn)))
}

/// Embeds JSON in a `<script type="application/json">` element: the
/// element's text is not entity-decoded, so `<`, `>` and `&` (which can only
/// occur inside JSON strings, e.g. a user name) become `\u` escapes instead.
pub(crate) fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Starts a ceremony in `txn` and returns its options.
async fn begin(
    state: &AppState,
    txn: &mut LoginTxn,
    mode: Mode,
) -> Result<serde_json::Value, IdentityError> {
    match mode {
        Mode::Prove => state.identity.begin_webauthn_login(txn).await,
        Mode::Register => {
            let account = txn.account_id.ok_or(IdentityError::InvalidCredentials)?;
            state
                .identity
                .begin_webauthn_registration(account, Some(txn))
                .await
                .map(|ceremony| ceremony.options)
        }
        Mode::Passwordless => state.identity.begin_passkey_signin(txn),
    }
}

/// Starts a new ceremony, saves it with the login and renders the page
/// (with `error`, the message of a failed attempt).
async fn show(
    state: &AppState,
    step: &Step,
    mode: Mode,
    methods: &[Method],
    error: Option<&str>,
) -> Response {
    let mut txn = step.txn.clone();
    let (options, error) = match begin(state, &mut txn, mode).await {
        Ok(options) => (Some(options), error),
        Err(IdentityError::NotConfigured | IdentityError::NoSuchFactor) => {
            (None, Some("webauthn_unavailable"))
        }
        Err(other) => {
            return respond::internal_error_page(state, &step.locale, &other, &step.request_id);
        }
    };
    if let Err(response) = flow::save_txn(state, step, &txn).await {
        return response;
    }
    let mut context = tera::Context::new();
    context.insert("interaction", &step.id);
    context.insert("csrf_token", &step.record.csrf_token);
    context.insert("mode", mode.as_str());
    context.insert("options_json", &options.as_ref().map(script_json));
    context.insert(
        "error_message",
        &error.map(|key| state.pages.message(&step.locale, key)),
    );
    let others: Vec<&str> = methods
        .iter()
        .filter(|method| **method != Method::Webauthn)
        .map(Method::as_str)
        .collect();
    context.insert("other_methods", &others);
    respond::page(
        state,
        StatusCode::OK,
        "webauthn.html",
        &step.locale,
        &context,
        Some(security::webauthn_csp(Some(
            &step.record.pending.redirect_uri,
        ))),
    )
}

pub async fn webauthn_get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(query): Query<WebauthnQuery>,
) -> Response {
    let mode = Mode::parse(&query.mode);
    if mode == Mode::Passwordless
        && let Err(response) = ensure_txn(&state, &headers, &query.interaction).await
    {
        return response;
    }
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
    match current(&state, &step, mode).await {
        Ok(Some((_, methods))) => show(&state, &step, mode, &methods, None).await,
        Ok(None) => step.advance(&state, &headers, step.txn.clone()).await,
        Err(response) => response,
    }
}

/// A passkey sign-in starts from the login page, where the login has no
/// transaction yet: it gets one now (seeded from a live session like any
/// login, which then makes passwordless sign-in moot).
async fn ensure_txn(state: &AppState, headers: &HeaderMap, id: &str) -> Result<(), Response> {
    let request_id = respond::request_id(headers);
    let locale = &respond::look(state, headers, &[], None);
    let record = match crate::interaction::load(state.ephemeral.as_ref(), id).await {
        Ok(Some(record)) => record,
        Ok(None) => return Err(super::login::expired(state, headers)),
        Err(error) => {
            return Err(respond::internal_error_page(
                state,
                locale,
                &error,
                &request_id,
            ));
        }
    };
    if record.txn.is_some() {
        return Ok(());
    }
    let txn = flow::txn_of(state, headers, &record)
        .await
        .map_err(|error| respond::internal_error_page(state, locale, &error, &request_id))?;
    let record = crate::interaction::Interaction {
        txn: Some(txn),
        ..record
    };
    crate::interaction::save(
        state.ephemeral.as_ref(),
        id,
        &record,
        state.settings.interaction_ttl,
    )
    .await
    .map_err(|error| respond::internal_error_page(state, locale, &error, &request_id))
}

pub async fn webauthn_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: WebauthnForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
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
    let mode = Mode::parse(&form.mode);
    let (class, methods) = match current(&state, &step, mode).await {
        Ok(Some(found)) => found,
        Ok(None) => return step.advance(&state, &headers, step.txn.clone()).await,
        Err(response) => return response,
    };
    let mut txn = step.txn.clone();
    let outcome = match mode {
        Mode::Prove => {
            state
                .identity
                .finish_webauthn_login(&mut txn, class, &form.response, &context)
                .await
        }
        Mode::Passwordless => {
            state
                .identity
                .finish_passkey_signin(&mut txn, &form.response, &context)
                .await
        }
        Mode::Register => register(&state, &mut txn, class, &form, &context).await,
    };
    let step = Step { txn, ..step };
    let key = match outcome {
        Ok(()) => return proven(&state, &headers, &step, mode, &context).await,
        Err(IdentityError::TooManyAttempts) => return flow::restart(&state, &step).await,
        Err(IdentityError::SecurityKeyRejected) => "webauthn_failed",
        Err(IdentityError::SecurityKeyExpired) => "webauthn_expired",
        Err(IdentityError::SecurityKeyTaken) => "webauthn_taken",
        Err(IdentityError::InvalidLabel) => "webauthn_invalid_label",
        Err(IdentityError::WrongAccount) => "webauthn_wrong_account",
        Err(error) => {
            return respond::internal_error_page(&state, &step.locale, &error, &step.request_id);
        }
    };
    // The failed state is gone from the transaction; the page starts a new
    // ceremony for the retry and saves the failure count with it.
    show(&state, &step, mode, &methods, Some(key)).await
}

async fn register(
    state: &AppState,
    txn: &mut LoginTxn,
    class: FactorClass,
    form: &WebauthnForm,
    context: &RequestContext,
) -> Result<(), IdentityError> {
    let account = txn.account_id.ok_or(IdentityError::InvalidCredentials)?;
    let pending = txn
        .webauthn_state
        .take()
        .ok_or(IdentityError::SecurityKeyExpired)?;
    state
        .identity
        .finish_webauthn_registration(
            account,
            &pending,
            &form.response,
            &form.label,
            Some((txn, class)),
            context,
        )
        .await
        .map(|_| ())
}

/// The ceremony succeeded: after a first registration the recovery codes
/// are shown once (as after any first second factor), else the login goes
/// on to its next prompt.
async fn proven(
    state: &AppState,
    headers: &HeaderMap,
    step: &Step,
    mode: Mode,
    context: &RequestContext,
) -> Response {
    if mode == Mode::Register
        && let Some(account) = step.txn.account_id
        && let Ok(Some(codes)) = super::enrol::first_recovery_codes(state, account, context).await
    {
        if let Err(response) = flow::save_txn(state, step, &step.txn).await {
            return response;
        }
        return super::enrol::recovery_codes_page(state, step, &codes);
    }
    step.advance(state, headers, step.txn.clone()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_mf_1_webauthn_options_cannot_close_their_script_element() {
        let value = serde_json::json!({"user": {"name": "</script><script>alert(1)</script>&"}});
        let text = script_json(&value);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, value);
    }

    #[test]
    fn modes_round_trip_and_default_to_prove() {
        for mode in [Mode::Prove, Mode::Register, Mode::Passwordless] {
            assert_eq!(Mode::parse(mode.as_str()), mode);
        }
        assert_eq!(Mode::parse(""), Mode::Prove);
    }
}
