//! Enrolled second factors, one-time code challenges and outbound messages:
//! the model the flow engine and self-service work on (R-MF-1 … R-MF-4,
//! R-OP-4). Storage is behind the ports in [`crate::ports`].

use chrono::{DateTime, Utc};
use pforte_types::{AccountId, Method};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The id of one enrolled factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FactorId(pub Uuid);

impl FactorId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(text: &str) -> Option<Self> {
        Uuid::parse_str(text).ok().map(Self)
    }
}

impl Default for FactorId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for FactorId {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(formatter)
    }
}

/// One enrolled (or being enrolled) factor of an account.
///
/// Secrets never appear in clear: a TOTP seed and a phone number are sealed
/// with the master key, bound to the factor's id (R-OP-4). A WebAuthn
/// credential is public data and kept as its JSON serialisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolledFactor {
    pub id: FactorId,
    pub account_id: AccountId,
    /// `Totp`, `SmsTan`, `EmailCode` or `Webauthn` (recovery codes are a list
    /// of their own, see [`crate::ports::FactorStore::replace_recovery_codes`]).
    pub method: Method,
    /// The name the user gave it ("Handy", "YubiKey blau"), or the masked
    /// destination ("+49 ••• ••• 78").
    pub label: String,
    /// The sealed secret: TOTP seed, phone number or e-mail address.
    pub secret_sealed: Option<Vec<u8>>,
    /// Public data of the method: the WebAuthn credential as JSON.
    pub public_data: Option<String>,
    /// The WebAuthn credential id (base64url), in a column of its own with a
    /// unique index: the store refuses a credential already registered to
    /// any account (WebAuthn §7.1 step 22) atomically, which a lookup before
    /// the insert could not. `None` for every other method.
    #[serde(default)]
    pub credential_id: Option<String>,
    /// False until the user proved the factor once (first TOTP code, code
    /// sent to the number); only confirmed factors count at login.
    pub confirmed: bool,
    /// The last TOTP time step accepted, so that no code is accepted twice
    /// (R-MF-3).
    pub last_totp_step: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The AES-GCM context a factor's secret is sealed under: binds the
/// ciphertext to this factor, so that a sealed value copied to another row
/// does not open.
pub fn seal_context(id: FactorId) -> String {
    format!("pforte factor secret v1:{id}")
}

/// What a one-time code was sent for: the login transaction or the single
/// action it is bound to (R-MF-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeChallenge {
    /// Random id; also the key under which attempts are counted.
    pub id: String,
    pub account_id: AccountId,
    /// The login transaction id, or an action like `enrol:<factor id>`.
    pub purpose: String,
    pub method: Method,
    /// The factor the code was sent to (`None` while a number is being
    /// enrolled and not yet a factor).
    pub factor_id: Option<FactorId>,
    /// Keyed digest of the code (never the code itself).
    pub code_digest: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub attempts_left: u32,
}

/// The result of entering a code, decided atomically by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeAttempt {
    /// The code was right; the challenge is consumed.
    Matched,
    /// Wrong; this many tries remain.
    Wrong { attempts_left: u32 },
    /// No tries left: the challenge is void.
    Exhausted,
    /// Past its validity.
    Expired,
    /// No such challenge (never sent, consumed, or for another purpose).
    Unknown,
}

/// A channel of outbound messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Letter,
    Push,
}

impl Channel {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Letter => "letter",
            Self::Push => "push",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Email, Self::Sms, Self::Letter, Self::Push]
            .into_iter()
            .find(|channel| channel.as_str() == text)
    }
}

/// One message to a user, before rendering: the notify adapters turn the
/// template and its parameters into the text of the user's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub id: Uuid,
    pub channel: Channel,
    /// E-mail address, phone number (E.164) or postal address.
    pub to: String,
    /// The message template, e.g. `login_code`, `enrol_code`.
    pub template: String,
    /// `de` or `en`.
    pub language: String,
    /// Values for the template, e.g. `code`, `valid_minutes`.
    pub params: BTreeMap<String, String>,
    pub account_id: Option<AccountId>,
    pub created_at: DateTime<Utc>,
}
