//! [`InvitationStore`] on `invitations` (R-RG-6). Using an invitation is one
//! conditional `UPDATE` (unused, not expired), so it is used once.

use super::SqlStore;
use super::lockout::insert_events;
use crate::entities::invitations;
use crate::error::db_error;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::audit::AuditEvent;
use pforte_identity::ports::{InvitationStore, StoredInvitation};
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

#[async_trait]
impl InvitationStore for SqlStore {
    async fn insert_invitation(
        &self,
        invitation: &StoredInvitation,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        invitations::Entity::insert(invitations::ActiveModel {
            token_digest: Set(invitation.token_digest.clone()),
            kvnr_digest: Set(invitation.kvnr_digest.clone()),
            created_at: Set(invitation.created_at),
            expires_at: Set(invitation.expires_at),
            used_at: Set(invitation.used_at),
            account_id: Set(invitation.account_id.map(|id| id.0)),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_error)?;
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)
    }

    async fn invitation(&self, token_digest: &str) -> Result<Option<StoredInvitation>, StoreError> {
        Ok(invitations::Entity::find_by_id(token_digest.to_owned())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(|row| StoredInvitation {
                token_digest: row.token_digest,
                kvnr_digest: row.kvnr_digest,
                created_at: row.created_at,
                expires_at: row.expires_at,
                used_at: row.used_at,
                account_id: row.account_id.map(AccountId),
            }))
    }

    async fn use_invitation(
        &self,
        token_digest: &str,
        account: AccountId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = invitations::Entity::update_many()
            .col_expr(invitations::Column::UsedAt, Expr::value(Some(at)))
            .col_expr(invitations::Column::AccountId, Expr::value(Some(account.0)))
            .filter(invitations::Column::TokenDigest.eq(token_digest))
            .filter(invitations::Column::UsedAt.is_null())
            .filter(invitations::Column::ExpiresAt.gt(at))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected == 1)
    }
}
