//! The password login with lockout (R-ID-2, R-LO-1 … R-LO-5, R-PW-1, R-PW-3).
//!
//! Order of one attempt (DESIGN.md §4, knowledge step):
//! 1. The login name is classified by the policy; a malformed KVNR is refused
//!    with a precise message before anything is looked up (R-ID-2).
//! 2. A source over its per-IP / per-network limit is refused (R-LO-5).
//! 3. The attempt is *reserved* in one atomic store operation before any hash
//!    is checked: the lockout machine counts it as a failure in advance
//!    ([`reserve`]), so parallel attempts never get more than N tries (R-LO-3).
//!    Unknown names have their own counter and are locked like real ones.
//! 4. The password is verified against the account's hash, or against the
//!    dummy hash for an unknown name or a refused attempt, so every answer
//!    costs one verification (R-LO-4). The verification runs on the bounded
//!    hashing pool; its place in the queue is taken before step 3, so a login
//!    refused under load ([`IdentityError::Busy`], R-OP-3) counts nothing.
//! 5. A correct password clears the counter; a wrong one was already counted.
//!
//! Every refusal is the one [`IdentityError::InvalidCredentials`]; the reason
//! goes to the audit trail only.

use crate::account::Account;
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::metrics::{self, LoginResult};
use crate::ports::{CounterKey, Transition};
use crate::service::{IdentityError, IdentityService};
use chrono::{DateTime, SecondsFormat, Utc};
use pforte_policy::Identifier;
use pforte_policy::lockout::events as lock_events;
use pforte_policy::{
    AttemptOutcome, DeactivationReason, Decision, LockState, LockoutEvent, LockoutPolicy, Refusal,
    ThrottleDecision, decide,
};
use pforte_types::AccountId;

/// A successful password check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    pub account: Account,
    /// The password is an initial one: the user must choose a new one before
    /// the login completes (R-PW-3).
    pub must_change_password: bool,
}

impl IdentityService {
    /// Checks a login name and password under the tenant's policy (see the
    /// module documentation for the order of the steps).
    pub async fn login(
        &self,
        input: &str,
        password: &str,
        context: &RequestContext,
    ) -> Result<LoginOutcome, IdentityError> {
        let guard = self.guard()?;
        let policy = guard.policy.clone();
        let identifier = policy
            .identifiers
            .classify(input)
            .map_err(IdentityError::InvalidIdentifier)?;
        let name = identifier.as_str().to_owned();
        let now = self.clock.now();

        if let Some(ip) = context.ip
            && let ThrottleDecision::Throttle { retry_after } =
                self.throttle.check(&policy.throttle, ip, now).await?
        {
            let event =
                AuditEvent::new(AuditKind::LoginFailed, now, None, &name, context).with_detail(
                    format!("throttled retry_after={}s", retry_after.num_seconds()),
                );
            guard.lockout.append_audit(&[event]).await?;
            metrics::login(LoginResult::Throttled);
            return Err(IdentityError::InvalidCredentials);
        }

        let account = match &identifier {
            Identifier::Email(email) => self.accounts.find_by_verified_email(email).await?,
            Identifier::Kvnr(_) | Identifier::Username(_) => {
                self.accounts.find_by_username(&name).await?
            }
        };
        let account_id = account.as_ref().map(|account| account.id);
        // A place in the hashing queue before the attempt is reserved: a
        // refusal under load (R-OP-3) then leaves no trace in the counters.
        let admission = self.hasher.admit().inspect_err(|_| {
            metrics::login(LoginResult::Busy);
        })?;
        let key = match account_id {
            Some(id) => CounterKey::for_account(id, &name),
            None => CounterKey::for_unknown_name(&name),
        };
        let lockout = policy.lockout;
        let reserve_step =
            |state: LockState| reserve(state, now, &lockout, account_id, &name, context);
        let (before, _) = guard.lockout.update_lock_state(&key, &reserve_step).await?;
        let admitted = is_admitted(before, now, &lockout);

        let candidate = password.to_owned();
        let stored = account
            .as_ref()
            .filter(|_| admitted)
            .map(|account| account.password_hash.clone());
        let verified = self
            .hasher
            .run_admitted(admission, move |hashing| match stored {
                Some(hash) => hashing.verify(&candidate, &hash),
                None => {
                    hashing.verify_against_dummy(&candidate);
                    false
                }
            })
            .await?;
        let (Some(account), true) = (account, verified) else {
            if !admitted {
                metrics::login(LoginResult::Locked);
            }
            if admitted {
                let (_, decision) = decide(before, AttemptOutcome::WrongPassword, now, &lockout);
                metrics::login(LoginResult::Failure);
                match decision {
                    Decision::Refuse(Refusal::LockedNow { .. }) => {
                        metrics::account_locked("locked")
                    }
                    Decision::Refuse(Refusal::DeactivatedNow { .. }) => {
                        metrics::account_locked("deactivated")
                    }
                    _ => {}
                }
                let event =
                    AuditEvent::new(AuditKind::LoginFailed, now, account_id, &name, context)
                        .with_detail(attempt_detail(account_id.is_none(), &decision));
                guard.lockout.append_audit(&[event]).await?;
            }
            if let Some(ip) = context.ip {
                self.throttle
                    .record_failure(&policy.throttle, ip, now)
                    .await?;
            }
            return Err(IdentityError::InvalidCredentials);
        };

        let success_step = |state: LockState| succeed(state, now, account.id, &name, context);
        let (_, after) = guard.lockout.update_lock_state(&key, &success_step).await?;
        if after.is_deactivated() {
            metrics::login(LoginResult::Locked);
            return Err(IdentityError::InvalidCredentials);
        }
        metrics::login(LoginResult::Success);
        let account = self
            .rehash_if_needed(account, password, &name, context)
            .await;
        let must_change_password = policy.password.must_change_at_login(
            guard
                .credentials
                .password_state(account.id)
                .await?
                .must_change,
        );
        Ok(LoginOutcome {
            account,
            must_change_password,
        })
    }

