//! The operator's work with user accounts (R-OP-1, R-LO-2, R-LO-6): search,
//! the detail view, the audit timeline, unlock and reactivate. Each function
//! asks for its one permission first and names the operator in the audit
//! events it causes. The console and the admin API call these functions.

use chrono::{DateTime, Utc};
use pforte_identity::audit::AuditEvent;
use pforte_identity::operator::{AccountState, OperatorChange};
use pforte_identity::operator_roles::Permission;
use pforte_identity::{IdentityError, RequestContext};
use serde::Serialize;

use crate::error::AdminError;
use crate::operator::Operator;
use crate::state::AdminState;

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
/// `text`; at most [`SEARCH_LIMIT`] (R-OP-1 "find users").
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
    let accounts = state
        .web
        .identity
        .search_accounts(text, SEARCH_LIMIT)
        .await?;
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
