//! [`LogoutDeliveryStore`] on `backchannel_logout_deliveries` (BCL 1.0,
//! R-SE-2). A claim is one conditional `UPDATE … WHERE claimed_until IS NULL
//! OR claimed_until <= now` per row: of two nodes racing for a row, exactly
//! one sees it come back, on SQLite and on PostgreSQL alike.

use super::SqlStore;
use crate::entities::backchannel_logout_deliveries as deliveries;
use crate::error::db_error;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_oauth::backchannel_logout::LogoutDelivery;
use pforte_oauth::ports::LogoutDeliveryStore;
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

fn row_of(delivery: &LogoutDelivery) -> deliveries::ActiveModel {
    deliveries::ActiveModel {
        id: Set(delivery.id),
        client_id: Set(delivery.client_id.clone()),
        account_id: Set(delivery.account_id.0),
        sid: Set(delivery.sid.clone()),
        reason: Set(delivery.reason.clone()),
        attempts: Set(i32::try_from(delivery.attempts).unwrap_or(i32::MAX)),
        next_attempt_at: Set(delivery.next_attempt_at),
        claimed_until: Set(None),
        last_error: Set(delivery.last_error.clone()),
        created_at: Set(delivery.created_at),
    }
}

fn delivery_of(row: deliveries::Model) -> LogoutDelivery {
    LogoutDelivery {
        id: row.id,
        client_id: row.client_id,
        account_id: AccountId(row.account_id),
        sid: row.sid,
        reason: row.reason,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
        created_at: row.created_at,
    }
}

/// Not claimed, or the claim has lapsed (its node died or hung).
fn unclaimed(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(deliveries::Column::ClaimedUntil.is_null())
        .add(deliveries::Column::ClaimedUntil.lte(now))
}

#[async_trait]
impl LogoutDeliveryStore for SqlStore {
    async fn enqueue_logout_deliveries(
        &self,
        entries: &[LogoutDelivery],
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        deliveries::Entity::insert_many(entries.iter().map(row_of))
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn claim_logout_deliveries(
        &self,
        now: DateTime<Utc>,
        claimed_until: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<LogoutDelivery>, StoreError> {
        let candidates: Vec<uuid::Uuid> = deliveries::Entity::find()
            .select_only()
            .column(deliveries::Column::Id)
            .filter(deliveries::Column::NextAttemptAt.lte(now))
            .filter(unclaimed(now))
            .order_by_asc(deliveries::Column::NextAttemptAt)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut claimed = Vec::new();
        for id in candidates {
            let rows = deliveries::Entity::update_many()
                .col_expr(
                    deliveries::Column::ClaimedUntil,
                    Expr::value(Some(claimed_until)),
                )
                .filter(deliveries::Column::Id.eq(id))
                .filter(deliveries::Column::NextAttemptAt.lte(now))
                .filter(unclaimed(now))
                .exec_with_returning(&self.db)
                .await
                .map_err(db_error)?;
            claimed.extend(rows.into_iter().map(delivery_of));
        }
        Ok(claimed)
    }

    async fn reschedule_logout_delivery(
        &self,
        id: uuid::Uuid,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        last_error: &str,
    ) -> Result<(), StoreError> {
        deliveries::Entity::update_many()
            .col_expr(
                deliveries::Column::Attempts,
                Expr::value(i32::try_from(attempts).unwrap_or(i32::MAX)),
            )
            .col_expr(
                deliveries::Column::NextAttemptAt,
                Expr::value(next_attempt_at),
            )
            .col_expr(
                deliveries::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                deliveries::Column::LastError,
                Expr::value(Some(last_error.to_owned())),
            )
            .filter(deliveries::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn remove_logout_delivery(&self, id: uuid::Uuid) -> Result<(), StoreError> {
        deliveries::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
