//! The provider (SSO) session: Pforte's own model, because an identity provider
//! needs auth_time, acr/amr and the RPs of a session (DESIGN.md §6, R-SE).

use chrono::{DateTime, Utc};
use pforte_types::{AccountId, Evidence, SessionSnapshot};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSession {
    pub sid: String,
    pub account_id: AccountId,
    pub auth_time: DateTime<Utc>,
    pub acr: String,
    pub amr: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Clients that received tokens in this session.
    pub clients: Vec<String>,
    /// The factors proven in this session, with their times: step-up asks
    /// only for what is missing or too old (R-AC-3).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

impl ProviderSession {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    pub fn snapshot(&self) -> SessionSnapshot {
        SessionSnapshot {
            sid: self.sid.clone(),
            account_id: self.account_id,
            auth_time: self.auth_time,
            acr: self.acr.clone(),
            amr: self.amr.clone(),
            evidence: self.evidence.clone(),
        }
    }
}
