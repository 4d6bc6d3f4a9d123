//! The login page (issue 2 "Login"): username and password, German or English,
//! CSRF-protected. The handler passes client, peer address, user agent and
//! request id to the login service, which applies the lockout and throttling
//! (R-LO-1 … R-LO-5). A wrong password, an unknown user, a lock, a
//! deactivation and throttling all get one message plus a hint how to recover
//! (R-LO-4); a login name of the wrong shape (e.g. a KVNR with a bad check
//! digit) gets its precise message (R-ID-2). An initial password leads to
//! `/password/change` before the session starts (R-PW-3).
//!
//! When an `id_token_hint` named an account (`AuthTarget::required_account`) and
//! someone else logs in, no session is started and the page asks for the named
//! account (`login_wrong_account`). This only tells the person what they just
//! proved themselves (their own password is right), so it reveals nothing, and a
//! client never receives a code for an account it did not ask for (OIDC Core
//! 3.1.2.1 `id_token_hint`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use pforte_identity::policy::Language;
use pforte_identity::{IdentityError, RequestContext};
use pforte_oauth::{ErrorCode, OAuthError};
use serde::Deserialize;
use std::net::SocketAddr;

use super::flow;
use crate::cookies::{self, CookieKind};
use crate::interaction::{self, Interaction};
use crate::pages::Look;
use crate::respond;
use crate::security;
use crate::state::AppState;

/// User agents longer than this are cut for the audit trail.
const MAX_USER_AGENT_CHARS: usize = 512;

#[derive(Debug, Deserialize)]
pub struct InteractionQuery {
    #[serde(default)]
    pub interaction: String,
    /// Set when the flow sent the login back because the account may not
    /// log in (locked or deactivated since): the page then shows the one
    /// message for every refusal (R-LO-4).
    #[serde(default)]
    pub refused: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    action: String,
}

/// The look of the pages of this interaction: its client's brand and the
/// language from its `ui_locales` (R-OP-2).
pub(crate) fn locale_of(state: &AppState, headers: &HeaderMap, interaction: &Interaction) -> Look {
    respond::look(
        state,
        headers,
        &interaction.target.ui_locales,
        interaction.brand.as_deref(),
    )
}

/// The page for an interaction that is unknown, finished or expired.
pub(crate) fn expired(state: &AppState, headers: &HeaderMap) -> Response {
    let locale = &respond::look(state, headers, &[], None);
    let description = state.pages.message(locale, "error_interaction_expired");
    respond::error_page(
        state,
        locale,
        StatusCode::BAD_REQUEST,
        "PF-WEB-001",
        &description,
        &respond::request_id(headers),
    )
}

/// The page for a form whose CSRF token or browser binding does not match.
pub(crate) fn forged(state: &AppState, headers: &HeaderMap, locale: &Look) -> Response {
    tracing::warn!(
        request_id = respond::request_id(headers),
        "form refused: CSRF token or browser binding mismatch"
    );
    let description = state.pages.message(locale, "error_csrf");
    respond::error_page(
        state,
        locale,
        StatusCode::FORBIDDEN,
        "PF-WEB-002",
        &description,
        &respond::request_id(headers),
    )
}

/// True when the POST comes from the browser that started the interaction and
/// carries the interaction's form token (both compared in constant time).
pub(crate) fn form_is_genuine(
    state: &AppState,
    headers: &HeaderMap,
    interaction: &Interaction,
    csrf_token: Option<&str>,
) -> bool {
    let binding = cookies::read(headers, CookieKind::Flow, state.settings.secure_cookies);
    crate::csrf::tokens_match(&interaction.browser_binding, binding.as_deref())
        && crate::csrf::tokens_match(&interaction.csrf_token, csrf_token)
}

fn login_page(
    state: &AppState,
    locale: &Look,
    id: &str,
    interaction: &Interaction,
    username: &str,
    error_message: Option<String>,
    recovery_hint: bool,
) -> Response {
    let target = &interaction.target;
    let mut context = tera::Context::new();
    context.insert("interaction", id);
    context.insert("csrf_token", &interaction.csrf_token);
    context.insert("username", username);
    context.insert(
        "client_name",
        target.client_name.as_deref().unwrap_or(&target.client_id),
    );
    context.insert("error_message", &error_message);
    context.insert("recovery_hint", &recovery_hint);
    context.insert("passkey_signin", &state.identity.passwordless_available());
    respond::page(
        state,
        StatusCode::OK,
        "login.html",
        locale,
        &context,
        Some(security::csp_with_form_target(Some(
            &interaction.pending.redirect_uri,
        ))),
    )
}

