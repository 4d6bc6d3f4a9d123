//! The login service: password check and provider sessions.

use crate::ports::{AccountStore, SessionStore};
use pforte_crypto::PasswordHasher;
use pforte_types::Clock;
use std::sync::Arc;
use std::time::Duration;

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
}
