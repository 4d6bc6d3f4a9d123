//! [`MemberLinkStore`] on `member_links` (R-ID-4, R-RG-1).
//!
//! A registration writes the account, its link and the audit events in one
//! transaction: the unique username key and the unique KVNR digest make a
//! second registration of the same person (or the same name) a
//! [`StoreError::Conflict`] with nothing written. The membership-end job
//! reads its work lists with a sub-select on `members`, so the dates are
//! compared in the database and no member data is opened.

use super::SqlStore;
use super::accounts::account_row;
use super::lockout::insert_events;
use crate::entities::{member_links, members};
use crate::error::{db_error, unknown_value};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use pforte_identity::account::Account;
use pforte_identity::audit::AuditEvent;
use pforte_identity::ports::MemberLinkStore;
use pforte_identity::registration::{MemberLink, Proofing, Stage};
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};

fn link_from_row(row: member_links::Model) -> Result<MemberLink, StoreError> {
    Ok(MemberLink {
        account_id: AccountId(row.account_id),
        stage: Stage::parse(&row.stage).ok_or_else(|| unknown_value("stage", &row.stage))?,
        proofing: Proofing::parse(&row.proofing)
            .ok_or_else(|| unknown_value("proofing", &row.proofing))?,
        kvnr_digest: row.kvnr_digest,
        registered_at: row.registered_at,
        activated_at: row.activated_at,
        updated_at: row.updated_at,
    })
}

fn links_from_rows(rows: Vec<member_links::Model>) -> Result<Vec<MemberLink>, StoreError> {
    rows.into_iter().map(link_from_row).collect()
}

#[async_trait]
impl MemberLinkStore for SqlStore {
    async fn insert_linked_account(
        &self,
        account: &Account,
        link: &MemberLink,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        accounts_insert(&txn, account).await?;
        let row = member_links::ActiveModel {
            account_id: Set(account.id.0),
            kvnr_digest: Set(link.kvnr_digest.clone()),
            stage: Set(link.stage.as_str().to_owned()),
            proofing: Set(link.proofing.as_str().to_owned()),
            registered_at: Set(link.registered_at),
            activated_at: Set(link.activated_at),
            updated_at: Set(link.updated_at),
        };
        member_links::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)
    }

    async fn link_of_account(&self, account: AccountId) -> Result<Option<MemberLink>, StoreError> {
        member_links::Entity::find_by_id(account.0)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(link_from_row)
            .transpose()
    }

    async fn link_of_member(&self, kvnr_digest: &str) -> Result<Option<MemberLink>, StoreError> {
        member_links::Entity::find()
            .filter(member_links::Column::KvnrDigest.eq(kvnr_digest))
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(link_from_row)
            .transpose()
    }

    async fn set_stage(
        &self,
        account: AccountId,
        stage: Stage,
        proofing: Proofing,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        let mut update = member_links::Entity::update_many()
            .col_expr(member_links::Column::Stage, Expr::value(stage.as_str()))
            .col_expr(
                member_links::Column::Proofing,
                Expr::value(proofing.as_str()),
            )
            .col_expr(member_links::Column::UpdatedAt, Expr::value(at));
        if stage == Stage::Active {
            // Only the first activation is remembered.
            update = update.col_expr(
                member_links::Column::ActivatedAt,
                Expr::col(member_links::Column::ActivatedAt).if_null(at),
            );
        }
        let result = update
            .filter(member_links::Column::AccountId.eq(account.0))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if result.rows_affected > 0 {
            insert_events(&txn, events).await?;
        }
        txn.commit().await.map_err(db_error)
    }

    async fn links_with_membership_over(
        &self,
        day: NaiveDate,
    ) -> Result<Vec<MemberLink>, StoreError> {
        let over = Query::select()
            .column(members::Column::KvnrDigest)
            .from(members::Entity)
            .cond_where(
                Condition::any()
                    .add(members::Column::MembershipEnd.lt(day))
                    .add(members::Column::MembershipStart.gt(day)),
            )
            .to_owned();
        let rows = member_links::Entity::find()
            .filter(member_links::Column::Stage.ne(Stage::MembershipEnded.as_str()))
            .filter(member_links::Column::KvnrDigest.in_subquery(over))
            .order_by_asc(member_links::Column::AccountId)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        links_from_rows(rows)
    }

    async fn links_with_membership_restarted(
        &self,
        day: NaiveDate,
    ) -> Result<Vec<MemberLink>, StoreError> {
        let current = Query::select()
            .column(members::Column::KvnrDigest)
            .from(members::Entity)
            .cond_where(
                Condition::all()
                    .add(members::Column::MembershipStart.lte(day))
                    .add(
                        Condition::any()
                            .add(members::Column::MembershipEnd.is_null())
                            .add(members::Column::MembershipEnd.gte(day)),
                    ),
            )
            .to_owned();
        let rows = member_links::Entity::find()
            .filter(member_links::Column::Stage.eq(Stage::MembershipEnded.as_str()))
            .filter(member_links::Column::KvnrDigest.in_subquery(current))
            .order_by_asc(member_links::Column::AccountId)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        links_from_rows(rows)
    }
}

async fn accounts_insert<C: sea_orm::ConnectionTrait>(
    db: &C,
    account: &Account,
) -> Result<(), StoreError> {
    crate::entities::accounts::Entity::insert(account_row(account))
        .exec_without_returning(db)
        .await
        .map_err(db_error)?;
    Ok(())
}
