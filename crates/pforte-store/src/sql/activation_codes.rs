//! [`ActivationCodeStore`] on `activation_codes` (R-RG-4).
//!
//! One row per account: a new code replaces the row in the transaction that
//! writes its audit event. A matching attempt is one conditional `DELETE`
//! (account, digest, not expired): of two parallel uses exactly one deletes
//! the row and wins.

use super::SqlStore;
use super::lockout::insert_events;
use crate::entities::activation_codes;
use crate::error::db_error;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::audit::AuditEvent;
use pforte_identity::ports::{ActivationAttempt, ActivationCodeStore};
use pforte_types::{AccountId, StoreError};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

#[async_trait]
impl ActivationCodeStore for SqlStore {
    async fn put_activation_code(
        &self,
        account: AccountId,
        code_digest: &str,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        activation_codes::Entity::delete_by_id(account.0)
            .exec(&txn)
            .await
            .map_err(db_error)?;
        activation_codes::Entity::insert(activation_codes::ActiveModel {
            account_id: Set(account.0),
            code_digest: Set(code_digest.to_owned()),
            issued_at: Set(issued_at),
            expires_at: Set(expires_at),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_error)?;
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)
    }

    async fn attempt_activation_code(
        &self,
        account: AccountId,
        code_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<ActivationAttempt, StoreError> {
        let used = activation_codes::Entity::delete_many()
            .filter(activation_codes::Column::AccountId.eq(account.0))
            .filter(activation_codes::Column::CodeDigest.eq(code_digest))
            .filter(activation_codes::Column::ExpiresAt.gt(now))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        if used.rows_affected == 1 {
            return Ok(ActivationAttempt::Matched);
        }
        let expired = activation_codes::Entity::delete_many()
            .filter(activation_codes::Column::AccountId.eq(account.0))
            .filter(activation_codes::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        if expired.rows_affected > 0 {
            return Ok(ActivationAttempt::Expired);
        }
        let present = activation_codes::Entity::find_by_id(account.0)
            .one(&self.db)
            .await
            .map_err(db_error)?;
        Ok(match present {
            Some(_) => ActivationAttempt::Wrong,
            None => ActivationAttempt::NoCode,
        })
    }
}
