//! Storage ports of the identity domain, implemented by pforte-store.

use crate::account::Account;
use crate::session::ProviderSession;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_types::{AccountId, StoreError};
use std::time::Duration;

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the username is taken
    /// (usernames compare case-insensitively).
    async fn insert_account(&self, account: &Account) -> Result<(), StoreError>;
    async fn get_account(&self, id: AccountId) -> Result<Option<Account>, StoreError>;
    /// Case-insensitive lookup by username.
    async fn find_by_username(&self, username: &str) -> Result<Option<Account>, StoreError>;
    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError>;
    async fn set_password_hash(
        &self,
        id: AccountId,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// Provider (SSO) sessions. In process by default; Redis for several nodes.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn put_session(&self, session: &ProviderSession) -> Result<(), StoreError>;
    async fn get_session(&self, sid: &str) -> Result<Option<ProviderSession>, StoreError>;
    async fn delete_session(&self, sid: &str) -> Result<(), StoreError>;
    /// Records that `client_id` received tokens in this session (for logout).
    async fn add_session_client(&self, sid: &str, client_id: &str) -> Result<(), StoreError>;
}

/// Short-lived state between browser round trips (a pending authorization
/// request while the user logs in). Values expire after `ttl`.
#[async_trait]
pub trait EphemeralStore: Send + Sync {
    async fn put_ephemeral(&self, key: &str, value: &[u8], ttl: Duration)
    -> Result<(), StoreError>;
    async fn get_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Atomically removes and returns the value (single use).
    async fn take_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
}
