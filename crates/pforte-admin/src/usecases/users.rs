//! The operator's work with user accounts (R-OP-1, R-LO-2, R-LO-6): search,
//! the detail view, the audit timeline, unlock and reactivate, a password
//! reset and a new activation letter sent for the user. Each function
//! asks for its one permission first and names the operator in the audit
//! events it causes. The console and the admin API call these functions.

use chrono::{DateTime, NaiveDate, Utc};
use pforte_identity::audit::AuditEvent;
use pforte_identity::operator::{AccountState, OperatorChange};
use pforte_identity::operator_roles::Permission;
use pforte_identity::recovery::ResetChannel;
use pforte_identity::registration::service::RegistrationError;
use pforte_identity::{IdentityError, RequestContext};
use serde::Serialize;

use crate::error::AdminError;
use crate::operator::Operator;
use crate::state::AdminState;
use crate::usecases::letters::PendingLetter;

/// At most this many accounts per search.
pub const SEARCH_LIMIT: u64 = 50;
/// At most this many events in a user's timeline.
pub const TIMELINE_LIMIT: u64 = 100;

/// One account in a search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub name: String,
}

/// What an operator sees of an account (no secrets: labels and methods of
/// factors, handles of sessions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserDetail {
    pub summary: UserSummary,
    /// `active`, `locked` or `deactivated`.
    pub state: &'static str,
    pub failures: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    pub email_verified: bool,
    pub factors: Vec<FactorView>,
    pub recovery_codes_left: usize,
    pub sessions: Vec<SessionView>,
    /// The member link of a registered account (R-RG-4); `None` otherwise.
    pub member: Option<MemberView>,
    /// Letters of the account waiting for the next print batch.
    pub letters: Vec<PendingLetter>,
}

/// The registration stage of an account (never the KVNR itself: the link
/// holds only its keyed digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberView {
    /// `email_unconfirmed`, `awaiting_activation`, `active` or
    /// `membership_ended`.
    pub stage: &'static str,
    /// `letter`, `ident`, `invitation`, …
    pub proofing: &'static str,
    pub registered_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactorView {
    pub method: &'static str,
    pub label: String,
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionView {
    /// A digest of the session id (never the id itself).
    pub handle: String,
    pub created_at: DateTime<Utc>,
    pub acr: String,
    pub clients: Vec<String>,
}

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: &'static str,
    pub detail: Option<String>,
    pub client: Option<String>,
    pub operator: Option<String>,
}

impl From<&AuditEvent> for TimelineEntry {
    fn from(event: &AuditEvent) -> Self {
        Self {
            at: event.at,
            kind: event.kind.as_str(),
            detail: event.detail.clone(),
            client: event.client.clone(),
            operator: event.operator.clone(),
        }
    }
}

/// What an unlock or reactivation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOutcome {
    Changed,
    Unchanged,
    /// Unlock of a deactivated account: it needs a reactivation.
    NeedsReactivation,
}

impl From<OperatorChange> for ChangeOutcome {
    fn from(change: OperatorChange) -> Self {
        match change {
            OperatorChange::Changed => Self::Changed,
            OperatorChange::Unchanged => Self::Unchanged,
            OperatorChange::Deactivated => Self::NeedsReactivation,
        }
    }
}

fn summary(account: &pforte_identity::account::Account) -> UserSummary {
    let name = [
        account.given_name.as_deref(),
        account.family_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    UserSummary {
        id: account.id.to_string(),
        username: account.username.clone(),
        email: account.email.clone(),
        name,
    }
}

/// An unknown username is "not found", not a failure.
fn not_found(username: &str) -> impl FnOnce(IdentityError) -> AdminError + '_ {
    move |error| match error {
        IdentityError::UnknownAccount(_) => AdminError::NotFound(username.to_owned()),
        other => AdminError::Identity(other),
    }
}

