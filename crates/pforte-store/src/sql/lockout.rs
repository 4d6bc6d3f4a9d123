//! [`LockoutStore`] and [`CredentialStore`] on `lockout_counters`,
//! `password_history`, `accounts` and `audit_events`.
//!
//! Exactness under concurrency (R-LO-3): a lock-state update is one
//! transaction that first makes sure the counter row exists (`INSERT … ON
//! CONFLICT DO NOTHING`) and then takes the row with `UPDATE … SET version =
//! version + 1 … RETURNING`. On PostgreSQL that statement holds the row lock
//! until commit, on SQLite the first write holds the database's write lock, so
//! parallel attempts on one key, from one node or many, run the policy step
//! one after the other on the state the previous one committed. The audit
//! events of a change are inserted in the same transaction.

use super::SqlStore;
use crate::entities::{accounts, audit_events, lockout_counters, password_history};
use crate::error::{db_error, unknown_value};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::audit::{AuditEvent, AuditKind, AuditQuery};
use pforte_identity::ports::{
    CounterKey, CredentialStore, LockRecord, LockStep, LockoutStore, PasswordState,
};
use pforte_policy::{DeactivationReason, LockState};
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

fn count_to_db(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

fn count_from_db(count: i32) -> u32 {
    u32::try_from(count).unwrap_or(0)
}

fn reason_to_text(reason: DeactivationReason) -> &'static str {
    match reason {
        DeactivationReason::AttemptDuringLock => "attempt_during_lock",
        DeactivationReason::FailureCap => "failure_cap",
    }
}

fn reason_from_text(text: &str) -> Result<DeactivationReason, StoreError> {
    match text {
        "attempt_during_lock" => Ok(DeactivationReason::AttemptDuringLock),
        "failure_cap" => Ok(DeactivationReason::FailureCap),
        other => Err(unknown_value("deactivated_reason", other)),
    }
}

fn state_of(row: &lockout_counters::Model) -> Result<LockState, StoreError> {
    if let Some(reason) = &row.deactivated_reason {
        return Ok(LockState::Deactivated {
            reason: reason_from_text(reason)?,
        });
    }
    let consecutive = count_from_db(row.consecutive);
    Ok(match row.locked_until {
        Some(until) => LockState::Locked { until, consecutive },
        None => LockState::Open {
            failures: count_from_db(row.failures),
            consecutive,
        },
    })
}

fn audit_row(event: &AuditEvent) -> audit_events::ActiveModel {
    audit_events::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        at: Set(event.at),
        kind: Set(event.kind.as_str().to_owned()),
        account_id: Set(event.account.map(|id| id.0)),
        username: Set(event.username.clone()),
        client: Set(event.client.clone()),
        ip: Set(event.ip.clone()),
        user_agent: Set(event.user_agent.clone()),
        request_id: Set(event.request_id.clone()),
        detail: Set(event.detail.clone()),
        operator: Set(event.operator.clone()),
    }
}

fn event_from_row(row: audit_events::Model) -> Result<AuditEvent, StoreError> {
    Ok(AuditEvent {
        operator: row.operator,
        at: row.at,
        kind: AuditKind::parse(&row.kind).ok_or_else(|| unknown_value("kind", &row.kind))?,
        account: row.account_id.map(AccountId),
        username: row.username,
        client: row.client,
        ip: row.ip,
        user_agent: row.user_agent,
        request_id: row.request_id,
        detail: row.detail,
    })
}

