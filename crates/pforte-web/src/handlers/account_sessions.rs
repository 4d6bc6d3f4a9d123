//! `/account/sessions`: the user's active sessions (R-SE-3). A browser with a
//! live provider session sees every live session of its account (when it
//! started, when it was last used, its level, the applications it signed in
//! to, and which one is this browser) and ends one or all others. Ending goes
//! through `IdentityService::end_session_by` with the reason `self_service`,
//! so the applications of each ended session are told (R-SE-2) and the audit
//! trail names it.
//!
//! Sessions are named by their public handle, never by their id (the id is
//! the value of the session cookie). The forms carry the session's CSRF token
//! (`handlers::session::form_token`). Without a session the page says to sign
//! in through the portal first, like `/account/security`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::session::{ProviderSession, SessionEndReason};
use pforte_identity::{IdentityError, RequestContext};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

use crate::csrf;
use crate::pages::Look;
use crate::respond;
use crate::state::AppState;

/// The path of the page (and of its forms).
pub const PATH: &str = "/account/sessions";

#[derive(Debug, Default, Deserialize)]
struct SessionsForm {
    csrf_token: Option<String>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    session: String,
}

/// One session as the page lists it.
#[derive(Serialize)]
struct Listed {
    handle: String,
    started: String,
    last_active: String,
    acr: String,
    /// The applications' names, comma-separated; empty for none.
    apps: String,
    current: bool,
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn sign_in_first(state: &AppState, locale: &Look) -> Response {
    let mut context = tera::Context::new();
    context.insert("signed_in", &false);
    respond::page(
        state,
        StatusCode::OK,
        "account_sessions.html",
        locale,
        &context,
        None,
    )
}

pub async fn sessions_get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    match super::live_session(&state, &headers).await {
        Ok(Some(session)) => render(&state, locale, &request_id, &session, None, None).await,
        Ok(None) => sign_in_first(&state, locale),
        Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
    }
}

pub async fn sessions_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    let form: SessionsForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let session = match super::live_session(&state, &headers).await {
        Ok(Some(session)) => session,
        Ok(None) => return sign_in_first(&state, locale),
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    if !csrf::tokens_match(
        &super::session::form_token(&session.sid),
        form.csrf_token.as_deref(),
    ) {
        return super::login::forged(&state, &headers, locale);
    }
    let audit = super::account::audit_context(&headers, peer, &request_id);
    let outcome = match form.action.as_str() {
        "end" => end_one(&state, &session, &form.session, &audit).await,
        "end_others" => state
            .identity
            .end_sessions_of(
                session.account_id,
                Some(&session.sid),
                SessionEndReason::SelfService,
                &audit,
            )
            .await
            .map(|_| (Some("sessions_ended_others"), None)),
        _ => Ok((None, None)),
    };
    match outcome {
        Ok((notice, error)) => render(&state, locale, &request_id, &session, notice, error).await,
        Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
    }
}

/// Ends the session with this handle if it is another live session of the
/// same account; this browser's own session ends through logout instead.
async fn end_one(
    state: &AppState,
    own: &ProviderSession,
    handle: &str,
    audit: &RequestContext,
) -> Result<(Option<&'static str>, Option<&'static str>), IdentityError> {
    let target = state
        .identity
        .session_by_handle(own.account_id, handle)
        .await?
        .filter(|target| target.sid != own.sid);
    let Some(target) = target else {
        return Ok((None, Some("sessions_unknown")));
    };
    state
        .identity
        .end_session_by(&target.sid, SessionEndReason::SelfService, audit)
        .await?;
    Ok((Some("sessions_ended_one"), None))
}

async fn render(
    state: &AppState,
    locale: &Look,
    request_id: &str,
    session: &ProviderSession,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    match page_context(state, locale, session, notice, error).await {
        Ok(context) => respond::page(
            state,
            StatusCode::OK,
            "account_sessions.html",
            locale,
            &context,
            Some(super::session::countdown_csp()),
        ),
        Err(error) => respond::internal_error_page(state, locale, &error, request_id),
    }
}

async fn page_context(
    state: &AppState,
    locale: &Look,
    session: &ProviderSession,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<tera::Context, IdentityError> {
    let mut listed = Vec::new();
    for other in state.identity.sessions_of(session.account_id).await? {
        let mut apps = Vec::with_capacity(other.clients.len());
        for client_id in &other.clients {
            // A client that cannot be looked up is still listed by its id.
            apps.push(
                state
                    .oauth
                    .client_display_name(client_id)
                    .await
                    .unwrap_or_else(|_| client_id.clone()),
            );
        }
        listed.push(Listed {
            handle: other.handle(),
            started: when(other.created_at),
            last_active: when(other.last_seen()),
            acr: other.acr.clone(),
            apps: apps.join(", "),
            current: other.sid == session.sid,
        });
    }
    // This browser first, then the others newest first.
    listed.sort_by_key(|entry| !entry.current);
    let others = listed.iter().filter(|entry| !entry.current).count();
    let mut context = tera::Context::new();
    context.insert("signed_in", &true);
    context.insert("path", PATH);
    context.insert("back_to", super::account::PATH);
    context.insert("csrf_token", &super::session::form_token(&session.sid));
    context.insert("sessions", &listed);
    context.insert("others", &others);
    context.insert(
        "notice",
        &notice.map(|key| state.pages.message(locale, key)),
    );
    context.insert(
        "error_message",
        &error.map(|key| state.pages.message(locale, key)),
    );
    context.insert(
        "session_countdown",
        &super::session::countdown(session, state.clock.now(), PATH),
    );
    Ok(context)
}
