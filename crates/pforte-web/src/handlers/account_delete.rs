//! `/account/delete`: the user deletes the account (R-RC-4). The page says
//! what is deleted and what is kept, and whether something blocks the
//! deletion. The form needs the password (re-authentication in the same
//! step, so a left-open browser is not enough) and an explicit tick of the
//! confirmation box; then `IdentityService::delete_account` sends the
//! confirmation, ends every session (relying parties are told) and erases
//! the account. The session cookie is removed with the answer.
//!
//! The form carries the session's CSRF token
//! (`handlers::session::form_token`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use pforte_identity::IdentityError;
use pforte_identity::deletion::DeletionBlocker;
use pforte_identity::session::ProviderSession;
use serde::Deserialize;
use std::net::SocketAddr;

use crate::cookies::{self, CookieKind};
use crate::csrf;
use crate::pages::Look;
use crate::respond;
use crate::state::AppState;

/// The path of the page (and of its form).
pub const PATH: &str = "/account/delete";

#[derive(Debug, Default, Deserialize)]
struct DeleteForm {
    csrf_token: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

fn sign_in_first(state: &AppState, locale: &Look) -> Response {
    let mut context = tera::Context::new();
    context.insert("signed_in", &false);
    context.insert("deleted", &false);
    respond::page(
        state,
        StatusCode::OK,
        "account_delete.html",
        locale,
        &context,
        None,
    )
}

fn blocker_keys(blockers: &[DeletionBlocker]) -> Vec<&'static str> {
    blockers
        .iter()
        .map(|blocker| match blocker {
            DeletionBlocker::CoInsuredDependants => "delete_blocked_co_insured",
        })
        .collect()
}

async fn render(
    state: &AppState,
    locale: &Look,
    request_id: &str,
    session: &ProviderSession,
    error: Option<&str>,
) -> Response {
    let blockers = match state.identity.deletion_blockers(session.account_id).await {
        Ok(blockers) => blockers,
        Err(error) => return respond::internal_error_page(state, locale, &error, request_id),
    };
    let username = match state.identity.account(session.account_id).await {
        Ok(Some(account)) => account.username,
        Ok(None) => return sign_in_first(state, locale),
        Err(error) => return respond::internal_error_page(state, locale, &error, request_id),
    };
    let blocked: Vec<String> = blocker_keys(&blockers)
        .into_iter()
        .map(|key| state.pages.message(locale, key))
        .collect();
    let mut context = tera::Context::new();
    context.insert("signed_in", &true);
    context.insert("deleted", &false);
    context.insert("path", PATH);
    context.insert("back_to", super::account::PATH);
    context.insert("username", &username);
    context.insert("csrf_token", &super::session::form_token(&session.sid));
    context.insert("blocked", &blocked);
    context.insert(
        "error_message",
        &error.map(|key| state.pages.message(locale, key)),
    );
    context.insert(
        "session_countdown",
        &super::session::countdown(session, state.clock.now(), PATH),
    );
    respond::page(
        state,
        if error.is_some() || !blocked.is_empty() {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        },
        "account_delete.html",
        locale,
        &context,
        Some(super::session::countdown_csp()),
    )
}

pub async fn delete_get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    match super::live_session(&state, &headers).await {
        Ok(Some(session)) => {
            // A page that only shows: 200 even when blocked.
            let mut response = render(&state, locale, &request_id, &session, None).await;
            if response.status() == StatusCode::CONFLICT {
                *response.status_mut() = StatusCode::OK;
            }
            response
        }
        Ok(None) => sign_in_first(&state, locale),
        Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
    }
}

pub async fn delete_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    let form: DeleteForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
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
    if form.confirm != "yes" {
        return render(
            &state,
            locale,
            &request_id,
            &session,
            Some("delete_confirm_missing"),
        )
        .await;
    }
    let audit = super::account::audit_context(&headers, peer, &request_id);
    let session = match state
        .identity
        .reauthenticate(&session, &form.password, &audit)
        .await
    {
        Ok(session) => session,
        Err(
            IdentityError::InvalidCredentials
            | IdentityError::InvalidIdentifier(_)
            | IdentityError::WrongAccount,
        ) => {
            return render(
                &state,
                locale,
                &request_id,
                &session,
                Some("account_reauth_failed"),
            )
            .await;
        }
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    match state
        .identity
        .delete_account(session.account_id, "self_service", locale.locale, &audit)
        .await
    {
        Ok(()) => deleted_page(&state, locale),
        Err(IdentityError::DeletionBlocked(_)) => {
            render(
                &state,
                locale,
                &request_id,
                &session,
                Some("delete_blocked"),
            )
            .await
        }
        Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
    }
}

/// "Your account is deleted", with the session cookie removed.
fn deleted_page(state: &AppState, locale: &Look) -> Response {
    let mut context = tera::Context::new();
    context.insert("signed_in", &false);
    context.insert("deleted", &true);
    let mut response = respond::page(
        state,
        StatusCode::OK,
        "account_delete.html",
        locale,
        &context,
        None,
    );
    if let Some(value) = cookies::clear(CookieKind::Session, state.settings.secure_cookies) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
