//! Per-account lockout as a pure state machine (R-LO-1, R-LO-2).
//!
//! [`decide`] takes the stored [`LockState`], the outcome of one login attempt,
//! the current time and the policy, and returns the next state and a
//! [`Decision`]. The login layer reserves the attempt atomically in the store
//! and writes the returned state back (R-LO-3); that part is not here. Unknown
//! usernames run through the same machine so that they behave like real ones
//! (R-LO-4).
//!
//! Counting: `failures` counts wrong passwords since the last success or lock
//! and triggers the temporary lock at [`LockoutPolicy::max_failures`];
//! `consecutive` counts wrong passwords since the last success across locks and
//! deactivates the account at [`LockoutPolicy::failure_cap`] (never above 100,
//! NIST 800-63B §3.2.2 / rev. 3 §5.2.2). Attempts refused during a lock are not
//! counted as failures: the password was not the reason for the answer.

pub mod throttle;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// NIST 800-63B: "no more than 100 consecutive failed authentication attempts".
pub const NIST_MAX_CONSECUTIVE_FAILURES: u32 = 100;

/// What an attempt during a running lock does (R-LO-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuringLock {
    /// Refuse it; the lock ends as planned.
    #[default]
    Ignore,
    /// Refuse it and restart the lock period from this attempt.
    Extend,
    /// Refuse it and deactivate the account until a password reset or an
    /// operator lifts it, whether the password was right or wrong.
    Deactivate,
}

/// The resolved lockout rules of one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive wrong passwords that lock the account (1 ..= `failure_cap`).
    pub max_failures: u32,
    pub lock_duration: TimeDelta,
    pub during_lock: DuringLock,
    /// Consecutive wrong passwords across locks that deactivate the account
    /// (`max_failures` ..= 100).
    pub failure_cap: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 10,
            lock_duration: TimeDelta::minutes(15),
            during_lock: DuringLock::Ignore,
            failure_cap: NIST_MAX_CONSECUTIVE_FAILURES,
        }
    }
}

/// The outcome of checking the submitted password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    CorrectPassword,
    WrongPassword,
}

/// Why an account is deactivated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeactivationReason {
    /// A login was attempted during a lock and the policy says `deactivate`.
    AttemptDuringLock,
    /// The consecutive failures reached the hard cap.
    FailureCap,
}

/// The stored lockout state of one account (or of one unknown username).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LockState {
    Open {
        failures: u32,
        consecutive: u32,
    },
    Locked {
        until: DateTime<Utc>,
        consecutive: u32,
    },
    Deactivated {
        reason: DeactivationReason,
    },
}

impl Default for LockState {
    fn default() -> Self {
        Self::Open {
            failures: 0,
            consecutive: 0,
        }
    }
}

impl LockState {
    /// A password reset or an operator's unlock/reactivation starts afresh (R-LO-2).
    pub fn cleared() -> Self {
        Self::default()
    }

    /// Whether a lock is running at `now`.
    pub fn is_locked_at(&self, now: DateTime<Utc>) -> bool {
        matches!(self, Self::Locked { until, .. } if now < *until)
    }

    pub fn is_deactivated(&self) -> bool {
        matches!(self, Self::Deactivated { .. })
    }

    /// End of the running lock, if any.
    pub fn locked_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Locked { until, .. } if now < *until => Some(*until),
            _ => None,
        }
    }
}

/// Why an attempt was refused. The user sees one neutral message for all of
/// them; the variant goes to the audit trail (R-LO-4, R-LO-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// Wrong password; `remaining` more wrong ones lock the account.
    WrongPassword { failures: u32, remaining: u32 },
    /// This wrong password locked the account.
    LockedNow { until: DateTime<Utc> },
    /// Attempt during a lock, policy `ignore`.
    Locked { until: DateTime<Utc> },
    /// Attempt during a lock, policy `extend`.
    LockExtended { until: DateTime<Utc> },
    /// This attempt deactivated the account.
    DeactivatedNow { reason: DeactivationReason },
    /// The account was already deactivated.
    Deactivated { reason: DeactivationReason },
}

