//! The seam between the protocol core (pforte-oauth) and the login flow
//! (pforte-identity): the core asks for an [`AuthTarget`], the login flow answers
//! with an [`AuthResult`], and the provider session is handed to the core as a
//! [`SessionSnapshot`]. Neither crate depends on the other (DESIGN.md §2, §3).

use crate::AccountId;
use crate::assurance::Evidence;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The `prompt` values this provider supports (OIDC Core 3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    None,
    Login,
    Consent,
}

/// What a login must achieve before the authorization request can continue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthTarget {
    /// The requesting client, shown on the login page.
    pub client_id: String,
    pub client_name: Option<String>,
    /// `login_hint`, prefilled into the username field.
    pub login_hint: Option<String>,
    /// The account that must log in (from `id_token_hint`), if any.
    pub required_account: Option<AccountId>,
    /// `prompt=login` or `max_age` exceeded: credentials must be entered again.
    pub force_reauthentication: bool,
    /// Requested assurance levels in order of preference (`acr_values`, essential
    /// `acr` claim), as the client sent them (R-AC-2).
    pub acr_values: Vec<String>,
    /// The level the login must reach: the highest of `acr_values`, an
    /// essential `acr`, the client's default or minimum and the tenant minimum
    /// (R-AC-2), as computed by the protocol core. `None`: the lowest level.
    #[serde(default)]
    pub required_acr: Option<String>,
    /// The level comes from an essential `acr` claim: when it cannot be met the
    /// client gets `unmet_authentication_requirements` (OIDC Core 5.5.1.1).
    #[serde(default)]
    pub essential_acr: bool,
    /// `max_age` in seconds (OIDC Core 3.1.2.1): evidence older than this is
    /// not reused, so every factor of the level is asked again.
    #[serde(default)]
    pub max_age: Option<u64>,
    /// `ui_locales` in order of preference (OIDC Core 3.1.2.1).
    pub ui_locales: Vec<String>,
    /// The scopes the client asked for, shown on the consent page.
    pub requested_scopes: Vec<String>,
    /// `prompt=consent`: the user must confirm the scopes explicitly
    /// (OIDC Core 3.1.2.1). First-party clients are otherwise pre-approved.
    pub consent_required: bool,
}

/// The outcome of a successful login: who logged in, how, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthResult {
    pub account_id: AccountId,
    /// The assurance level actually reached (never higher than proven, R-AC-4).
    pub acr: String,
    /// RFC 8176 method references, e.g. `["pwd"]`.
    pub amr: Vec<String>,
    pub auth_time: DateTime<Utc>,
    /// The provider session id (`sid` claim, OIDC Front-/Back-Channel Logout).
    pub sid: String,
    /// The factors behind `acr`, with their times (R-AC-3).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

/// What the protocol core may know about the browser's provider session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSnapshot {
    pub sid: String,
    pub account_id: AccountId,
    pub auth_time: DateTime<Utc>,
    pub acr: String,
    pub amr: Vec<String>,
    /// The factors proven in this session, with their times (R-AC-3).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

impl SessionSnapshot {
    /// The session as the result of a (past) login.
    pub fn as_auth_result(&self) -> AuthResult {
        AuthResult {
            account_id: self.account_id,
            acr: self.acr.clone(),
            amr: self.amr.clone(),
            auth_time: self.auth_time,
            sid: self.sid.clone(),
            evidence: self.evidence.clone(),
        }
    }
}
