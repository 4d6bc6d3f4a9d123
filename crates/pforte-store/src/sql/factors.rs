//! [`FactorStore`] on `account_factors` and `recovery_codes` (R-MF-1 …
//! R-MF-3).
//!
//! Single use without a lock: a TOTP step is recorded by one conditional
//! `UPDATE … WHERE last_totp_step IS NULL OR last_totp_step < step`, a recovery
//! code is spent by one `UPDATE … WHERE used_at IS NULL`. The database applies
//! such a statement to a row once, so of any number of parallel requests on
//! any number of nodes exactly one sees a changed row and wins (R-MF-3).
//!
//! Changes that carry audit events write them in the same transaction
//! (R-OP-3); a change that does not happen (unknown factor, factor of another
//! account) writes none.

use super::SqlStore;
use super::lockout::insert_events;
use crate::entities::{account_factors, recovery_codes};
use crate::error::{db_error, unknown_value};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::audit::AuditEvent;
use pforte_identity::factor::{EnrolledFactor, FactorId};
use pforte_identity::ports::FactorStore;
use pforte_types::{AccountId, Method, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

fn factor_from_row(row: account_factors::Model) -> Result<EnrolledFactor, StoreError> {
    let method = Method::parse(&row.method).ok_or_else(|| unknown_value("method", &row.method))?;
    let last_totp_step = row
        .last_totp_step
        .map(|step| {
            u64::try_from(step).map_err(|_| StoreError::Corrupt(format!("last_totp_step: {step}")))
        })
        .transpose()?;
    Ok(EnrolledFactor {
        id: FactorId(row.id),
        account_id: AccountId(row.account_id),
        method,
        label: row.label,
        secret_sealed: row.secret_sealed,
        public_data: row.public_data,
        credential_id: row.credential_id,
        confirmed: row.confirmed,
        last_totp_step,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    })
}

fn step_to_db(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step).map_err(|_| StoreError::Conflict(format!("TOTP step {step} out of range")))
}

#[async_trait]
impl FactorStore for SqlStore {
    async fn insert_factor(
        &self,
        factor: &EnrolledFactor,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let row = account_factors::ActiveModel {
            id: Set(factor.id.0),
            account_id: Set(factor.account_id.0),
            method: Set(factor.method.as_str().to_owned()),
            label: Set(factor.label.clone()),
            secret_sealed: Set(factor.secret_sealed.clone()),
            public_data: Set(factor.public_data.clone()),
            credential_id: Set(factor.credential_id.clone()),
            confirmed: Set(factor.confirmed),
            last_totp_step: Set(factor.last_totp_step.map(step_to_db).transpose()?),
            created_at: Set(factor.created_at),
            last_used_at: Set(factor.last_used_at),
        };
        let txn = self.db.begin().await.map_err(db_error)?;
        account_factors::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)
    }

    async fn factors(&self, account: AccountId) -> Result<Vec<EnrolledFactor>, StoreError> {
        account_factors::Entity::find()
            .filter(account_factors::Column::AccountId.eq(account.0))
            .order_by_asc(account_factors::Column::CreatedAt)
            .order_by_asc(account_factors::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(factor_from_row)
            .collect()
    }

    async fn factor(&self, id: FactorId) -> Result<Option<EnrolledFactor>, StoreError> {
        account_factors::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(factor_from_row)
            .transpose()
    }

    /// Fails with [`StoreError::Conflict`] when the factor does not exist (it
    /// was removed meanwhile), so that no event records a confirmation that did
    /// not happen.
    async fn confirm_factor(
        &self,
        id: FactorId,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        let result = account_factors::Entity::update_many()
            .col_expr(account_factors::Column::Confirmed, Expr::value(true))
            .col_expr(account_factors::Column::LastUsedAt, Expr::value(at))
            .filter(account_factors::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict(format!("no factor {id}")));
        }
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)
    }

    async fn remove_factor(
        &self,
        account: AccountId,
        id: FactorId,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        let result = account_factors::Entity::delete_many()
            .filter(account_factors::Column::Id.eq(id.0))
            .filter(account_factors::Column::AccountId.eq(account.0))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if result.rows_affected == 0 {
            return Ok(false);
        }
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn rename_factor(
        &self,
        account: AccountId,
        id: FactorId,
        label: &str,
    ) -> Result<bool, StoreError> {
        let result = account_factors::Entity::update_many()
            .col_expr(account_factors::Column::Label, Expr::value(label))
            .filter(account_factors::Column::Id.eq(id.0))
            .filter(account_factors::Column::AccountId.eq(account.0))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected > 0)
    }

    async fn advance_totp_step(
        &self,
        id: FactorId,
        step: u64,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // A step beyond the column's range is no time this side of the year
        // 10^11; it is never accepted.
        let Ok(step) = i64::try_from(step) else {
            return Ok(false);
        };
        let result = account_factors::Entity::update_many()
            .col_expr(account_factors::Column::LastTotpStep, Expr::value(step))
            .col_expr(account_factors::Column::LastUsedAt, Expr::value(at))
            .filter(account_factors::Column::Id.eq(id.0))
            .filter(
                Condition::any()
                    .add(account_factors::Column::LastTotpStep.is_null())
                    .add(account_factors::Column::LastTotpStep.lt(step)),
            )
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected == 1)
    }

    async fn update_public_data(
        &self,
        id: FactorId,
        public_data: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        account_factors::Entity::update_many()
            .col_expr(
                account_factors::Column::PublicData,
                Expr::value(public_data),
            )
            .col_expr(account_factors::Column::LastUsedAt, Expr::value(at))
            .filter(account_factors::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn touch_factor(&self, id: FactorId, at: DateTime<Utc>) -> Result<(), StoreError> {
        account_factors::Entity::update_many()
            .col_expr(account_factors::Column::LastUsedAt, Expr::value(at))
            .filter(account_factors::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The old codes, used or not, are deleted with the new ones inserted in
    /// one transaction: a printed sheet that was replaced stops working at the
    /// moment the new one exists.
    async fn replace_recovery_codes(
        &self,
        account: AccountId,
        digests: &[String],
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        recovery_codes::Entity::delete_many()
            .filter(recovery_codes::Column::AccountId.eq(account.0))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if !digests.is_empty() {
            let rows = digests.iter().map(|digest| recovery_codes::ActiveModel {
                account_id: Set(account.0),
                digest: Set(digest.clone()),
                used_at: Set(None),
                created_at: Set(at),
            });
            recovery_codes::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await
                .map_err(db_error)?;
        }
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)
    }

    async fn consume_recovery_code(
        &self,
        account: AccountId,
        digest: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = recovery_codes::Entity::update_many()
            .col_expr(recovery_codes::Column::UsedAt, Expr::value(at))
            .filter(recovery_codes::Column::AccountId.eq(account.0))
            .filter(recovery_codes::Column::Digest.eq(digest))
            .filter(recovery_codes::Column::UsedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected == 1)
    }

    async fn recovery_codes_left(&self, account: AccountId) -> Result<usize, StoreError> {
        let left = recovery_codes::Entity::find()
            .filter(recovery_codes::Column::AccountId.eq(account.0))
            .filter(recovery_codes::Column::UsedAt.is_null())
            .count(&self.db)
            .await
            .map_err(db_error)?;
        Ok(usize::try_from(left).unwrap_or(usize::MAX))
    }
}