/// Accounts whose username (or KVNR login name), e-mail or name contains
/// `text`, and the account linked to the member when `text` is a KVNR; at most [`SEARCH_LIMIT`] (R-OP-1 "find users").
pub async fn search_users(
    state: &AdminState,
    operator: &Operator,
    text: &str,
) -> Result<Vec<UserSummary>, AdminError> {
    operator.require(Permission::SearchUsers)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    if text.chars().count() > 200 {
        return Err(AdminError::Invalid("q: at most 200 characters".to_owned()));
    }
    let mut accounts = state
        .web
        .identity
        .search_accounts(text, SEARCH_LIMIT)
        .await?;
    // A KVNR also finds the account linked to that member, whatever its
    // login name (R-RG-1: the username may be chosen freely).
    if let Some(registrar) = state.web.registrar.as_ref()
        && let Some(id) = registrar.account_of_kvnr(text).await?
        && !accounts.iter().any(|account| account.id == id)
        && let Some(account) = state.web.identity.account(id).await?
    {
        accounts.insert(0, account);
        accounts.truncate(SEARCH_LIMIT as usize);
    }
    Ok(accounts.iter().map(summary).collect())
}

/// State and lock, factors (WebAuthn keys included), sessions of an account.
pub async fn user_detail(
    state: &AdminState,
    operator: &Operator,
    username: &str,
) -> Result<UserDetail, AdminError> {
    operator.require(Permission::ViewUser)?;
    let identity = &state.web.identity;
    let status = identity
        .account_status(username)
        .await
        .map_err(not_found(username))?;
    let (factors, recovery_codes_left) = match identity.factor_overview(username).await {
        Ok(overview) => (overview.factors, overview.recovery_codes_left),
        // An installation without second factors has none to show.
        Err(IdentityError::NotConfigured) => (Vec::new(), 0),
        Err(error) => return Err(error.into()),
    };
    let sessions = identity.sessions_of(status.account.id).await?;
    let member = match state.web.registrar.as_ref() {
        Some(registrar) => registrar
            .link_of_account(status.account.id)
            .await?
            .map(|link| MemberView {
                stage: link.stage.as_str(),
                proofing: link.proofing.as_str(),
                registered_at: link.registered_at,
                activated_at: link.activated_at,
            }),
        None => None,
    };
    let letters = state
        .letters
        .of_account(status.account.id)
        .await
        .map_err(|error| {
            AdminError::Store(pforte_types::StoreError::Unavailable(error.to_string()))
        })?
        .iter()
        .filter(|letter| letter.exported_at.is_none())
        .map(PendingLetter::from)
        .collect();
    Ok(UserDetail {
        summary: summary(&status.account),
        state: status.state.as_str(),
        failures: status.failures,
        locked_until: status.locked_until,
        last_failure_at: status.last_failure_at,
        must_change_password: status.must_change_password,
        email_verified: status.account.email_verified,
        factors: factors
            .iter()
            .map(|factor| FactorView {
                method: factor.method.as_str(),
                label: factor.label.clone(),
                confirmed: factor.confirmed,
                created_at: factor.created_at,
                last_used_at: factor.last_used_at,
            })
            .collect(),
        recovery_codes_left,
        sessions: sessions
            .iter()
            .map(|session| SessionView {
                handle: session.handle(),
                created_at: session.created_at,
                acr: session.acr.clone(),
                clients: session.clients.clone(),
            })
            .collect(),
        member,
        letters,
    })
}

/// The newest [`TIMELINE_LIMIT`] audit events of an account, newest first.
pub async fn user_timeline(
    state: &AdminState,
    operator: &Operator,
    username: &str,
) -> Result<Vec<TimelineEntry>, AdminError> {
    operator.require(Permission::ViewAuditTrail)?;
    let identity = &state.web.identity;
    let account = identity
        .account_status(username)
        .await
        .map_err(not_found(username))?
        .account;
    let events = identity.account_timeline(account, TIMELINE_LIMIT).await?;
    Ok(events.iter().map(TimelineEntry::from).collect())
}

