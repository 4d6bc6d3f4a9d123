//! Identity proofing with the external ident service (R-RG-5).
//!
//! - `GET /ident/start?interaction=…`: from a login whose password was
//!   accepted but whose account awaits activation. A link, not a form: a form
//!   submission that redirects to another origin would need that origin in
//!   the page's CSP `form-action`. The interaction's browser binding cookie
//!   must be present, so a link sent to someone else starts nothing.
//! - `GET /ident/callback?state=…&code=…` (or `&error=…`): the upstream's
//!   answer. On a match the account is active and the login continues where
//!   it stopped; on a mismatch or cancel a page says so and that the letter
//!   with the activation code still works.

use axum::Extension;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::ident::{IdentError, IdentOutcome};
use serde::Deserialize;
use std::net::SocketAddr;

use super::flow;
use crate::cookies::{self, CookieKind};
use crate::pages::Look;
use crate::respond;
use crate::state::AppState;

pub const START_PATH: &str = "/ident/start";
pub const CALLBACK_PATH: &str = "/ident/callback";

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    interaction: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    state: String,
    code: Option<String>,
    error: Option<String>,
}

fn peer_of(peer: Option<Extension<ConnectInfo<SocketAddr>>>) -> Option<SocketAddr> {
    peer.map(|Extension(ConnectInfo(address))| address)
}

/// The page for a failed attempt: the error's message and public code.
fn error_page(state: &AppState, locale: &Look, error: &IdentError, request_id: &str) -> Response {
    let status = match error {
        IdentError::NotAwaitingActivation | IdentError::UnknownAttempt => StatusCode::BAD_REQUEST,
        IdentError::Service(pforte_identity::ident::IdentServiceError::Unavailable(_)) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        IdentError::Service(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    tracing::warn!(request_id, %error, code = error.public_code(), "identity proofing failed");
    let description = state.pages.message(locale, error.message_key());
    respond::error_page(
        state,
        locale,
        status,
        error.public_code(),
        &description,
        request_id,
    )
}

pub async fn start(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(query): Query<StartQuery>,
) -> Response {
    let Some(ident) = state.ident.clone() else {
        return super::login::expired(&state, &headers);
    };
    let step =
        match flow::load_step(&state, &headers, peer_of(peer), &query.interaction, None).await {
            Ok(step) => step,
            Err(response) => return response,
        };
    let binding = cookies::read(&headers, CookieKind::Flow, state.settings.secure_cookies);
    if !crate::csrf::tokens_match(&step.record.browser_binding, binding.as_deref()) {
        return super::login::forged(&state, &headers, &step.locale);
    }
    let Some(account) = step.txn.account_id else {
        return super::login::expired(&state, &headers);
    };
    match ident.begin(account, Some(step.id.clone())).await {
        Ok(url) => respond::see_other(&url),
        Err(error) => error_page(&state, &step.locale, &error, &step.request_id),
    }
}

pub async fn callback(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let request_id = respond::request_id(&headers);
    let locale = &respond::look(&state, &headers, &[], None);
    let Some(ident) = state.ident.clone() else {
        return super::login::expired(&state, &headers);
    };
    let answer = match (&query.code, &query.error) {
        (_, Some(error)) => Err(error.as_str()),
        (Some(code), None) => Ok(code.as_str()),
        (None, None) => Err("no_code"),
    };
    // The callback belongs to no relying party's request.
    let mut context = super::login::request_context(&headers, peer_of(peer), "", &request_id);
    context.client_id = None;
    let outcome = match ident.finish(&query.state, answer, &context).await {
        Ok(outcome) => outcome,
        Err(error) => return error_page(&state, locale, &error, &request_id),
    };
    match outcome {
        IdentOutcome::Activated {
            interaction: Some(interaction),
            ..
        } => {
            // Continue the login that stopped at the account gate: the planner
            // now finds the account active.
            match flow::load_step(&state, &headers, None, &interaction, None).await {
                Ok(step) => {
                    let txn = step.txn.clone();
                    step.advance(&state, &headers, txn).await
                }
                Err(_) => result_page(&state, locale, "activated", None),
            }
        }
        IdentOutcome::Activated {
            interaction: None, ..
        } => result_page(&state, locale, "activated", None),
        IdentOutcome::Mismatch { interaction, .. } => {
            result_page(&state, locale, "mismatch", interaction.as_deref())
        }
        IdentOutcome::Cancelled { interaction, .. } => {
            result_page(&state, locale, "cancelled", interaction.as_deref())
        }
    }
}

/// The page after an attempt that did not continue a login: activated (sign
/// in now), mismatch or cancelled (the letter still works; try again).
fn result_page(
    state: &AppState,
    locale: &Look,
    result: &str,
    interaction: Option<&str>,
) -> Response {
    let mut context = tera::Context::new();
    context.insert("result", result);
    context.insert("interaction", &interaction);
    context.insert("start_path", START_PATH);
    context.insert(
        "display_name",
        &state
            .ident
            .as_ref()
            .map(|ident| ident.display_name().to_owned()),
    );
    let status = if result == "activated" {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    respond::page(state, status, "ident_result.html", locale, &context, None)
}
