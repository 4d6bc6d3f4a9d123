//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0, R-SE-2), GET and
//! POST. The core decides whether to log out at once or to ask first and where
//! the browser may go afterwards; this handler ends the provider session,
//! clears the cookie and shows the confirmation or logged-out page. A refused
//! request is an error page, never a redirect.
//!
//! The confirmation form posts back to `/logout` with `pforte_logout` (the id
//! of the stored confirmation) and a CSRF token; it is accepted only from the
//! browser whose session it was made for.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use pforte_oauth::{LogoutOutcome, Params};
use serde::{Deserialize, Serialize};

use crate::cookies::{self, CookieKind};
use crate::pages::Look;
use crate::respond;
use crate::security;
use crate::state::AppState;
use crate::{csrf, form};

/// The form field that marks a submitted confirmation.
const CONFIRMATION_FIELD: &str = "pforte_logout";

/// A logout waiting for the user's confirmation.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingLogout {
    csrf_token: String,
    /// The session to end (the one the browser had when asked).
    sid: Option<String>,
    redirect_to: Option<String>,
}

fn key(id: &str) -> String {
    format!("logout:{id}")
}

pub async fn logout_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match form::query_params(query.as_deref()) {
        Ok(params) => logout_request(&state, &headers, &params).await,
        Err(error) => respond::oauth_error_page(
            &state,
            &respond::look(&state, &headers, &[], None),
            &error,
            &respond::request_id(&headers),
        ),
    }
}

pub async fn logout_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match form::body_params(&headers, &body) {
        Ok(params) => params,
        Err(error) => {
            return respond::oauth_error_page(
                &state,
                &respond::look(&state, &headers, &[], None),
                &error,
                &respond::request_id(&headers),
            );
        }
    };
    if params.contains(CONFIRMATION_FIELD) {
        confirmed(&state, &headers, &params).await
    } else {
        logout_request(&state, &headers, &params).await
    }
}

/// A logout request from a relying party (or a user typing the URL).
async fn logout_request(state: &AppState, headers: &HeaderMap, params: &Params) -> Response {
    let request_id = respond::request_id(headers);
    let locale = &respond::look(
        state,
        headers,
        &params.list("ui_locales").unwrap_or_default(),
        None,
    );
    let session = match super::live_session(state, headers).await {
        Ok(session) => session,
        Err(error) => return respond::internal_error_page(state, locale, &error, &request_id),
    };
    let snapshot = session.as_ref().map(|session| session.snapshot());
    match state.oauth.end_session(params, snapshot.as_ref()).await {
        Ok(LogoutOutcome::Proceed { redirect_to }) => {
            let sid = session.map(|session| session.sid);
            finish(
                state,
                locale,
                sid.as_deref(),
                redirect_to.as_deref(),
                &request_id,
            )
            .await
        }
        Ok(LogoutOutcome::Confirm { redirect_to }) => {
            let id = pforte_crypto::random::random_token();
            let pending = PendingLogout {
                csrf_token: csrf::new_token(),
                sid: session.map(|session| session.sid),
                redirect_to,
            };
            let stored = serde_json::to_vec(&pending).map_err(|error| error.to_string());
            let saved = match stored {
                Ok(bytes) => state
                    .ephemeral
                    .put_ephemeral(&key(&id), &bytes, state.settings.interaction_ttl)
                    .await
                    .map_err(|error| error.to_string()),
                Err(error) => Err(error),
            };
            if let Err(error) = saved {
                return respond::internal_error_page(state, locale, &error, &request_id);
            }
            let mut context = tera::Context::new();
            context.insert("logout_id", &id);
            context.insert("csrf_token", &pending.csrf_token);
            respond::page(
                state,
                StatusCode::OK,
                "logout_confirm.html",
                locale,
                &context,
                Some(security::csp_with_form_target(
                    pending.redirect_to.as_deref(),
                )),
            )
        }
        Err(error) => respond::oauth_error_page(state, locale, &error, &request_id),
    }
}