/// Lifts a running lock (R-LO-2); the `account_unlocked` event names the
/// operator (R-LO-6).
pub async fn unlock_user(
    state: &AdminState,
    operator: &Operator,
    username: &str,
    context: RequestContext,
) -> Result<ChangeOutcome, AdminError> {
    operator.require(Permission::UnlockUser)?;
    let change = state
        .web
        .identity
        .unlock(username, &operator.context(context))
        .await
        .map_err(not_found(username))?;
    Ok(change.into())
}

/// Lifts a deactivation (R-LO-2); `account_reactivated` names the operator.
pub async fn reactivate_user(
    state: &AdminState,
    operator: &Operator,
    username: &str,
    context: RequestContext,
) -> Result<ChangeOutcome, AdminError> {
    operator.require(Permission::ReactivateUser)?;
    let change = state
        .web
        .identity
        .reactivate(username, &operator.context(context))
        .await
        .map_err(not_found(username))?;
    Ok(change.into())
}

/// Whether the account is locked or deactivated (for the buttons shown).
pub fn is_locked(detail: &UserDetail) -> bool {
    detail.state == AccountState::Locked.as_str()
}

/// What a password reset triggered by an operator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ResetOutcome {
    /// The reset message went to the verified address on this channel
    /// (`email` or `sms`), or, when one was sent moments ago, that message
    /// is still valid (the recovery's own resend rule).
    Sent { channel: &'static str },
    /// The account has neither a verified e-mail address nor a verified
    /// mobile number: nothing was sent.
    NoVerifiedAddress,
}

/// Sends the account's password reset message exactly as its own "forgot
/// password" would (R-RC-1: the recovery of pforte-identity, its codes and
/// its `password_reset_requested` event, which here names the operator).
/// The verified e-mail address is preferred over the verified number.
pub async fn trigger_password_reset(
    state: &AdminState,
    operator: &Operator,
    username: &str,
    language: &str,
    context: RequestContext,
) -> Result<ResetOutcome, AdminError> {
    operator.require(Permission::TriggerPasswordReset)?;
    let identity = &state.web.identity;
    let account = identity
        .account_status(username)
        .await
        .map_err(not_found(username))?
        .account;
    let channel = if account.email.is_some() && account.email_verified {
        ResetChannel::Email
    } else if account.phone.is_some() && account.phone_verified {
        ResetChannel::Sms
    } else {
        return Ok(ResetOutcome::NoVerifiedAddress);
    };
    identity
        .request_password_reset(
            &account.username,
            channel,
            language,
            &operator.context(context),
        )
        .await?;
    Ok(ResetOutcome::Sent {
        channel: channel.as_str(),
    })
}

/// What a resent activation letter did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum LetterOutcome {
    /// A new code is in the print queue; the earlier one is void.
    Queued { valid_until: NaiveDate },
    /// The account is not waiting for its activation letter.
    NotAwaitingActivation,
    /// The member record has no postal address to print.
    NoPostalAddress,
}

/// Issues a new activation code and queues its letter (R-RG-4), exactly as
/// the user's own "new letter" request: the registration's lifecycle voids
/// the earlier code; `activation_letter_requested` names the operator.
pub async fn resend_activation_letter(
    state: &AdminState,
    operator: &Operator,
    username: &str,
    language: &str,
    context: RequestContext,
) -> Result<LetterOutcome, AdminError> {
    operator.require(Permission::ResendActivationLetter)?;
    let account = state
        .web
        .identity
        .account_status(username)
        .await
        .map_err(not_found(username))?
        .account;
    // Without self-registration no account waits for a letter.
    let Some(registrar) = state.web.registrar.as_ref() else {
        return Ok(LetterOutcome::NotAwaitingActivation);
    };
    match registrar
        .request_new_letter(account.id, language, &operator.context(context))
        .await
    {
        Ok(valid_until) => Ok(LetterOutcome::Queued { valid_until }),
        Err(RegistrationError::WrongStage) => Ok(LetterOutcome::NotAwaitingActivation),
        Err(RegistrationError::NoPostalAddress) => Ok(LetterOutcome::NoPostalAddress),
        Err(RegistrationError::Identity(error)) => Err(error.into()),
        Err(other) => Err(AdminError::Invalid(other.to_string())),
    }
}
