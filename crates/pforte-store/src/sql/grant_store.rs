//! [`GrantStore`] for [`SqlStore`]: the port's methods, each delegating to the
//! module that owns its tables (`grants` for grants, codes and refresh tokens;
//! `artefacts` for PAR requests, `jti`s and access token revocations).

use super::{SqlStore, artefacts, grants};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_oauth::model::{
    AuthorizationCode, CodeConsumption, Grant, PushedRequest, RefreshConsumption, RefreshToken,
};
use pforte_oauth::ports::GrantStore;
use pforte_types::StoreError;

#[async_trait]
impl GrantStore for SqlStore {
    async fn insert_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        grants::insert_grant(&self.db, grant).await
    }

    async fn get_grant(&self, grant_id: &str) -> Result<Option<Grant>, StoreError> {
        grants::get_grant(&self.db, grant_id).await
    }

    async fn revoke_grant(&self, grant_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        grants::revoke_grant(&self.db, grant_id, at).await
    }

    async fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        grants::insert_code(&self.db, code).await
    }

    async fn consume_code(&self, code_digest: &str) -> Result<CodeConsumption, StoreError> {
        grants::consume_code(&self.db, code_digest).await
    }

    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError> {
        grants::insert_refresh_token(&self.db, token).await
    }

    async fn consume_refresh_token(
        &self,
        token_digest: &str,
        at: DateTime<Utc>,
    ) -> Result<RefreshConsumption, StoreError> {
        grants::consume_refresh_token(&self.db, token_digest, at).await
    }

    async fn find_active_refresh_token(
        &self,
        token_digest: &str,
    ) -> Result<Option<RefreshToken>, StoreError> {
        grants::find_active_refresh_token(&self.db, token_digest).await
    }

    async fn insert_pushed_request(&self, request: &PushedRequest) -> Result<(), StoreError> {
        artefacts::insert_pushed_request(&self.db, request).await
    }

    async fn take_pushed_request(
        &self,
        uri_digest: &str,
    ) -> Result<Option<PushedRequest>, StoreError> {
        artefacts::take_pushed_request(&self.db, uri_digest).await
    }

    async fn remember_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        artefacts::remember_assertion_jti(&self.db, client_id, jti, expires_at).await
    }

    async fn revoke_access_token(
        &self,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        artefacts::revoke_access_token(&self.db, jti, expires_at).await
    }

    async fn is_access_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        artefacts::is_access_token_revoked(&self.db, jti).await
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let protocol = grants::purge_expired(&self.db, now).await?;
        let artefacts = artefacts::purge_expired(&self.db, now).await?;
        Ok(protocol + artefacts)
    }
}
