//! Moves a login to its next prompt (DESIGN.md §4). Every page of the login
//! (password, second factor, enrolment, required actions) ends by calling
//! [`advance`]: the identity service's planner names the next prompt and this
//! module sends the browser to its page, or, when the login is done, starts
//! the session and answers the client. Pages recompute the prompt on every
//! request, so no page trusts a stale decision.

use axum::http::{HeaderMap, header};
use axum::response::Response;
use pforte_identity::RequestContext;
use pforte_identity::flow::{Gate, LoginTxn, Next, Reached};
use pforte_identity::policy::RequiredAction;
use pforte_oauth::{ConsentDecision, OAuthError};
use pforte_types::AuthResult;
use std::net::SocketAddr;

use super::authorize::answer;
use super::login::expired;
use crate::cookies::{self, CookieKind};
use crate::interaction::{self, Interaction};
use crate::pages::Look;
use crate::respond;
use crate::state::AppState;

/// The transaction of an interaction, created on first use: seeded from the
/// browser's live session for a step-up (R-AC-3), unless the request forces
/// a new authentication (`prompt=login`, `max_age` passed, another account).
pub(crate) async fn txn_of(
    state: &AppState,
    headers: &HeaderMap,
    record: &Interaction,
) -> Result<LoginTxn, pforte_identity::IdentityError> {
    if let Some(txn) = &record.txn {
        return Ok(txn.clone());
    }
    let now = state.clock.now();
    if record.target.force_reauthentication {
        return Ok(LoginTxn::fresh(now));
    }
    let secure = state.settings.secure_cookies;
    let Some(sid) = cookies::read(headers, CookieKind::Session, secure) else {
        return Ok(LoginTxn::fresh(now));
    };
    let Some(session) = state.identity.live_session(&sid).await? else {
        return Ok(LoginTxn::fresh(now));
    };
    if record
        .target
        .required_account
        .is_some_and(|required| required != session.account_id)
    {
        return Ok(LoginTxn::fresh(now));
    }
    let username = state
        .identity
        .account(session.account_id)
        .await?
        .map(|account| account.username)
        .unwrap_or_default();
    Ok(LoginTxn::from_session(
        session.account_id,
        &username,
        &session.evidence,
        now,
    ))
}

/// Saves the interaction and sends the browser to `path`.
async fn save_and_go(
    state: &AppState,
    id: &str,
    record: &Interaction,
    path: &str,
    locale: &Look,
    request_id: &str,
) -> Response {
    match interaction::save(
        state.ephemeral.as_ref(),
        id,
        record,
        state.settings.interaction_ttl,
    )
    .await
    {
        Ok(()) => respond::see_other(&format!("{path}?interaction={id}")),
        Err(error) => respond::internal_error_page(state, locale, &error, request_id),
    }
}

/// Sends the login to its next prompt (see the module documentation).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn advance(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    mut record: Interaction,
    txn: LoginTxn,
    locale: &Look,
    request_id: &str,
    context: &RequestContext,
) -> Response {
    let plan = match state.identity.plan_for(&record.target) {
        Ok(plan) => plan,
        Err(error) => return respond::internal_error_page(state, locale, &error, request_id),
    };
    let next = match state.identity.next_prompt(&plan, &txn).await {
        Ok(next) => next,
        Err(error) => return respond::internal_error_page(state, locale, &error, request_id),
    };
    record.txn = Some(txn.clone());
    match next {
        Next::Identify => save_and_go(state, id, &record, "/login", locale, request_id).await,
        Next::Refuse(Gate::MembershipEnded) => {
            tracing::info!(request_id, "login refused: membership ended");
            record.txn = Some(LoginTxn::fresh(state.clock.now()));
            // The password was right: a clear answer harms no one (R-ID-4).
            save_and_go(state, id, &record, "/login", locale, request_id)
                .await
                .map_location(|location| format!("{location}&refused=membership_ended"))
        }
        Next::Refuse(Gate::AwaitingActivation) => {
            // The password was right: the code from the letter comes next
            // (R-RG-4).
            save_and_go(state, id, &record, "/login/activate", locale, request_id).await
        }
        Next::Refuse(Gate::EmailUnconfirmed) => {
            confirm_email_first(state, id, &record, &txn, locale, request_id, context).await
        }
        Next::Refuse(gate) => {
            tracing::info!(request_id, ?gate, "login refused by the account gate");
            record.txn = Some(LoginTxn::fresh(state.clock.now()));
            // The same answer as for a wrong password (R-LO-4).
            save_and_go(state, id, &record, "/login", locale, request_id)
                .await
                .map_location(|location| format!("{location}&refused=1"))
        }
        Next::Prove { .. } => {
            save_and_go(state, id, &record, "/login/factor", locale, request_id).await
        }
        Next::Enrol { .. }
        | Next::Action(
            RequiredAction::EnrolSecondFactor
            | RequiredAction::VerifyPhone
            | RequiredAction::VerifyEmail,
        ) => save_and_go(state, id, &record, "/login/enrol", locale, request_id).await,
        Next::Action(RequiredAction::ChangeInitialPassword) => {
            record.password_change = txn.account_id;
            save_and_go(state, id, &record, "/password/change", locale, request_id).await
        }
        Next::Action(RequiredAction::AcceptTerms) => {
            save_and_go(state, id, &record, "/login/terms", locale, request_id).await
        }
        Next::Unmet(unmet) => {
            tracing::info!(request_id, class = %unmet.class, "assurance level cannot be met");
            let description = "the account has no factor for the requested assurance level";
            let error = if record.target.essential_acr {
                OAuthError::unmet_authentication_requirements(description)
            } else {
                OAuthError::access_denied(description)
            };
            abort(state, headers, id, locale, request_id, &error).await
        }
        Next::Done(reached) => {
            finish(
                state, headers, id, record, &txn, &reached, locale, request_id, context,
            )
            .await
        }
    }
}

