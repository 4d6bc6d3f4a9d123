//! Accounts.

use chrono::{DateTime, Utc};
use pforte_types::AccountId;
use serde::{Deserialize, Serialize};

/// A user account. Personal data beyond the username arrives with registration
/// (R-RG); this is what login and the OpenID claims need now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    /// Argon2id PHC string (R-PW-1).
    pub password_hash: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub phone: Option<String>,
    pub phone_verified: bool,
    /// No longer written: TOTP seeds are enrolled factors now
    /// ([`crate::factor::EnrolledFactor`]). The column stays readable for
    /// databases from before second factors.
    pub totp_secret_encrypted: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
