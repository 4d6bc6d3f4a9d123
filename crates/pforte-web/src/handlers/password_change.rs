//! `/password/change`: the new password after a login with an initial one
//! (R-PW-3). The page lists every rule the entered password breaks in the
//! user's language (R-PW-2); after a valid change the login completes and
//! the authorization continues.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::IdentityError;
use pforte_identity::policy::Language;
use serde::Deserialize;
use std::net::SocketAddr;

use super::flow;
use super::login::{
    InteractionQuery, expired, forged, form_is_genuine, locale_of, request_context,
};
use crate::interaction::{self, Interaction};
use crate::pages::Look;
use crate::respond;
use crate::security;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
struct PasswordChangeForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

fn change_page(
    state: &AppState,
    locale: &Look,
    id: &str,
    interaction: &Interaction,
    problems: &[String],
    broken_rules: bool,
) -> Response {
    let mut context = tera::Context::new();
    context.insert("interaction", id);
    context.insert("csrf_token", &interaction.csrf_token);
    context.insert("problems", problems);
    context.insert("broken_rules", &broken_rules);
    respond::page(
        state,
        StatusCode::OK,
        "password_change.html",
        locale,
        &context,
        Some(security::csp_with_form_target(Some(
            &interaction.pending.redirect_uri,
        ))),
    )
}

pub async fn password_change_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<InteractionQuery>,
) -> Response {
    let request_id = respond::request_id(&headers);
    match interaction::load(state.ephemeral.as_ref(), &query.interaction).await {
        Ok(Some(record)) if record.password_change.is_some() => {
            let locale = &locale_of(&state, &headers, &record);
            change_page(&state, locale, &query.interaction, &record, &[], false)
        }
        Ok(_) => expired(&state, &headers),
        Err(error) => respond::internal_error_page(
            &state,
            &respond::look(&state, &headers, &[], None),
            &error,
            &request_id,
        ),
    }
}

pub async fn password_change_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = respond::request_id(&headers);
    let form: PasswordChangeForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let record = match interaction::load(state.ephemeral.as_ref(), &form.interaction).await {
        Ok(Some(record)) => record,
        Ok(None) => return expired(&state, &headers),
        Err(error) => {
            let locale = &respond::look(&state, &headers, &[], None);
            return respond::internal_error_page(&state, locale, &error, &request_id);
        }
    };
    let Some(account_id) = record.password_change else {
        return expired(&state, &headers);
    };
    let locale = &locale_of(&state, &headers, &record);
    if !form_is_genuine(&state, &headers, &record, form.csrf_token.as_deref()) {
        return forged(&state, &headers, locale);
    }
    let context = request_context(
        &headers,
        peer.map(|Extension(ConnectInfo(address))| address),
        &record.pending.client_id,
        &request_id,
    );
    let changed = state
        .identity
        .change_initial_password(
            account_id,
            &form.new_password,
            &form.new_password_confirm,
            &context,
        )
        .await;
    match changed {
        Ok(()) => {
            tracing::info!(request_id, "initial password replaced");
            let Some(txn) = record.txn.clone() else {
                return expired(&state, &headers);
            };
            let record = Interaction {
                password_change: None,
                ..record
            };
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
        Err(IdentityError::PasswordRejected(violations)) => {
            let language = Language::from_tag(locale.locale);
            let problems: Vec<String> = violations
                .iter()
                .map(|violation| violation.render(language))
                .collect();
            change_page(&state, locale, &form.interaction, &record, &problems, true)
        }
        Err(IdentityError::PasswordConfirmationMismatch) => {
            let problem = state.pages.message(locale, "password_change_mismatch");
            change_page(
                &state,
                locale,
                &form.interaction,
                &record,
                &[problem],
                false,
            )
        }
        Err(IdentityError::NoPasswordChangePending) => expired(&state, &headers),
        Err(IdentityError::Busy) => {
            let problem = state.pages.message(locale, "error_busy");
            respond::busy(change_page(
                &state,
                locale,
                &form.interaction,
                &record,
                &[problem],
                false,
            ))
        }
        Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
    }
}