pub async fn login_page_get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(query): Query<InteractionQuery>,
) -> Response {
    let request_id = respond::request_id(&headers);
    let record = match interaction::load(state.ephemeral.as_ref(), &query.interaction).await {
        Ok(Some(record)) => record,
        Ok(None) => return expired(&state, &headers),
        Err(error) => {
            let locale = &respond::look(&state, &headers, &[], None);
            return respond::internal_error_page(&state, locale, &error, &request_id);
        }
    };
    let locale = &locale_of(&state, &headers, &record);
    if record.txn.is_none() {
        // First visit: a live session may already cover part of the level
        // (step-up, R-AC-3); the flow then asks only what is missing.
        let txn = match flow::txn_of(&state, &headers, &record).await {
            Ok(txn) => txn,
            Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
        };
        if txn.account_id.is_some() {
            let context = request_context(
                &headers,
                peer.map(|Extension(ConnectInfo(address))| address),
                &record.pending.client_id,
                &request_id,
            );
            return flow::advance(
                &state,
                &headers,
                &query.interaction,
                record,
                txn,
                locale,
                &request_id,
                &context,
            )
            .await;
        }
    }
    let hint = record.target.login_hint.clone().unwrap_or_default();
    let refused = query.refused.is_some();
    let message_key = match query.refused.as_deref() {
        Some("membership_ended") => "login_membership_ended",
        _ => "login_failed",
    };
    login_page(
        &state,
        locale,
        &query.interaction,
        &record,
        &hint,
        refused.then(|| state.pages.message(locale, message_key)),
        refused,
    )
}

/// Who is asking, for throttling and the audit trail (R-LO-5, R-LO-6).
pub(crate) fn request_context(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    client_id: &str,
    request_id: &str,
) -> RequestContext {
    RequestContext {
        operator: None,
        client_id: Some(client_id.to_owned()),
        ip: peer.map(|peer| peer.ip()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect()),
        request_id: Some(request_id.to_owned()),
    }
}

pub async fn login_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = respond::request_id(&headers);
    let form: LoginForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let record = match interaction::load(state.ephemeral.as_ref(), &form.interaction).await {
        Ok(Some(record)) => record,
        Ok(None) => return expired(&state, &headers),
        Err(error) => {
            let locale = &respond::look(&state, &headers, &[], None);
            return respond::internal_error_page(&state, locale, &error, &request_id);
        }
    };
    let locale = &locale_of(&state, &headers, &record);
    if !form_is_genuine(&state, &headers, &record, form.csrf_token.as_deref()) {
        return forged(&state, &headers, locale);
    }

    if form.action == "cancel" {
        return cancel_interaction(&state, &headers, &form.interaction, locale, &request_id).await;
    }

    let context = request_context(
        &headers,
        peer.map(|Extension(ConnectInfo(address))| address),
        &record.pending.client_id,
        &request_id,
    );
    let mut txn = match flow::txn_of(&state, &headers, &record).await {
        Ok(txn) => txn,
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let outcome = match state
        .identity
        .prove_password(&mut txn, &form.username, &form.password, &context)
        .await
    {
        Ok(outcome) => outcome,
        Err(IdentityError::InvalidCredentials) => {
            tracing::info!(request_id, "login failed");
            let message = state.pages.message(locale, "login_failed");
            return login_page(
                &state,
                locale,
                &form.interaction,
                &record,
                &form.username,
                Some(message),
                true,
            );
        }
        Err(IdentityError::InvalidIdentifier(error)) => {
            let message = error.render(Language::from_tag(locale.locale));
            return login_page(
                &state,
                locale,
                &form.interaction,
                &record,
                &form.username,
                Some(message),
                false,
            );
        }
        Err(IdentityError::WrongAccount) => {
            return wrong_account(&state, locale, &form.interaction, &record, &request_id);
        }
        Err(IdentityError::Busy) => {
            // The hashing queue is full (R-OP-3): nothing was checked or
            // counted; the form comes back with the name filled in.
            tracing::warn!(request_id, "login refused: password hashing queue full");
            let message = state.pages.message(locale, "error_busy");
            return respond::busy(login_page(
                &state,
                locale,
                &form.interaction,
                &record,
                &form.username,
                Some(message),
                false,
            ));
        }
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    if let Some(required) = record.target.required_account
        && required != outcome.account.id
    {
        return wrong_account(&state, locale, &form.interaction, &record, &request_id);
    }
    flow::advance(
        &state,
        &headers,
        &form.interaction,
        record,
        txn,
        locale,
        &request_id,
        &context,
    )
    .await
}

/// Someone else's password was entered where the hint or the step-up names
/// one account: no session, and the page asks for the named account.
fn wrong_account(
    state: &AppState,
    locale: &Look,
    id: &str,
    record: &Interaction,
    request_id: &str,
) -> Response {
    tracing::info!(
        request_id,
        "login with another account than the one asked for"
    );
    let message = state.pages.message(locale, "login_wrong_account");
    login_page(state, locale, id, record, "", Some(message), false)
}

/// The user abandoned the login: `access_denied` to the client (RFC 6749
/// 4.1.2.1), through the core's response encoder so `iss` and `state` are set.
pub(crate) async fn cancel_interaction(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    locale: &Look,
    request_id: &str,
) -> Response {
    match interaction::take(state.ephemeral.as_ref(), id).await {
        Ok(Some(record)) => {
            let error = OAuthError::new(
                ErrorCode::AccessDenied,
                "PF-LOGIN-010",
                "the user cancelled the login",
            );
            let response = state.oauth.abort_authorization(&record.pending, &error);
            respond::authorization_response(state, locale, &response)
        }
        Ok(None) => expired(state, headers),
        Err(error) => respond::internal_error_page(state, locale, &error, request_id),
    }
}
