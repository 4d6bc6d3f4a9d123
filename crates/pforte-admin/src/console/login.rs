//! Console login through Pforte itself (R-OP-1, ADR 0006): `GET /admin/login`
//! starts an authorization request of the built-in client `pforte-admin`;
//! `GET /admin/callback` redeems the code in process, checks state, nonce,
//! level and second factor, and opens a console session for an account that
//! holds a role. `POST /admin/logout` ends it. Every outcome is audited.

use axum::extract::{Form, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pforte_identity::audit::{AuditEvent, AuditKind};
use pforte_oauth::Params;
use pforte_types::AccountId;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::time::Duration;

use super::client::{ADMIN_CLIENT_ID, HOME_PATH, PendingLogin, redirect_uri};
use super::render;
use super::session::{self, ConsoleSession, CurrentOperator};
use crate::state::AdminState;

fn pending_key(state_value: &str) -> String {
    format!(
        "admin-login:{}",
        pforte_crypto::random::sha256_b64url(state_value)
    )
}

/// `GET /admin/login`: a new pending login and the 303 to `/authorize`.
pub async fn login_get(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    let pending = PendingLogin::new();
    let bytes = match serde_json::to_vec(&pending) {
        Ok(bytes) => bytes,
        Err(error) => return render::internal_error(&state, &headers, &error),
    };
    let ttl: Duration = state.web.settings.interaction_ttl;
    if let Err(error) = state
        .web
        .ephemeral
        .put_ephemeral(&pending_key(&pending.state), &bytes, ttl)
        .await
    {
        return render::internal_error(&state, &headers, &error);
    }
    let location =
        pending.authorization_url(&state.web.settings.issuer, &state.console.required_acr);
    let mut response = pforte_web::respond::see_other(&location);
    session::set_login_cookie(&state, &mut response, &pending.state);
    response
}

/// The ID token claims the console checks (OIDC Core 2, 3.1.3.7).
#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    acr: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
}

/// The claims of an ID token the provider has just issued in this process.
/// Its signature is not checked again: the token never left the process.
fn id_claims(id_token: &str) -> Option<IdClaims> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Why a callback is refused (the `detail` of `admin_login_refused`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    StateMismatch,
    ProviderError(String),
    CodeRefused(String),
    NonceMismatch,
    AcrTooLow(String),
    NoSecondFactor(String),
    UnknownAccount,
    NoRole,
}

impl Refusal {
    pub fn detail(&self) -> String {
        match self {
            Self::StateMismatch => "state_mismatch".to_owned(),
            Self::ProviderError(error) => format!("provider_error={error}"),
            Self::CodeRefused(error) => format!("code_refused: {error}"),
            Self::NonceMismatch => "nonce_mismatch".to_owned(),
            Self::AcrTooLow(acr) => format!("acr_too_low acr={acr}"),
            Self::NoSecondFactor(amr) => format!("no_second_factor amr={amr}"),
            Self::UnknownAccount => "unknown_account".to_owned(),
            Self::NoRole => "no_role".to_owned(),
        }
    }

    fn message_key(&self) -> &'static str {
        match self {
            Self::NoRole => "admin_error_no_role",
            Self::AcrTooLow(_) | Self::NoSecondFactor(_) => "admin_error_level",
            _ => "admin_error_login",
        }
    }
}

/// Checks the claims of the console's ID token against the pending login and
/// the required level (pure; unit-tested): the nonce matches, the level is
/// the required one or higher, and `amr` holds `mfa` (factors of two classes,
/// RFC 8176), so a password alone never opens the console.
fn check_claims(
    claims: &IdClaims,
    pending: &PendingLogin,
    settings: &crate::state::ConsoleSettings,
) -> Result<(AccountId, String), Refusal> {
    if !pforte_web::csrf::tokens_match(&pending.nonce, claims.nonce.as_deref()) {
        return Err(Refusal::NonceMismatch);
    }
    let acr = claims.acr.clone().unwrap_or_default();
    if !settings.reaches_required(&acr) {
        return Err(Refusal::AcrTooLow(acr));
    }
    if !claims.amr.iter().any(|value| value == "mfa") {
        return Err(Refusal::NoSecondFactor(claims.amr.join(",")));
    }
    let account = AccountId::parse(&claims.sub).ok_or(Refusal::UnknownAccount)?;
    Ok((account, acr))
}

