//! What an operator does with a login name's lockout (R-LO-2, R-LO-6,
//! R-OP-1): look at it, lift a lock, reactivate a deactivated account. Each
//! change is an audit event written with the state.

use crate::account::Account;
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::login::reason_text;
use crate::ports::{CounterKey, Transition};
use crate::service::{IdentityError, IdentityService};
use chrono::{DateTime, Utc};
use pforte_policy::LockState;

/// What `pforte user show` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    pub account: Account,
    pub state: AccountState,
    /// Consecutive failed logins since the last successful one.
    pub failures: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub must_change_password: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    Active,
    Locked,
    Deactivated,
}

impl AccountState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Deactivated => "deactivated",
        }
    }
}

/// The result of an operator action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorChange {
    Changed,
    /// Nothing to do: the account was not locked / not deactivated.
    Unchanged,
    /// `unlock` of a deactivated account: it needs `reactivate`.
    Deactivated,
}

impl IdentityService {
    /// Writes one audit event of an operator action that changes no account
    /// (a client edited, keys rotated, R-OP-1): `subject_client` is the
    /// relying party acted on, `context.operator` the operator.
    pub async fn audit_operator_action(
        &self,
        kind: AuditKind,
        subject_client: Option<&str>,
        detail: Option<String>,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let event = AuditEvent {
            at: self.clock.now(),
            kind,
            account: None,
            username: None,
            client: subject_client
                .map(str::to_owned)
                .or_else(|| context.client_id.clone()),
            ip: context.ip.map(|ip| ip.to_string()),
            user_agent: context.user_agent.clone(),
            request_id: context.request_id.clone(),
            detail,
            operator: context.operator.clone(),
        };
        self.guard()?.lockout.append_audit(&[event]).await?;
        Ok(())
    }

    pub(crate) async fn account_named(&self, username: &str) -> Result<Account, IdentityError> {
        let guard = self.guard()?;
        let name = guard
            .policy
            .identifiers
            .classify(username)
            .map(|identifier| identifier.as_str().to_owned())
            .unwrap_or_else(|_| username.trim().to_owned());
        self.accounts
            .find_by_username(&name)
            .await?
            .ok_or_else(|| IdentityError::UnknownAccount(username.to_owned()))
    }

    /// State, failures and lock end of an account.
    pub async fn account_status(&self, username: &str) -> Result<AccountStatus, IdentityError> {
        let guard = self.guard()?;
        let account = self.account_named(username).await?;
        let key = CounterKey::for_account(account.id, &account.username);
        let record = guard.lockout.lock_record(&key.key).await?;
        let now = self.clock.now();
        let (state, failures, last_failure_at) = match &record {
            Some(record) => (record.state, record.failures, record.last_failure_at),
            None => (LockState::default(), 0, None),
        };
        let locked_until = state.locked_until(now);
        let shown = if state.is_deactivated() {
            AccountState::Deactivated
        } else if locked_until.is_some() {
            AccountState::Locked
        } else {
            AccountState::Active
        };
        let must_change_password = guard
            .credentials
            .password_state(account.id)
            .await?
            .must_change;
        Ok(AccountStatus {
            account,
            state: shown,
            failures,
            locked_until,
            last_failure_at,
            must_change_password,
        })
    }

    /// Lifts a running lock (`pforte user unlock`).
    pub async fn unlock(
        &self,
        username: &str,
        context: &RequestContext,
    ) -> Result<OperatorChange, IdentityError> {
        let guard = self.guard()?;
        let account = self.account_named(username).await?;
        let key = CounterKey::for_account(account.id, &account.username);
        let now = self.clock.now();
        let step = |state: LockState| match state {
            LockState::Locked { .. } => Transition {
                state: LockState::cleared(),
                failed_at: None,
                events: vec![
                    AuditEvent::new(
                        AuditKind::AccountUnlocked,
                        now,
                        Some(account.id),
                        &account.username,
                        context,
                    )
                    .with_detail("operator"),
                ],
            },
            other => Transition {
                state: other,
                failed_at: None,
                events: Vec::new(),
            },
        };
        let (before, _) = guard.lockout.update_lock_state(&key, &step).await?;
        Ok(match before {
            LockState::Locked { until, .. } if until > now => OperatorChange::Changed,
            LockState::Locked { .. } => OperatorChange::Unchanged,
            LockState::Deactivated { .. } => OperatorChange::Deactivated,
            LockState::Open { .. } => OperatorChange::Unchanged,
        })
    }

    /// Lifts a deactivation (`pforte user reactivate`, R-LO-2).
    pub async fn reactivate(
        &self,
        username: &str,
        context: &RequestContext,
    ) -> Result<OperatorChange, IdentityError> {
        let guard = self.guard()?;
        let account = self.account_named(username).await?;
        let key = CounterKey::for_account(account.id, &account.username);
        let now = self.clock.now();
        let step = |state: LockState| match state {
            LockState::Deactivated { reason } => Transition {
                state: LockState::cleared(),
                failed_at: None,
                events: vec![
                    AuditEvent::new(
                        AuditKind::AccountReactivated,
                        now,
                        Some(account.id),
                        &account.username,
                        context,
                    )
                    .with_detail(format!("operator was={}", reason_text(reason))),
                ],
            },
            other => Transition {
                state: other,
                failed_at: None,
                events: Vec::new(),
            },
        };
        let (before, _) = guard.lockout.update_lock_state(&key, &step).await?;
        Ok(if before.is_deactivated() {
            OperatorChange::Changed
        } else {
            OperatorChange::Unchanged
        })
    }

    /// Accounts matching `text` for the admin console's search (R-OP-1): a
    /// login name in its canonical form (e.g. a KVNR typed with spaces)
    /// finds its account first, then username, e-mail and name contain
    /// `text`; at most `limit`.
    pub async fn search_accounts(
        &self,
        text: &str,
        limit: u64,
    ) -> Result<Vec<Account>, IdentityError> {
        let mut found = Vec::new();
        if let Ok(account) = self.account_named(text).await {
            found.push(account);
        }
        for account in self.accounts.search_accounts(text, limit).await? {
            if found.len() as u64 >= limit {
                break;
            }
            if !found.iter().any(|known| known.id == account.id) {
                found.push(account);
            }
        }
        Ok(found)
    }

    /// The newest `limit` audit events of an account, newest first (the
    /// console's timeline, R-OP-1, R-OP-3).
    pub async fn account_timeline(
        &self,
        account: crate::account::Account,
        limit: u64,
    ) -> Result<Vec<AuditEvent>, IdentityError> {
        let guard = self.guard()?;
        let query = crate::audit::AuditQuery {
            account: Some(account.id),
            newest_first: true,
            limit: Some(limit),
            ..Default::default()
        };
        Ok(guard.lockout.audit_events(&query).await?)
    }

    /// The audit trail for `pforte audit list`.
    pub async fn audit_events(
        &self,
        username: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<AuditEvent>, IdentityError> {
        let guard = self.guard()?;
        let mut query = crate::audit::AuditQuery {
            since,
            ..Default::default()
        };
        if let Some(username) = username {
            match self.account_named(username).await {
                Ok(account) => query.account = Some(account.id),
                Err(IdentityError::UnknownAccount(_)) => {
                    let name = guard
                        .policy
                        .identifiers
                        .classify(username)
                        .map(|identifier| identifier.as_str().to_owned())
                        .unwrap_or_else(|_| username.trim().to_owned());
                    query.username = Some(name);
                }
                Err(error) => return Err(error),
            }
        }
        Ok(guard.lockout.audit_events(&query).await?)
    }
}