/// A registered account whose e-mail address is unconfirmed logs in: a new
/// code is sent and the login continues to the confirmation (R-RG-3).
async fn confirm_email_first(
    state: &AppState,
    id: &str,
    record: &Interaction,
    txn: &LoginTxn,
    locale: &Look,
    request_id: &str,
    context: &RequestContext,
) -> Response {
    let (Some(registrar), Some(account_id)) = (&state.registrar, txn.account_id) else {
        return save_and_go(state, id, record, "/login", locale, request_id)
            .await
            .map_location(|location| format!("{location}&refused=1"));
    };
    let account = match state.identity.account(account_id).await {
        Ok(Some(account)) => account,
        Ok(None) => return save_and_go(state, id, record, "/login", locale, request_id).await,
        Err(error) => return respond::internal_error_page(state, locale, &error, request_id),
    };
    let email = account.email.clone().unwrap_or_default();
    if let Err(error) = registrar
        .send_email_code(
            account_id,
            &account.username,
            &email,
            locale.locale,
            context,
        )
        .await
    {
        return respond::internal_error_page(state, locale, &error, request_id);
    }
    if let Err(error) =
        super::register::remember(state, id, account_id, state.settings.interaction_ttl).await
    {
        return respond::internal_error_page(state, locale, &error, request_id);
    }
    save_and_go(state, id, record, "/register/confirm", locale, request_id).await
}

/// Ends the interaction with an error for the client (RFC 6749 4.1.2.1),
/// through the core's response encoder so `iss` and `state` are set.
pub(crate) async fn abort(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    locale: &Look,
    request_id: &str,
    error: &OAuthError,
) -> Response {
    match interaction::take(state.ephemeral.as_ref(), id).await {
        Ok(Some(record)) => {
            let response = state.oauth.abort_authorization(&record.pending, error);
            respond::authorization_response(state, locale, &response)
        }
        Ok(None) => expired(state, headers),
        Err(error) => respond::internal_error_page(state, locale, &error, request_id),
    }
}

