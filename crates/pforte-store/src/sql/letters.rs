//! [`LetterStore`] on the `letters` table: the print queue of letters by
//! post (R-RG-4, R-PW-3). Address and parameters arrive sealed by
//! `pforte_identity::letters::LetterQueue`; this file never sees them in clear.
//!
//! Marking a batch exported is one transaction that only touches letters
//! still pending and fails as a whole when any was taken meanwhile, so two
//! exports running at once cannot both claim a letter.

use super::SqlStore;
use super::lockout::insert_events;
use crate::entities::letters;
use crate::error::db_error;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::audit::AuditEvent;
use pforte_identity::ports::{LetterStore, StoredLetter};
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

/// Ids per `IN (…)` list, well below the bind-parameter limits.
const CHUNK: usize = 500;

fn stored(row: letters::Model) -> StoredLetter {
    StoredLetter {
        id: row.id,
        account_id: row.account_id.map(AccountId),
        template: row.template,
        language: row.language,
        sealed: row.sealed,
        created_at: row.created_at,
        exported_at: row.exported_at,
        batch_id: row.batch_id,
    }
}

#[async_trait]
impl LetterStore for SqlStore {
    async fn queue_letter(&self, letter: &StoredLetter, supersede: bool) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        if supersede && let Some(account) = letter.account_id {
            letters::Entity::delete_many()
                .filter(letters::Column::AccountId.eq(account.0))
                .filter(letters::Column::Template.eq(letter.template.as_str()))
                .filter(letters::Column::ExportedAt.is_null())
                .exec(&txn)
                .await
                .map_err(db_error)?;
        }
        letters::Entity::insert(letters::ActiveModel {
            id: Set(letter.id),
            account_id: Set(letter.account_id.map(|id| id.0)),
            template: Set(letter.template.clone()),
            language: Set(letter.language.clone()),
            sealed: Set(letter.sealed.clone()),
            created_at: Set(letter.created_at),
            exported_at: Set(letter.exported_at),
            batch_id: Set(letter.batch_id),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_error)?;
        txn.commit().await.map_err(db_error)
    }

    async fn pending_letters(&self) -> Result<Vec<StoredLetter>, StoreError> {
        Ok(letters::Entity::find()
            .filter(letters::Column::ExportedAt.is_null())
            .order_by_asc(letters::Column::CreatedAt)
            .order_by_asc(letters::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(stored)
            .collect())
    }

    async fn letters_of_account(
        &self,
        account: AccountId,
    ) -> Result<Vec<StoredLetter>, StoreError> {
        Ok(letters::Entity::find()
            .filter(letters::Column::AccountId.eq(account.0))
            .order_by_desc(letters::Column::CreatedAt)
            .order_by_desc(letters::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(stored)
            .collect())
    }

    async fn mark_letters_exported(
        &self,
        ids: &[Uuid],
        batch: Uuid,
        at: DateTime<Utc>,
        event: AuditEvent,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        let mut marked = 0u64;
        for chunk in ids.chunks(CHUNK) {
            let result = letters::Entity::update_many()
                .col_expr(letters::Column::ExportedAt, Expr::value(at))
                .col_expr(letters::Column::BatchId, Expr::value(batch))
                .filter(letters::Column::Id.is_in(chunk.iter().copied()))
                .filter(letters::Column::ExportedAt.is_null())
                .exec(&txn)
                .await
                .map_err(db_error)?;
            marked += result.rows_affected;
        }
        if marked != ids.len() as u64 {
            txn.rollback().await.map_err(db_error)?;
            return Err(StoreError::Conflict(format!(
                "{} of {} letters are no longer pending",
                ids.len() as u64 - marked,
                ids.len()
            )));
        }
        insert_events(&txn, &[event]).await?;
        txn.commit().await.map_err(db_error)
    }
}