/// The user confirmed on our page.
async fn confirmed(state: &AppState, headers: &HeaderMap, params: &Params) -> Response {
    let request_id = respond::request_id(headers);
    let locale = &respond::look(state, headers, &[], None);
    let id = params
        .get(CONFIRMATION_FIELD)
        .ok()
        .flatten()
        .unwrap_or_default();
    let taken = state.ephemeral.take_ephemeral(&key(id)).await;
    let pending: PendingLogout = match taken {
        Ok(Some(bytes)) => match serde_json::from_slice(&bytes) {
            Ok(pending) => pending,
            Err(error) => return respond::internal_error_page(state, locale, &error, &request_id),
        },
        Ok(None) => return super::login::expired(state, headers),
        Err(error) => return respond::internal_error_page(state, locale, &error, &request_id),
    };
    let presented = params.get("csrf_token").ok().flatten();
    let current_sid = cookies::read(headers, CookieKind::Session, state.settings.secure_cookies);
    let same_browser = match &pending.sid {
        Some(sid) => csrf::tokens_match(sid, current_sid.as_deref()),
        None => true,
    };
    if !csrf::tokens_match(&pending.csrf_token, presented) || !same_browser {
        return super::login::forged(state, headers, locale);
    }
    finish(
        state,
        locale,
        pending.sid.as_deref(),
        pending.redirect_to.as_deref(),
        &request_id,
    )
    .await
}

/// Ends the session, clears the cookie, and redirects or shows the page.
///
/// Front-channel logout (OpenID Front-Channel Logout 1.0 §4): when clients of
/// the ended session registered a `frontchannel_logout_uri`, the page loads
/// each in a hidden iframe. With a post-logout redirect, that page comes
/// first and continues to the redirect once the frames have loaded (a small
/// script; without script, a visible link); otherwise the redirect is
/// immediate. Back-channel logout needs nothing here: ending the session
/// queues the logout tokens.
async fn finish(
    state: &AppState,
    locale: &Look,
    sid: Option<&str>,
    redirect_to: Option<&str>,
    request_id: &str,
) -> Response {
    let mut ended = None;
    if let Some(sid) = sid {
        match state
            .identity
            .end_session(sid, pforte_identity::session::SessionEndReason::Logout)
            .await
        {
            Ok(session) => ended = session,
            Err(error) => return respond::internal_error_page(state, locale, &error, request_id),
        }
    }
    let frontchannel_urls = match &ended {
        Some(session) => match state
            .oauth
            .frontchannel_logout_urls(&session.clients, &session.sid)
            .await
        {
            Ok(urls) => urls
                .into_iter()
                .filter(|url| security::frame_source(url).is_some())
                .collect(),
            Err(error) => {
                // The session is over; a client that cannot be read is not
                // told by front channel, which must not stop the logout.
                tracing::warn!(
                    request_id,
                    error = error.internal.as_deref().unwrap_or(&error.description),
                    "front-channel logout URIs cannot be read"
                );
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    tracing::info!(
        request_id,
        ended = ended.is_some(),
        frontchannel = frontchannel_urls.len(),
        "logout"
    );
    let mut response = match redirect_to {
        Some(location) if frontchannel_urls.is_empty() => respond::see_other(location),
        _ => {
            let nonce = redirect_to.map(|_| pforte_crypto::random::random_token());
            let mut context = tera::Context::new();
            context.insert("frontchannel_urls", &frontchannel_urls);
            context.insert("continue_to", &redirect_to);
            context.insert("nonce", &nonce);
            respond::page(
                state,
                StatusCode::OK,
                "logged_out.html",
                locale,
                &context,
                Some(security::frontchannel_logout_csp(
                    &frontchannel_urls,
                    nonce.as_deref(),
                )),
            )
        }
    };
    if let Some(cookie) = cookies::clear(CookieKind::Session, state.settings.secure_cookies) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