pub(super) async fn insert_events<C: ConnectionTrait>(
    db: &C,
    events: &[AuditEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    audit_events::Entity::insert_many(events.iter().map(audit_row))
        .exec_without_returning(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

#[async_trait]
impl LockoutStore for SqlStore {
    async fn update_lock_state(
        &self,
        key: &CounterKey,
        step: LockStep<'_>,
    ) -> Result<(LockState, LockState), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        let fresh = lockout_counters::ActiveModel {
            counter_key: Set(key.key.clone()),
            account_id: Set(key.account.map(|id| id.0)),
            username: Set(key.username.clone()),
            failures: Set(0),
            consecutive: Set(0),
            locked_until: Set(None),
            deactivated_reason: Set(None),
            last_failure_at: Set(None),
            updated_at: Set(Utc::now()),
            version: Set(0),
        };
        lockout_counters::Entity::insert(fresh)
            .on_conflict_do_nothing()
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
        let locked = lockout_counters::Entity::update_many()
            .col_expr(
                lockout_counters::Column::Version,
                Expr::col(lockout_counters::Column::Version).add(1),
            )
            .filter(lockout_counters::Column::CounterKey.eq(key.key.as_str()))
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        let Some(row) = locked.into_iter().next() else {
            return Err(StoreError::Unavailable(format!(
                "lockout counter {} vanished",
                key.key
            )));
        };
        let before = state_of(&row)?;
        let transition = step(before);
        let after = transition.state;
        let (failures, consecutive, locked_until, deactivated_reason) = match after {
            LockState::Open {
                failures,
                consecutive,
            } => (count_to_db(failures), count_to_db(consecutive), None, None),
            LockState::Locked { until, consecutive } => {
                (0, count_to_db(consecutive), Some(until), None)
            }
            // The counts are kept for the operator's view of a deactivation.
            LockState::Deactivated { reason } => (
                row.failures,
                row.consecutive,
                None,
                Some(reason_to_text(reason).to_owned()),
            ),
        };
        if after != before || transition.failed_at.is_some() {
            let last_failure_at = transition.failed_at.or(row.last_failure_at);
            lockout_counters::Entity::update_many()
                .col_expr(lockout_counters::Column::Failures, Expr::value(failures))
                .col_expr(
                    lockout_counters::Column::Consecutive,
                    Expr::value(consecutive),
                )
                .col_expr(
                    lockout_counters::Column::LockedUntil,
                    Expr::value(locked_until),
                )
                .col_expr(
                    lockout_counters::Column::DeactivatedReason,
                    Expr::value(deactivated_reason),
                )
                .col_expr(
                    lockout_counters::Column::LastFailureAt,
                    Expr::value(last_failure_at),
                )
                .col_expr(lockout_counters::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(lockout_counters::Column::CounterKey.eq(key.key.as_str()))
                .exec(&txn)
                .await
                .map_err(db_error)?;
        }
        insert_events(&txn, &transition.events).await?;
        txn.commit().await.map_err(db_error)?;
        Ok((before, after))
    }

    async fn lock_record(&self, key: &str) -> Result<Option<LockRecord>, StoreError> {
        let row = lockout_counters::Entity::find_by_id(key)
            .one(&self.db)
            .await
            .map_err(db_error)?;
        row.map(|row| {
            Ok(LockRecord {
                state: state_of(&row)?,
                failures: count_from_db(row.consecutive),
                last_failure_at: row.last_failure_at,
            })
        })
        .transpose()
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        insert_events(&self.db, events).await
    }

    async fn purge_idle_unknown_counters(
        &self,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        use sea_orm::Condition;
        let result = lockout_counters::Entity::delete_many()
            .filter(lockout_counters::Column::AccountId.is_null())
            .filter(lockout_counters::Column::DeactivatedReason.is_null())
            .filter(
                Condition::any()
                    .add(lockout_counters::Column::LockedUntil.is_null())
                    .add(lockout_counters::Column::LockedUntil.lt(idle_before)),
            )
            .filter(
                Condition::any()
                    .add(lockout_counters::Column::LastFailureAt.is_null())
                    .add(lockout_counters::Column::LastFailureAt.lt(idle_before)),
            )
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected)
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let mut select = if query.newest_first {
            audit_events::Entity::find().order_by_desc(audit_events::Column::Id)
        } else {
            audit_events::Entity::find().order_by_asc(audit_events::Column::Id)
        };
        if let Some(account) = query.account {
            select = select.filter(audit_events::Column::AccountId.eq(account.0));
        }
        if let Some(username) = &query.username {
            select = select.filter(audit_events::Column::Username.eq(username.as_str()));
        }
        if let Some(since) = query.since {
            select = select.filter(audit_events::Column::At.gte(since));
        }
        if let Some(limit) = query.limit {
            select = select.limit(limit);
        }
        let rows = select.all(&self.db).await.map_err(db_error)?;
        rows.into_iter().map(event_from_row).collect()
    }
}

#[async_trait]
impl CredentialStore for SqlStore {
    async fn password_state(&self, id: AccountId) -> Result<PasswordState, StoreError> {
        let must_change = accounts::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .is_some_and(|row| row.must_change_password);
        let history = password_history::Entity::find()
            .filter(password_history::Column::AccountId.eq(id.0))
            .order_by_desc(password_history::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|row| row.password_hash)
            .collect();
        Ok(PasswordState {
            must_change,
            history,
        })
    }

    async fn replace_password(
        &self,
        id: AccountId,
        new_hash: &str,
        must_change: bool,
        keep_history: usize,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        // Taking the account row first (a write) serialises concurrent changes
        // and yields the hash being replaced.
        let taken = accounts::Entity::update_many()
            .col_expr(accounts::Column::UpdatedAt, Expr::value(at))
            .filter(accounts::Column::Id.eq(id.0))
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        let Some(current) = taken.into_iter().next() else {
            return Err(StoreError::Conflict(format!("no account {id}")));
        };
        accounts::Entity::update_many()
            .col_expr(accounts::Column::PasswordHash, Expr::value(new_hash))
            .col_expr(
                accounts::Column::MustChangePassword,
                Expr::value(must_change),
            )
            .filter(accounts::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if keep_history > 0 {
            password_history::Entity::insert(password_history::ActiveModel {
                id: sea_orm::ActiveValue::NotSet,
                account_id: Set(id.0),
                password_hash: Set(current.password_hash),
                created_at: Set(at),
            })
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
        }
        let kept: Vec<i64> = password_history::Entity::find()
            .select_only()
            .column(password_history::Column::Id)
            .filter(password_history::Column::AccountId.eq(id.0))
            .order_by_desc(password_history::Column::Id)
            .into_tuple()
            .all(&txn)
            .await
            .map_err(db_error)?;
        let surplus: Vec<i64> = kept.into_iter().skip(keep_history).collect();
        if !surplus.is_empty() {
            password_history::Entity::delete_many()
                .filter(password_history::Column::Id.is_in(surplus))
                .exec(&txn)
                .await
                .map_err(db_error)?;
        }
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)
    }

    async fn rehash_password(
        &self,
        id: AccountId,
        new_hash: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        accounts::Entity::update_many()
            .col_expr(accounts::Column::PasswordHash, Expr::value(new_hash))
            .col_expr(accounts::Column::UpdatedAt, Expr::value(at))
            .filter(accounts::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        insert_events(&txn, std::slice::from_ref(event)).await?;
        txn.commit().await.map_err(db_error)
    }

    async fn set_must_change_password(&self, id: AccountId, flag: bool) -> Result<(), StoreError> {
        accounts::Entity::update_many()
            .col_expr(accounts::Column::MustChangePassword, Expr::value(flag))
            .filter(accounts::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
