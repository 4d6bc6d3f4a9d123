//! [`KeyStore`] on the `signing_keys` table (key rotation, R-KY).
//!
//! Exactly one key set signs at a time (one key per algorithm): inserting a new
//! set retires every other unretired key in the same transaction, so no reader
//! ever sees two active keys for one algorithm, or none.

use super::SqlStore;
use super::clients::{alg_from_text, alg_to_text};
use crate::entities::signing_keys;
use crate::error::db_error;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_oauth::model::SigningKeyRecord;
use pforte_oauth::ports::KeyStore;
use pforte_types::StoreError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};

#[async_trait]
impl KeyStore for SqlStore {
    async fn list_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        signing_keys::Entity::find()
            .order_by_desc(signing_keys::Column::CreatedAt)
            .order_by_desc(signing_keys::Column::Kid)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(key_from_row)
            .collect()
    }

    async fn insert_active_keys(&self, records: &[SigningKeyRecord]) -> Result<(), StoreError> {
        let Some(first) = records.first() else {
            return Ok(());
        };
        let retired_at = first.created_at;
        let rows = records
            .iter()
            .map(|record| {
                Ok(signing_keys::ActiveModel {
                    kid: Set(record.kid.clone()),
                    alg: Set(alg_to_text(&record.alg)?),
                    private_key_encrypted: Set(record.private_key_encrypted.clone()),
                    public_jwk: Set(record.public_jwk.clone()),
                    created_at: Set(record.created_at),
                    retired_at: Set(record.retired_at),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let txn = self.db.begin().await.map_err(db_error)?;
        signing_keys::Entity::update_many()
            .col_expr(
                signing_keys::Column::RetiredAt,
                Expr::value(Some(retired_at)),
            )
            .filter(signing_keys::Column::RetiredAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_error)?;
        signing_keys::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
        txn.commit().await.map_err(db_error)
    }

    async fn delete_retired_before(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = signing_keys::Entity::delete_many()
            .filter(signing_keys::Column::RetiredAt.is_not_null())
            .filter(signing_keys::Column::RetiredAt.lt(before))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected)
    }
}

fn key_from_row(row: signing_keys::Model) -> Result<SigningKeyRecord, StoreError> {
    Ok(SigningKeyRecord {
        alg: alg_from_text(&row.alg)?,
        kid: row.kid,
        private_key_encrypted: row.private_key_encrypted,
        public_jwk: row.public_jwk,
        created_at: row.created_at,
        retired_at: row.retired_at,
    })
}