/// The answer to one login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Correct password and the account is open: the login proceeds.
    Grant,
    Refuse(Refusal),
}

impl Decision {
    pub fn is_granted(&self) -> bool {
        matches!(self, Self::Grant)
    }
}

/// Lockout changes worth an audit event (R-LO-6), derived from a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LockoutEvent {
    /// A lock had run out before this attempt.
    Unlocked,
    Locked {
        until: DateTime<Utc>,
    },
    LockExtended {
        until: DateTime<Utc>,
    },
    Deactivated {
        reason: DeactivationReason,
    },
}

/// One login attempt through the lockout rules.
pub fn decide(
    state: LockState,
    outcome: AttemptOutcome,
    now: DateTime<Utc>,
    policy: &LockoutPolicy,
) -> (LockState, Decision) {
    match state {
        LockState::Deactivated { reason } => {
            (state, Decision::Refuse(Refusal::Deactivated { reason }))
        }
        LockState::Locked { until, consecutive } if now < until => match policy.during_lock {
            DuringLock::Ignore => (state, Decision::Refuse(Refusal::Locked { until })),
            DuringLock::Extend => {
                let extended = until.max(now + policy.lock_duration);
                (
                    LockState::Locked {
                        until: extended,
                        consecutive,
                    },
                    Decision::Refuse(Refusal::LockExtended { until: extended }),
                )
            }
            DuringLock::Deactivate => {
                let reason = DeactivationReason::AttemptDuringLock;
                (
                    LockState::Deactivated { reason },
                    Decision::Refuse(Refusal::DeactivatedNow { reason }),
                )
            }
        },
        LockState::Locked { consecutive, .. } => evaluate(0, consecutive, outcome, now, policy),
        LockState::Open {
            failures,
            consecutive,
        } => evaluate(failures, consecutive, outcome, now, policy),
    }
}

fn evaluate(
    failures: u32,
    consecutive: u32,
    outcome: AttemptOutcome,
    now: DateTime<Utc>,
    policy: &LockoutPolicy,
) -> (LockState, Decision) {
    if outcome == AttemptOutcome::CorrectPassword {
        return (LockState::cleared(), Decision::Grant);
    }
    let failures = failures.saturating_add(1);
    let consecutive = consecutive.saturating_add(1);
    let cap = policy.failure_cap.min(NIST_MAX_CONSECUTIVE_FAILURES);
    if consecutive >= cap {
        let reason = DeactivationReason::FailureCap;
        return (
            LockState::Deactivated { reason },
            Decision::Refuse(Refusal::DeactivatedNow { reason }),
        );
    }
    if failures >= policy.max_failures {
        let until = now + policy.lock_duration;
        return (
            LockState::Locked { until, consecutive },
            Decision::Refuse(Refusal::LockedNow { until }),
        );
    }
    (
        LockState::Open {
            failures,
            consecutive,
        },
        Decision::Refuse(Refusal::WrongPassword {
            failures,
            remaining: policy.max_failures - failures,
        }),
    )
}

/// The audit events of the transition `before` → `after` at `now`.
pub fn events(before: &LockState, after: &LockState, now: DateTime<Utc>) -> Vec<LockoutEvent> {
    let mut events = Vec::new();
    let lock_ran_out = matches!(before, LockState::Locked { until, .. } if *until <= now);
    if lock_ran_out {
        events.push(LockoutEvent::Unlocked);
    }
    match (before, after) {
        (_, LockState::Deactivated { reason }) if !before.is_deactivated() => {
            events.push(LockoutEvent::Deactivated { reason: *reason });
        }
        (LockState::Locked { until: old, .. }, LockState::Locked { until: new, .. })
            if *old > now && new > old =>
        {
            events.push(LockoutEvent::LockExtended { until: *new });
        }
        (_, LockState::Locked { until, .. }) if !before.is_locked_at(now) => {
            events.push(LockoutEvent::Locked { until: *until });
        }
        _ => {}
    }
    events
}

#[cfg(test)]
mod tests;