    /// [`IdentityService::login`] without request context, for callers that
    /// only need the account.
    pub async fn login_with_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Account, IdentityError> {
        self.login(username, password, &RequestContext::default())
            .await
            .map(|outcome| outcome.account)
    }

    /// Replaces a hash made with other Argon2 parameters (R-PW-1). A failure
    /// to store it does not fail the login: the old hash still verifies.
    async fn rehash_if_needed(
        &self,
        account: Account,
        password: &str,
        name: &str,
        context: &RequestContext,
    ) -> Account {
        if !self.hasher.needs_rehash(&account.password_hash) {
            return account;
        }
        let Ok(guard) = self.guard() else {
            return account;
        };
        let Ok(new_hash) = self.hasher.hash(password).await else {
            return account;
        };
        let now = self.clock.now();
        let event = AuditEvent::new(
            AuditKind::PasswordRehashed,
            now,
            Some(account.id),
            name,
            context,
        )
        .with_detail(format!("from={}", hash_parameters(&account.password_hash)));
        match guard
            .credentials
            .rehash_password(account.id, &new_hash, now, &event)
            .await
        {
            Ok(()) => Account {
                password_hash: new_hash,
                updated_at: now,
                ..account
            },
            Err(_) => account,
        }
    }
}

/// Whether the attempt reserved on `before` gets its password checked: exactly
/// when a correct password would be granted (the account is neither
/// deactivated nor in a running lock).
pub fn is_admitted(before: LockState, now: DateTime<Utc>, policy: &LockoutPolicy) -> bool {
    decide(before, AttemptOutcome::CorrectPassword, now, policy)
        .1
        .is_granted()
}

/// The reservation step: the attempt counts as a wrong password until proven
/// otherwise, so the N-th parallel attempt already sees the lock (R-LO-3). The
/// lock and deactivation events of the transition, and for a refused attempt
/// its `login_failed`, are written with the state.
pub fn reserve(
    state: LockState,
    now: DateTime<Utc>,
    policy: &LockoutPolicy,
    account: Option<AccountId>,
    name: &str,
    context: &RequestContext,
) -> Transition {
    let (next, decision) = decide(state, AttemptOutcome::WrongPassword, now, policy);
    let mut events: Vec<AuditEvent> = lock_events(&state, &next, now)
        .into_iter()
        .map(|event| lock_audit_event(event, now, account, name, context))
        .collect();
    let admitted = is_admitted(state, now, policy);
    if !admitted {
        events.push(
            AuditEvent::new(AuditKind::LoginFailed, now, account, name, context)
                .with_detail(attempt_detail(account.is_none(), &decision)),
        );
    }
    let counted = matches!(
        decision,
        Decision::Refuse(
            Refusal::WrongPassword { .. }
                | Refusal::LockedNow { .. }
                | Refusal::DeactivatedNow {
                    reason: DeactivationReason::FailureCap
                }
        )
    );
    Transition {
        state: next,
        failed_at: counted.then_some(now),
        events,
    }
}