/// `GET /admin/callback?code=…&state=…`.
pub async fn callback_get(
    State(state): State<AdminState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = pforte_web::form::query_params(query.as_deref()).unwrap_or_default();
    let outcome = redeem(&state, &headers, &params).await;
    let mut response = match outcome {
        Ok(Ok((account, username, roles, acr))) => {
            let mut response = pforte_web::respond::see_other(HOME_PATH);
            if let Err(error) =
                session::start(&state, &mut response, account, &username, &acr).await
            {
                return render::internal_error(&state, &headers, &error);
            }
            let roles: Vec<_> = roles.iter().map(|role| role.as_str()).collect();
            let mut context = session::request_context(&headers);
            context.operator = Some(username.clone());
            let event = AuditEvent::new(
                AuditKind::AdminLogin,
                state.web.clock.now(),
                Some(account),
                &username,
                &context,
            )
            .with_detail(format!("roles={} acr={acr}", roles.join(",")));
            if let Err(error) = state.audit.append_audit(&[event]).await {
                return render::internal_error(&state, &headers, &error);
            }
            response
        }
        Ok(Err((refusal, account))) => {
            let (account_id, username) = match &account {
                Some((id, name)) => (Some(*id), name.as_str()),
                None => (None, ""),
            };
            let mut event = AuditEvent::new(
                AuditKind::AdminLoginRefused,
                state.web.clock.now(),
                account_id,
                username,
                &session::request_context(&headers),
            )
            .with_detail(refusal.detail());
            if account.is_none() {
                event.username = None;
            }
            if let Err(error) = state.audit.append_audit(&[event]).await {
                return render::internal_error(&state, &headers, &error);
            }
            render::error(
                &state,
                &headers,
                StatusCode::FORBIDDEN,
                "PF-ADMIN-403",
                refusal.message_key(),
            )
        }
        Err(response) => return response,
    };
    session::clear_login_cookie(&state, &mut response);
    response
}

type Accepted = (
    AccountId,
    String,
    BTreeSet<pforte_identity::operator_roles::Role>,
    String,
);
type Refused = (Refusal, Option<(AccountId, String)>);

async fn redeem(
    state: &AdminState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Result<Accepted, Refused>, Response> {
    let returned = params.get("state").ok().flatten().unwrap_or_default();
    let bound = session::login_cookie(state, headers);
    if !pforte_web::csrf::tokens_match(returned, bound.as_deref()) {
        return Ok(Err((Refusal::StateMismatch, None)));
    }
    let pending = match state
        .web
        .ephemeral
        .take_ephemeral(&pending_key(returned))
        .await
    {
        Ok(Some(bytes)) => serde_json::from_slice::<PendingLogin>(&bytes).ok(),
        Ok(None) => None,
        Err(error) => return Err(render::internal_error(state, headers, &error)),
    };
    let Some(pending) = pending else {
        return Ok(Err((Refusal::StateMismatch, None)));
    };
    if let Some(error) = params.get("error").ok().flatten() {
        return Ok(Err((Refusal::ProviderError(error.to_owned()), None)));
    }
    let code = params.get("code").ok().flatten().unwrap_or_default();
    let issuer = state.web.settings.issuer.clone();
    let token_params = Params::new(vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), code.to_owned()),
        ("redirect_uri".to_owned(), redirect_uri(&issuer)),
        ("client_id".to_owned(), ADMIN_CLIENT_ID.to_owned()),
        ("code_verifier".to_owned(), pending.code_verifier.clone()),
    ]);
    let tokens = match state.web.oauth.token(&token_params, None).await {
        Ok(tokens) => tokens,
        Err(error) => {
            return Ok(Err((
                Refusal::CodeRefused(error.code.as_str().to_owned()),
                None,
            )));
        }
    };
    let Some(claims) = tokens.id_token.as_deref().and_then(id_claims) else {
        return Ok(Err((Refusal::CodeRefused("no_id_token".to_owned()), None)));
    };
    let subject = AccountId::parse(&claims.sub);
    let account = match subject {
        Some(id) => match state.web.identity.account(id).await {
            Ok(account) => account,
            Err(error) => return Err(render::internal_error(state, headers, &error)),
        },
        None => None,
    };
    let named = account
        .as_ref()
        .map(|account| (account.id, account.username.clone()));
    let (id, acr) = match check_claims(&claims, &pending, &state.console) {
        Ok(checked) => checked,
        Err(refusal) => return Ok(Err((refusal, named))),
    };
    let Some(account) = account else {
        return Ok(Err((Refusal::UnknownAccount, None)));
    };
    let roles = match state.roles.roles_of(id).await {
        Ok(roles) => roles,
        Err(error) => return Err(render::internal_error(state, headers, &error)),
    };
    if roles.is_empty() {
        return Ok(Err((Refusal::NoRole, named)));
    }
    Ok(Ok((id, account.username, roles, acr)))
}

