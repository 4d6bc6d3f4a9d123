//! Storage ports of the protocol core. pforte-store implements them on sea-orm
//! (SQLite, PostgreSQL) and in process; the core never sees a table name.
//!
//! Every one-time artefact is consumed atomically in the store (DESIGN.md §3), so
//! two nodes racing on the same code or refresh token never both win.

use crate::backchannel_logout::LogoutDelivery;
use crate::model::{
    AuthorizationCode, Client, CodeConsumption, Grant, PushedRequest, RefreshConsumption,
    RefreshToken, SigningKeyRecord, SubjectClaims,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_types::{AccountId, StoreError};

#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StoreError>;
    /// Fails with [`StoreError::Conflict`] when the id is taken.
    async fn insert_client(&self, client: &Client) -> Result<(), StoreError>;
    async fn list_clients(&self) -> Result<Vec<Client>, StoreError>;
    /// Replaces the record of `client.client_id` (the id itself never
    /// changes, R-OP-1); returns whether such a client existed.
    async fn update_client(&self, client: &Client) -> Result<bool, StoreError>;
    /// Returns whether a client was removed.
    async fn remove_client(&self, client_id: &str) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait GrantStore: Send + Sync {
    async fn insert_grant(&self, grant: &Grant) -> Result<(), StoreError>;
    async fn get_grant(&self, grant_id: &str) -> Result<Option<Grant>, StoreError>;
    /// Marks the grant revoked; everything issued from it stops working.
    async fn revoke_grant(&self, grant_id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    async fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError>;
    /// Atomically marks the code used; a second call reports `AlreadyUsed`.
    /// Expiry is checked by the caller.
    async fn consume_code(&self, code_digest: &str) -> Result<CodeConsumption, StoreError>;

    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError>;
    /// Atomically marks the token used (rotated); a second call reports `Reused`.
    async fn consume_refresh_token(
        &self,
        token_digest: &str,
        at: DateTime<Utc>,
    ) -> Result<RefreshConsumption, StoreError>;
    /// Looks a refresh token up without consuming it (introspection, revocation).
    /// Returns it only while it is neither used nor its grant revoked.
    async fn find_active_refresh_token(
        &self,
        token_digest: &str,
    ) -> Result<Option<RefreshToken>, StoreError>;

    async fn insert_pushed_request(&self, request: &PushedRequest) -> Result<(), StoreError>;
    /// Atomically removes and returns the request (single use, RFC 9126 2.2).
    async fn take_pushed_request(
        &self,
        uri_digest: &str,
    ) -> Result<Option<PushedRequest>, StoreError>;

    /// Records a client assertion `jti` until `expires_at`; returns `false` when it
    /// was seen before (replay, RFC 7523 3 / OIDC Core 9).
    async fn remember_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Marks one access token (by `jti`) revoked until it expires (RFC 7009).
    async fn revoke_access_token(
        &self,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn is_access_token_revoked(&self, jti: &str) -> Result<bool, StoreError>;

    /// Deletes expired codes, PAR requests, jtis and revocation entries.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// All keys, newest first.
    async fn list_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError>;
    /// Inserts a new set of active keys (one per algorithm) and marks every other
    /// key without `retired_at` as retired at the new keys' `created_at`, in one
    /// transaction: readers never see a mix of old and new active keys.
    async fn insert_active_keys(&self, records: &[SigningKeyRecord]) -> Result<(), StoreError>;
    /// Removes keys retired before `before` (no token signed by them is valid).
    async fn delete_retired_before(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Where userinfo and the ID token get the subject's claims from.
#[async_trait]
pub trait SubjectClaimsSource: Send + Sync {
    async fn subject_claims(
        &self,
        account_id: AccountId,
    ) -> Result<Option<SubjectClaims>, StoreError>;
}

/// The durable queue of back-channel logout tokens still to be delivered
/// (BCL 1.0 §2.7, R-SE-2). Several nodes work on one queue: a delivery is
/// handed to one node at a time by [`LogoutDeliveryStore::claim_logout_deliveries`].
#[async_trait]
pub trait LogoutDeliveryStore: Send + Sync {
    async fn enqueue_logout_deliveries(
        &self,
        deliveries: &[LogoutDelivery],
    ) -> Result<(), StoreError>;

    /// Claims up to `limit` deliveries that are due at `now` and not claimed
    /// by anyone (or whose claim has lapsed), until `claimed_until`. Each row
    /// is claimed by one conditional update, so a row goes to one caller
    /// only, whichever node it runs on.
    async fn claim_logout_deliveries(
        &self,
        now: DateTime<Utc>,
        claimed_until: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<LogoutDelivery>, StoreError>;

    /// Records a failed attempt and releases the claim: the delivery is due
    /// again at `next_attempt_at`.
    async fn reschedule_logout_delivery(
        &self,
        id: uuid::Uuid,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        last_error: &str,
    ) -> Result<(), StoreError>;

    /// Deletes a delivery that succeeded or was given up.
    async fn remove_logout_delivery(&self, id: uuid::Uuid) -> Result<(), StoreError>;
}
