//! Login metrics (R-OP-3), recorded where the events happen.
//!
//! Through the `metrics` facade only: a macro call is a lookup in whatever
//! recorder the server installed, with no I/O, and nothing at all without one
//! (docs/operations.md explains the choice). Labels are small fixed sets:
//! never a login name, account id or address.

/// Password logins by `result`: `success`, `failure` (wrong password or
/// unknown name; deliberately one value, R-LO-4), `locked` (refused by a
/// running lock or deactivation), `throttled` (source over its limit,
/// R-LO-5), `busy` (hashing queue full).
pub const METRIC_LOGINS: &str = "pforte_logins_total";
/// Accounts (and unknown names) that a wrong password just locked, by
/// `kind`: `locked` or `deactivated`.
pub const METRIC_ACCOUNT_LOCKS: &str = "pforte_account_locks_total";

/// The outcome of one password login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginResult {
    Success,
    Failure,
    Locked,
    Throttled,
    Busy,
}

impl LoginResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Locked => "locked",
            Self::Throttled => "throttled",
            Self::Busy => "busy",
        }
    }
}

pub(crate) fn login(result: LoginResult) {
    metrics::counter!(METRIC_LOGINS, "result" => result.as_str()).increment(1);
}

pub(crate) fn account_locked(kind: &'static str) {
    metrics::counter!(METRIC_ACCOUNT_LOCKS, "kind" => kind).increment(1);
}
