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

/// Why a provider session ended. Listeners use it to decide whom to tell:
/// every reason reaches the relying parties of the session (OpenID
/// Back-Channel Logout 1.0 §2.7: the OP notifies RPs when the session ends,
/// whatever ended it), and the audit trail records it (R-SE-2, R-SE-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEndReason {
    /// RP-initiated or user-initiated logout at the provider.
    Logout,
    /// A new login in the same browser replaced the session.
    Replaced,
    /// The user ended it from the self-service session list (R-SE-3).
    SelfService,
    /// An operator ended it (CLI or admin console).
    Operator,
    /// The password was reset or changed and every other session ends (R-RC).
    CredentialChange,
}

impl SessionEndReason {
    /// The stable name used in audit events and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEndReason::Logout => "logout",
            SessionEndReason::Replaced => "replaced",
            SessionEndReason::SelfService => "self_service",
            SessionEndReason::Operator => "operator",
            SessionEndReason::CredentialChange => "credential_change",
        }
    }
}

/// A session that has just been deleted, handed to the
/// [`crate::ports::SessionEndListener`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedSession {
    pub session: ProviderSession,
    pub reason: SessionEndReason,
}