/// Writes `admin_logout` for a session that ended (logout or timeout).
pub async fn audit_logout(
    state: &AdminState,
    headers: &HeaderMap,
    session: &ConsoleSession,
    why: &str,
) {
    let mut context = session::request_context(headers);
    context.operator = Some(session.username.clone());
    let event = AuditEvent::new(
        AuditKind::AdminLogout,
        state.web.clock.now(),
        Some(session.account),
        &session.username,
        &context,
    )
    .with_detail(why);
    if let Err(error) = state.audit.append_audit(&[event]).await {
        tracing::error!(%error, "admin_logout not audited");
    }
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf_token: Option<String>,
}

/// `POST /admin/logout`: ends the console session (not the provider
/// session) and shows the "logged out" page.
pub async fn logout_post(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if !current.check_csrf(form.csrf_token.as_deref()) {
        return session::csrf_refused();
    }
    match session::end(&state, &headers).await {
        Ok(Some(ended)) => audit_logout(&state, &headers, &ended, "logout").await,
        Ok(None) => {}
        Err(error) => return render::internal_error(&state, &headers, &error),
    }
    let mut response = render::page(
        &state,
        &headers,
        StatusCode::OK,
        "logged_out.html",
        &tera::Context::new(),
    );
    session::clear_session_cookie(&state, &mut response);
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::state::ConsoleSettings;

    fn settings() -> ConsoleSettings {
        ConsoleSettings {
            required_acr: "loa-substantial".into(),
            acr_levels: vec![
                "loa-low".into(),
                "loa-substantial".into(),
                "loa-high".into(),
            ],
            idle_timeout: Duration::from_secs(900),
            absolute_timeout: Duration::from_secs(28_800),
            show_outbox: false,
        }
    }

    fn claims(nonce: &str, acr: &str, amr: &[&str]) -> IdClaims {
        IdClaims {
            sub: AccountId::new().to_string(),
            nonce: Some(nonce.into()),
            acr: Some(acr.into()),
            amr: amr.iter().map(|value| (*value).to_owned()).collect(),
        }
    }

    #[test]
    fn r_op_1_the_callback_checks_nonce_level_and_second_factor() {
        let pending = PendingLogin::new();
        let good = claims(&pending.nonce, "loa-substantial", &["otp", "pwd", "mfa"]);
        assert!(check_claims(&good, &pending, &settings()).is_ok());
        let higher = claims(&pending.nonce, "loa-high", &["hwk", "pwd", "mfa"]);
        assert!(check_claims(&higher, &pending, &settings()).is_ok());
        let wrong_nonce = claims("other", "loa-high", &["otp", "pwd", "mfa"]);
        assert_eq!(
            check_claims(&wrong_nonce, &pending, &settings()).unwrap_err(),
            Refusal::NonceMismatch
        );
        let low = claims(&pending.nonce, "loa-low", &["pwd"]);
        assert_eq!(
            check_claims(&low, &pending, &settings()).unwrap_err(),
            Refusal::AcrTooLow("loa-low".into())
        );
        let one_factor = claims(&pending.nonce, "loa-high", &["hwk"]);
        assert_eq!(
            check_claims(&one_factor, &pending, &settings()).unwrap_err(),
            Refusal::NoSecondFactor("hwk".into())
        );
    }

    #[test]
    fn the_payload_of_an_id_token_is_read() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"x","nonce":"n","acr":"a","amr":["pwd"]}"#);
        let claims = id_claims(&format!("e30.{payload}.sig")).unwrap();
        assert_eq!(claims.sub, "x");
        assert_eq!(claims.amr, ["pwd"]);
        assert!(id_claims("garbage").is_none());
    }
}
