//! `/login/terms`: a terms version newer than the one the user accepted is
//! presented at login (R-RG-2, R-RG-7). Accepting records the version
//! (audited); declining ends the login with `access_denied` for the client.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use std::net::SocketAddr;

use super::factor::FactorQuery;
use super::flow;
use crate::respond;
use crate::security;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
struct TermsForm {
    #[serde(default)]
    interaction: String,
    csrf_token: Option<String>,
    #[serde(default)]
    action: String,
}

pub async fn terms_get(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Query(query): Query<FactorQuery>,
) -> Response {
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
    let Some(version) = state.identity.assurance().terms_version else {
        return super::login::expired(&state, &headers);
    };
    let mut context = tera::Context::new();
    context.insert("interaction", &step.id);
    context.insert("csrf_token", &step.record.csrf_token);
    context.insert("terms_version", &version);
    respond::page(
        &state,
        StatusCode::OK,
        "terms.html",
        &step.locale,
        &context,
        Some(security::csp_with_form_target(Some(
            &step.record.pending.redirect_uri,
        ))),
    )
}

pub async fn terms_submit(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: TermsForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
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
    if form.action != "accept" {
        return step.cancel(&state, &headers).await;
    }
    let context = step.context.clone();
    let (Some(account), Some(version)) = (
        step.txn.account_id,
        state.identity.assurance().terms_version,
    ) else {
        return super::login::expired(&state, &headers);
    };
    if let Err(error) = state
        .identity
        .accept_terms(account, &version, &context)
        .await
    {
        return respond::internal_error_page(&state, &step.locale, &error, &step.request_id);
    }
    step.advance(&state, &headers, step.txn.clone()).await
}
