//! The authorization endpoint (OIDC Core 3.1.2.1: GET and POST), and how any
//! authorization outcome becomes a response:
//! - `ErrorPage`: a 400 page with the `PF-…` code; never a redirect, because the
//!   client or its redirect URI is not verified (RFC 6749 4.1.2.1).
//! - `Respond`: back to the client (303 or form_post).
//! - `Interaction`: the request is parked under a random interaction id and the
//!   browser goes to the login page, or straight to the consent page when the
//!   live session already satisfies the login and only consent is missing.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use pforte_identity::session::ProviderSession;
use pforte_oauth::{AuthorizeOutcome, InteractionRequired, Params};

use crate::cookies::{self, CookieKind};
use crate::interaction::{self, Interaction};
use crate::pages::Look;
use crate::respond;
use crate::state::AppState;
use crate::{csrf, form};

pub async fn authorize_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match form::query_params(query.as_deref()) {
        Ok(params) => authorize(&state, &headers, &params).await,
        Err(error) => respond::oauth_error_page(
            &state,
            &respond::look(&state, &headers, &[], None),
            &error,
            &respond::request_id(&headers),
        ),
    }
}

pub async fn authorize_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match form::body_params(&headers, &body) {
        Ok(params) => authorize(&state, &headers, &params).await,
        Err(error) => respond::oauth_error_page(
            &state,
            &respond::look(&state, &headers, &[], None),
            &error,
            &respond::request_id(&headers),
        ),
    }
}

async fn authorize(state: &AppState, headers: &HeaderMap, params: &Params) -> Response {
    let request_id = respond::request_id(headers);
    let ui_locales = params.list("ui_locales").unwrap_or_default();
    let locale = &respond::look(state, headers, &ui_locales, None);
    let session = match super::live_session(state, headers).await {
        Ok(session) => session,
        Err(error) => return respond::internal_error_page(state, locale, &error, &request_id),
    };
    let snapshot = session.as_ref().map(ProviderSession::snapshot);
    let outcome = state.oauth.authorize(params, snapshot.as_ref()).await;
    match outcome {
        AuthorizeOutcome::Interaction(required) => {
            begin_interaction(state, headers, *required, session.as_ref(), &request_id).await
        }
        other => {
            let client_id = params.get("client_id").ok().flatten().unwrap_or_default();
            let sid = session.as_ref().map(|session| session.sid.as_str());
            answer(state, locale, other, sid, client_id, &request_id).await
        }
    }
}

/// Turns an outcome into a response. A successful answer in a session records
/// the client there, so that logout can reach it later (R-SE-2).
pub(crate) async fn answer(
    state: &AppState,
    locale: &Look,
    outcome: AuthorizeOutcome,
    sid: Option<&str>,
    client_id: &str,
    request_id: &str,
) -> Response {
    match outcome {
        AuthorizeOutcome::ErrorPage(error) => {
            respond::oauth_error_page(state, locale, &error, request_id)
        }
        AuthorizeOutcome::Respond(response) => {
            let issued_code = response.params.iter().any(|(name, _)| name == "code");
            if issued_code
                && let Some(sid) = sid
                && !client_id.is_empty()
                && let Err(error) = state.identity.record_client(sid, client_id).await
            {
                tracing::warn!(request_id, %error, "client not recorded in the session");
            }
            respond::authorization_response(state, locale, &response)
        }
        AuthorizeOutcome::Interaction(_) => respond::internal_error_page(
            state,
            locale,
            &"the login finished but the core asks for another interaction",
            request_id,
        ),
    }
}

/// Parks the request and sends the browser to the login (or consent) page.
async fn begin_interaction(
    state: &AppState,
    headers: &HeaderMap,
    required: InteractionRequired,
    session: Option<&ProviderSession>,
    request_id: &str,
) -> Response {
    let InteractionRequired { target, pending } = required;
    // The client's brand travels with the interaction (R-OP-2); a client
    // that cannot be read now gets the default look rather than no page.
    let brand = match state.oauth.client(&pending.client_id).await {
        Ok(client) => client.and_then(|client| client.brand),
        Err(error) => {
            tracing::warn!(request_id, ?error, "client brand unavailable");
            None
        }
    };
    let locale = &respond::look(state, headers, &target.ui_locales, brand.as_deref());
    let secure = state.settings.secure_cookies;
    let existing_binding = cookies::read(headers, CookieKind::Flow, secure);
    let browser_binding = existing_binding.clone().unwrap_or_else(csrf::new_token);

    // Only consent is missing when the live session is acceptable as it is.
    let login = session
        .filter(|session| {
            target.consent_required
                && !target.force_reauthentication
                && target
                    .required_account
                    .is_none_or(|required| required == session.account_id)
        })
        .map(|session| session.snapshot().as_auth_result());
    let next_page = if login.is_some() {
        "/consent"
    } else {
        "/login"
    };

    let id = pforte_crypto::random::random_token();
    let record = Interaction {
        pending,
        target,
        csrf_token: csrf::new_token(),
        browser_binding: browser_binding.clone(),
        login,
        password_change: None,
        txn: None,
        brand,
    };
    if let Err(error) = interaction::save(
        state.ephemeral.as_ref(),
        &id,
        &record,
        state.settings.interaction_ttl,
    )
    .await
    {
        return respond::internal_error_page(state, locale, &error, request_id);
    }
    let mut response = respond::see_other(&format!("{next_page}?interaction={id}"));
    if existing_binding.is_none()
        && let Some(cookie) = cookies::set(
            CookieKind::Flow,
            &browser_binding,
            secure,
            state.settings.session_ttl,
        )
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