/// The step after a verified password: the counters start afresh, unless a
/// parallel attempt deactivated the account in the meantime (then the login
/// is refused after all).
pub fn succeed(
    state: LockState,
    now: DateTime<Utc>,
    account: AccountId,
    name: &str,
    context: &RequestContext,
) -> Transition {
    if let LockState::Deactivated { reason } = state {
        return Transition {
            state,
            failed_at: None,
            events: vec![
                AuditEvent::new(AuditKind::LoginFailed, now, Some(account), name, context)
                    .with_detail(format!(
                        "correct_password deactivated reason={}",
                        reason_text(reason)
                    )),
            ],
        };
    }
    let mut events = Vec::new();
    if matches!(state, LockState::Locked { .. }) {
        events.push(
            AuditEvent::new(
                AuditKind::AccountUnlocked,
                now,
                Some(account),
                name,
                context,
            )
            .with_detail("correct_password"),
        );
    }
    events.push(AuditEvent::new(
        AuditKind::LoginSucceeded,
        now,
        Some(account),
        name,
        context,
    ));
    Transition {
        state: LockState::cleared(),
        failed_at: None,
        events,
    }
}

fn lock_audit_event(
    event: LockoutEvent,
    now: DateTime<Utc>,
    account: Option<AccountId>,
    name: &str,
    context: &RequestContext,
) -> AuditEvent {
    let (kind, detail) = match event {
        LockoutEvent::Unlocked => (AuditKind::AccountUnlocked, "lock_expired".to_owned()),
        LockoutEvent::Locked { until } => (
            AuditKind::AccountLocked,
            format!("until={}", rfc3339(until)),
        ),
        LockoutEvent::LockExtended { until } => {
            (AuditKind::LockExtended, format!("until={}", rfc3339(until)))
        }
        LockoutEvent::Deactivated { reason } => (
            AuditKind::AccountDeactivated,
            format!("reason={}", reason_text(reason)),
        ),
    };
    AuditEvent::new(kind, now, account, name, context).with_detail(detail)
}

/// The precise reason of a failed attempt, for the audit trail only.
fn attempt_detail(unknown_name: bool, decision: &Decision) -> String {
    let reason = match decision {
        Decision::Grant => "granted".to_owned(),
        Decision::Refuse(Refusal::WrongPassword {
            failures,
            remaining,
        }) => format!("wrong_password failures={failures} remaining={remaining}"),
        Decision::Refuse(Refusal::LockedNow { until }) => {
            format!("wrong_password locked_until={}", rfc3339(*until))
        }
        Decision::Refuse(Refusal::Locked { until }) => format!("locked until={}", rfc3339(*until)),
        Decision::Refuse(Refusal::LockExtended { until }) => {
            format!("locked extended_until={}", rfc3339(*until))
        }
        Decision::Refuse(Refusal::DeactivatedNow { reason }) => {
            format!("deactivated_now reason={}", reason_text(*reason))
        }
        Decision::Refuse(Refusal::Deactivated { reason }) => {
            format!("deactivated reason={}", reason_text(*reason))
        }
    };
    if unknown_name {
        format!("unknown_name {reason}")
    } else {
        reason
    }
}

pub(crate) fn reason_text(reason: DeactivationReason) -> &'static str {
    match reason {
        DeactivationReason::AttemptDuringLock => "attempt_during_lock",
        DeactivationReason::FailureCap => "failure_cap",
    }
}

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `m=…,t=…,p=…` part of a PHC string, for the rehash event.
fn hash_parameters(phc: &str) -> &str {
    phc.split('$')
        .find(|field| field.starts_with("m="))
        .unwrap_or("unknown")
}
