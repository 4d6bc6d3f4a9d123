//! The consent page (OIDC Core 3.1.2.4): shown after the login when the request
//! asks for it (`prompt=consent`). Only the browser that logged in, still in the
//! same live session, can answer it; the answer is CSRF-protected like the
//! login form. Anything but an explicit "allow" is a denial.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_oauth::ConsentDecision;
use serde::Deserialize;

use super::authorize::answer;
use super::login::{InteractionQuery, expired, forged, form_is_genuine, locale_of};
use crate::cookies::{self, CookieKind};
use crate::interaction::{self, Interaction};
use crate::respond;
use crate::security;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
struct ConsentForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
    #[serde(default)]
    decision: String,
}

/// The interaction if its login belongs to the browser's current session.
fn logged_in_here(state: &AppState, headers: &HeaderMap, record: &Interaction) -> bool {
    let sid = cookies::read(headers, CookieKind::Session, state.settings.secure_cookies);
    match (&record.login, sid) {
        (Some(login), Some(sid)) => crate::csrf::tokens_match(&login.sid, Some(&sid)),
        _ => false,
    }
}

pub async fn consent_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<InteractionQuery>,
) -> Response {
    let request_id = respond::request_id(&headers);
    let record = match interaction::load(state.ephemeral.as_ref(), &query.interaction).await {
        Ok(Some(record)) if logged_in_here(&state, &headers, &record) => record,
        Ok(_) => return expired(&state, &headers),
        Err(error) => {
            let locale = &respond::look(&state, &headers, &[], None);
            return respond::internal_error_page(&state, locale, &error, &request_id);
        }
    };
    let locale = &locale_of(&state, &headers, &record);
    let target = &record.target;
    let mut context = tera::Context::new();
    context.insert("interaction", &query.interaction);
    context.insert("csrf_token", &record.csrf_token);
    context.insert(
        "client_name",
        target.client_name.as_deref().unwrap_or(&target.client_id),
    );
    context.insert("scopes", &target.requested_scopes);
    respond::page(
        &state,
        StatusCode::OK,
        "consent.html",
        locale,
        &context,
        Some(security::csp_with_form_target(Some(
            &record.pending.redirect_uri,
        ))),
    )
}

pub async fn consent_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = respond::request_id(&headers);
    let form: ConsentForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
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
    if !logged_in_here(&state, &headers, &record) {
        return expired(&state, &headers);
    }
    let record = match interaction::take(state.ephemeral.as_ref(), &form.interaction).await {
        Ok(Some(record)) => record,
        Ok(None) => return expired(&state, &headers),
        Err(error) => return respond::internal_error_page(&state, locale, &error, &request_id),
    };
    let Some(login) = record.login.as_ref() else {
        return expired(&state, &headers);
    };
    let decision = if form.decision == "allow" {
        ConsentDecision::Granted
    } else {
        ConsentDecision::Denied
    };
    let outcome = state
        .oauth
        .resume_authorization(&record.pending, login, decision)
        .await;
    answer(
        &state,
        locale,
        outcome,
        Some(&login.sid),
        &record.pending.client_id,
        &request_id,
    )
    .await
}