/// The login reached its level: a new session (the previous one ends, so a
/// login always rotates the session id), then consent or the answer to the
/// client.
#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    record: Interaction,
    txn: &LoginTxn,
    reached: &Reached,
    locale: &Look,
    request_id: &str,
    context: &RequestContext,
) -> Response {
    let secure = state.settings.secure_cookies;
    if let Some(old_sid) = cookies::read(headers, CookieKind::Session, secure)
        && let Err(error) = state
            .identity
            .end_session(
                &old_sid,
                pforte_identity::session::SessionEndReason::Replaced,
            )
            .await
    {
        tracing::warn!(request_id, %error, "previous session not ended");
    }
    let session = match state.identity.finish_login(txn, reached, context).await {
        Ok(session) => session,
        Err(error) => return respond::internal_error_page(state, locale, &error, request_id),
    };
    tracing::info!(request_id, acr = %session.acr, "login succeeded");
    let result = AuthResult {
        account_id: session.account_id,
        acr: session.acr.clone(),
        amr: session.amr.clone(),
        auth_time: session.auth_time,
        sid: session.sid.clone(),
        evidence: session.evidence.clone(),
    };
    let mut response = if record.target.consent_required {
        let waiting = Interaction {
            login: Some(result),
            password_change: None,
            txn: None,
            ..record
        };
        match interaction::save(
            state.ephemeral.as_ref(),
            id,
            &waiting,
            state.settings.interaction_ttl,
        )
        .await
        {
            Ok(()) => respond::see_other(&format!("/consent?interaction={id}")),
            Err(error) => respond::internal_error_page(state, locale, &error, request_id),
        }
    } else {
        match interaction::take(state.ephemeral.as_ref(), id).await {
            Ok(Some(record)) => {
                let outcome = state
                    .oauth
                    .resume_authorization(&record.pending, &result, ConsentDecision::NotAsked)
                    .await;
                answer(
                    state,
                    locale,
                    outcome,
                    Some(&session.sid),
                    &record.pending.client_id,
                    request_id,
                )
                .await
            }
            Ok(None) => expired(state, headers),
            Err(error) => respond::internal_error_page(state, locale, &error, request_id),
        }
    };
    if let Some(cookie) = cookies::set(
        CookieKind::Session,
        &session.sid,
        secure,
        state.settings.session_ttl,
    ) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// One step page's request: the interaction, its transaction, language and
/// who is asking (for throttling and the audit trail).
pub(crate) struct Step {
    pub id: String,
    pub record: Interaction,
    pub txn: LoginTxn,
    pub locale: Look,
    pub request_id: String,
    pub context: RequestContext,
}

impl Step {
    /// The planner's next prompt for this step's transaction; a failure is
    /// already the error page.
    pub(crate) async fn next_prompt(&self, state: &AppState) -> Result<Next, Response> {
        let error_page = |error: pforte_identity::IdentityError| {
            respond::internal_error_page(state, &self.locale, &error, &self.request_id)
        };
        let plan = state
            .identity
            .plan_for(&self.record.target)
            .map_err(error_page)?;
        state
            .identity
            .next_prompt(&plan, &self.txn)
            .await
            .map_err(error_page)
    }

    /// The user abandoned the login on this step (`access_denied`).
    pub(crate) async fn cancel(&self, state: &AppState, headers: &HeaderMap) -> Response {
        super::login::cancel_interaction(state, headers, &self.id, &self.locale, &self.request_id)
            .await
    }

    /// Hands the login with `txn` to [`advance`].
    pub(crate) async fn advance(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        txn: LoginTxn,
    ) -> Response {
        advance(
            state,
            headers,
            &self.id,
            self.record.clone(),
            txn,
            &self.locale,
            &self.request_id,
            &self.context,
        )
        .await
    }
}

/// Loads the interaction of a step page; for a POST (`csrf_token` given)
/// also checks that the form is genuine. Any failure is already the page
/// to answer with.
pub(crate) async fn load_step(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    id: &str,
    csrf_token: Option<Option<&str>>,
) -> Result<Step, Response> {
    let request_id = respond::request_id(headers);
    let record = match interaction::load(state.ephemeral.as_ref(), id).await {
        Ok(Some(record)) => record,
        Ok(None) => return Err(expired(state, headers)),
        Err(error) => {
            let locale = &respond::look(state, headers, &[], None);
            return Err(respond::internal_error_page(
                state,
                locale,
                &error,
                &request_id,
            ));
        }
    };
    let locale = &super::login::locale_of(state, headers, &record);
    if let Some(token) = csrf_token
        && !super::login::form_is_genuine(state, headers, &record, token)
    {
        return Err(super::login::forged(state, headers, locale));
    }
    let Some(txn) = record.txn.clone() else {
        return Err(expired(state, headers));
    };
    let context =
        super::login::request_context(headers, peer, &record.pending.client_id, &request_id);
    Ok(Step {
        id: id.to_owned(),
        record,
        txn,
        locale: locale.clone(),
        request_id,
        context,
    })
}

/// Saves the transaction after a failed entry (its failure count).
pub(crate) async fn save_txn(
    state: &AppState,
    step: &Step,
    txn: &LoginTxn,
) -> Result<(), Response> {
    let record = Interaction {
        txn: Some(txn.clone()),
        ..step.record.clone()
    };
    interaction::save(
        state.ephemeral.as_ref(),
        &step.id,
        &record,
        state.settings.interaction_ttl,
    )
    .await
    .map_err(|error| respond::internal_error_page(state, &step.locale, &error, &step.request_id))
}

/// Too many wrong codes: the login starts again with the password, whose
/// lockout then counts (R-LO-1).
pub(crate) async fn restart(state: &AppState, step: &Step) -> Response {
    let record = Interaction {
        txn: Some(LoginTxn::fresh(state.clock.now())),
        ..step.record.clone()
    };
    save_and_go(
        state,
        &step.id,
        &record,
        "/login",
        &step.locale,
        &step.request_id,
    )
    .await
}

/// Adds to the `Location` of a redirect.
trait MapLocation {
    fn map_location(self, change: impl FnOnce(&str) -> String) -> Self;
}

impl MapLocation for Response {
    fn map_location(mut self, change: impl FnOnce(&str) -> String) -> Self {
        let changed = self
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(change)
            .and_then(|location| axum::http::HeaderValue::from_str(&location).ok());
        if let Some(location) = changed {
            self.headers_mut().insert(header::LOCATION, location);
        }
        self
    }
}
