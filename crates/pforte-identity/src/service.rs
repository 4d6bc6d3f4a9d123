//! The login service: password check and provider sessions.
//!
//! This is the minimal password login of issue 2. Lockout (R-LO-1..3) and the
//! declarative flow engine (DESIGN.md §4) build on it later; what is already
//! guaranteed here is that an unknown username and a wrong password are the same
//! error after the same amount of hashing work (R-LO-4), and that a stored hash
//! made with old parameters is replaced on the next successful login (R-PW-1).

use crate::account::Account;
use crate::ports::{AccountStore, SessionStore};
use crate::session::ProviderSession;
use chrono::TimeDelta;
use pforte_crypto::PasswordHasher;
use pforte_types::{AccountId, Clock, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// The assurance level a password-only login reaches (R-AC-1: `loa-low` is the
/// password level). Higher levels arrive with second factors.
pub const PASSWORD_ACR: &str = "loa-low";

/// The RFC 8176 2 method reference for a password.
pub const PASSWORD_AMR: &str = "pwd";

/// Why a login or session operation failed. The public part is the variant; the
/// store detail is internal and only logged (DESIGN.md §5).
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Unknown username or wrong password: deliberately one variant, so that no
    /// caller can tell the two apart (R-LO-4).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The storage behind accounts or sessions failed.
    #[error("identity storage failed: {0}")]
    Store(#[from] StoreError),
}

impl IdentityError {
    /// The stable public code shown on pages (DESIGN.md §5).
    pub fn public_code(&self) -> &'static str {
        match self {
            Self::InvalidCredentials => "PF-LOGIN-001",
            Self::Store(_) => "PF-LOGIN-500",
        }
    }
}

pub struct IdentityService {
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) hasher: Arc<PasswordHasher>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Absolute lifetime of a provider session (R-SE-1).
    pub(crate) session_ttl: Duration,
}

impl std::fmt::Debug for IdentityService {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IdentityService")
            .field("session_ttl", &self.session_ttl)
            .finish_non_exhaustive()
    }
}

impl IdentityService {
    pub fn new(
        accounts: Arc<dyn AccountStore>,
        sessions: Arc<dyn SessionStore>,
        hasher: Arc<PasswordHasher>,
        clock: Arc<dyn Clock>,
        session_ttl: Duration,
    ) -> Self {
        Self {
            accounts,
            sessions,
            hasher,
            clock,
            session_ttl,
        }
    }

    /// Checks a username and password.
    ///
    /// An unknown username verifies the password against the hasher's dummy hash
    /// and answers exactly like a wrong password (R-LO-4). After a successful
    /// check, a hash made with other Argon2 parameters is replaced (R-PW-1); a
    /// failure to store the new hash does not fail the login, because the old
    /// hash still verifies.
    pub async fn login_with_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Account, IdentityError> {
        let username = username.trim();
        let found = if username.is_empty() {
            None
        } else {
            self.accounts.find_by_username(username).await?
        };
        let Some(account) = found else {
            self.hasher.verify_against_dummy(password);
            return Err(IdentityError::InvalidCredentials);
        };
        if !self.hasher.verify(password, &account.password_hash) {
            return Err(IdentityError::InvalidCredentials);
        }
        if self.hasher.needs_rehash(&account.password_hash)
            && let Ok(new_hash) = self.hasher.hash(password)
        {
            let now = self.clock.now();
            if self
                .accounts
                .set_password_hash(account.id, &new_hash, now)
                .await
                .is_ok()
            {
                return Ok(Account {
                    password_hash: new_hash,
                    updated_at: now,
                    ..account
                });
            }
        }
        Ok(account)
    }

    /// Starts a provider session for an account that just proved a password:
    /// a fresh random `sid` (never reused across logins, so a login always
    /// rotates the session cookie), `auth_time` now, acr [`PASSWORD_ACR`], amr
    /// `["pwd"]` (RFC 8176), ending after the configured lifetime.
    pub async fn start_password_session(
        &self,
        account_id: AccountId,
    ) -> Result<ProviderSession, IdentityError> {
        let now = self.clock.now();
        let ttl = TimeDelta::from_std(self.session_ttl).unwrap_or(TimeDelta::MAX);
        let expires_at = now
            .checked_add_signed(ttl)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        let session = ProviderSession {
            sid: pforte_crypto::random::random_token(),
            account_id,
            auth_time: now,
            acr: PASSWORD_ACR.to_owned(),
            amr: vec![PASSWORD_AMR.to_owned()],
            created_at: now,
            expires_at,
            clients: Vec::new(),
        };
        self.sessions.put_session(&session).await?;
        Ok(session)
    }

    /// The session with this id while it is live; an expired or unknown one is
    /// `None` (the caller treats the browser as logged out).
    pub async fn live_session(&self, sid: &str) -> Result<Option<ProviderSession>, IdentityError> {
        if sid.is_empty() {
            return Ok(None);
        }
        let now = self.clock.now();
        Ok(self
            .sessions
            .get_session(sid)
            .await?
            .filter(|session| session.is_live(now)))
    }

    /// Ends a session (R-SE-2). Ending an unknown session is not an error.
    pub async fn end_session(&self, sid: &str) -> Result<(), IdentityError> {
        self.sessions.delete_session(sid).await?;
        Ok(())
    }

    /// Records that `client_id` was answered in this session, so that logout
    /// can later reach it (R-SE-2).
    pub async fn record_client(&self, sid: &str, client_id: &str) -> Result<(), IdentityError> {
        self.sessions.add_session_client(sid, client_id).await?;
        Ok(())
    }

    /// The account of a session, e.g. to show who is logged in.
    pub async fn account(&self, id: AccountId) -> Result<Option<Account>, IdentityError> {
        Ok(self.accounts.get_account(id).await?)
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
