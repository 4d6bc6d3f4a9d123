//! The state of one login between browser round trips, kept in the
//! [`EphemeralStore`](pforte_identity::ports::EphemeralStore) under a random id
//! that the login page carries. It holds the validated request, what the login
//! must achieve, the CSRF token of its forms, and, once the password was
//! accepted but consent is still open, the result of the login.

use pforte_identity::flow::LoginTxn;
use pforte_identity::ports::EphemeralStore;
use pforte_oauth::PendingAuthorization;
use pforte_types::{AccountId, AuthResult, AuthTarget, StoreError};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Key prefix in the ephemeral store.
const PREFIX: &str = "interaction:";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    pub pending: PendingAuthorization,
    pub target: AuthTarget,
    pub csrf_token: String,
    /// The value of the browser's flow cookie when the interaction began; the
    /// login and consent POSTs must present the same cookie.
    pub browser_binding: String,
    /// Set after a successful login when consent is still to be given.
    pub login: Option<AuthResult>,
    /// Set after a successful login with an initial password: the account
    /// must choose a new one before the login completes (R-PW-3).
    #[serde(default)]
    pub password_change: Option<AccountId>,
    /// The login flow's transaction: evidence so far, chosen method, factor
    /// being enrolled (DESIGN.md §4).
    #[serde(default)]
    pub txn: Option<LoginTxn>,
    /// The brand of the client (R-OP-2), copied when the interaction
    /// begins so that every page of it has the client's look.
    #[serde(default)]
    pub brand: Option<String>,
}

fn key(id: &str) -> String {
    format!("{PREFIX}{id}")
}

fn decode(bytes: Option<Vec<u8>>) -> Result<Option<Interaction>, StoreError> {
    bytes
        .map(|bytes| {
            serde_json::from_slice(&bytes)
                .map_err(|error| StoreError::Corrupt(format!("interaction: {error}")))
        })
        .transpose()
}

pub async fn save(
    store: &dyn EphemeralStore,
    id: &str,
    interaction: &Interaction,
    ttl: Duration,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(interaction)
        .map_err(|error| StoreError::Corrupt(format!("interaction: {error}")))?;
    store.put_ephemeral(&key(id), &bytes, ttl).await
}

/// Reads the interaction without consuming it (a wrong password may be retried).
pub async fn load(store: &dyn EphemeralStore, id: &str) -> Result<Option<Interaction>, StoreError> {
    if id.is_empty() {
        return Ok(None);
    }
    decode(store.get_ephemeral(&key(id)).await?)
}

/// Consumes the interaction: only one request can finish it.
pub async fn take(store: &dyn EphemeralStore, id: &str) -> Result<Option<Interaction>, StoreError> {
    if id.is_empty() {
        return Ok(None);
    }
    decode(store.take_ephemeral(&key(id)).await?)
}
