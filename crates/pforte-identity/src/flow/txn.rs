//! The state of one login (or step-up) between browser round trips. The web
//! layer keeps it with the interaction in the ephemeral store; only the
//! runner changes it.

use chrono::{DateTime, Utc};
use pforte_types::{AccountId, Evidence, Method};
use serde::{Deserialize, Serialize};

/// Wrong second-factor entries one login tolerates (a 6-digit code with
/// three valid steps leaves an attacker 5 × 3 / 10⁶ per password).
pub const MAX_FACTOR_FAILURES: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginTxn {
    /// Random id; one-time codes of this login are bound to it (R-MF-3).
    pub id: String,
    /// The account once the password (or a session) identified it.
    pub account_id: Option<AccountId>,
    /// The normalised login name, for the audit trail.
    pub username: String,
    /// Evidence carried over from the session (step-up) and proven in this
    /// login (R-AC-3).
    pub evidence: Vec<Evidence>,
    /// The method the user picked for the factor being asked.
    pub chosen: Option<Method>,
    /// A WebAuthn ceremony in progress: the server-side state of
    /// webauthn-rs, never sent to the browser.
    pub webauthn_state: Option<String>,
    /// A factor being enrolled during this login.
    pub enrolling: Option<crate::factor::FactorId>,
    /// Wrong second-factor entries in this login; past
    /// [`MAX_FACTOR_FAILURES`] the login ends and must start again with the
    /// password, whose lockout then counts (R-LO-1).
    #[serde(default)]
    pub factor_failures: u32,
    /// Seeded from a live session: a step-up (audited as such).
    pub step_up: bool,
    pub started_at: DateTime<Utc>,
}

impl LoginTxn {
    /// A login that starts from nothing.
    pub fn fresh(started_at: DateTime<Utc>) -> Self {
        Self {
            id: pforte_crypto::random::random_token(),
            account_id: None,
            username: String::new(),
            evidence: Vec::new(),
            chosen: None,
            webauthn_state: None,
            enrolling: None,
            factor_failures: 0,
            step_up: false,
            started_at,
        }
    }

    /// A step-up from a live session: the account and the session's evidence
    /// carry over, so only what is missing or too old is asked (R-AC-3).
    pub fn from_session(
        account_id: AccountId,
        username: &str,
        evidence: &[Evidence],
        started_at: DateTime<Utc>,
    ) -> Self {
        Self {
            account_id: Some(account_id),
            username: username.to_owned(),
            evidence: evidence.to_vec(),
            step_up: true,
            ..Self::fresh(started_at)
        }
    }

    /// The purpose one-time codes of this login are bound to.
    pub fn code_purpose(&self) -> String {
        format!("login:{}", self.id)
    }

    /// Records a proven factor; an older proof of the same method is
    /// replaced.
    pub fn prove(&mut self, evidence: Evidence) {
        self.evidence
            .retain(|item| !(item.method == evidence.method && item.class == evidence.class));
        self.evidence.push(evidence);
        self.chosen = None;
        self.webauthn_state = None;
    }
}
