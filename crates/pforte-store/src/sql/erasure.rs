//! [`AccountErasureStore`]: account deletion
//! (R-RC-4) across `accounts`, `password_history`, `account_factors`,
//! `recovery_codes`, `code_challenges`, `terms_acceptances`, `member_data`,
//! `lockout_counters`, the account's grants with their codes and refresh
//! tokens, and the pseudonymisation of `audit_events`, in one transaction.

use super::SqlStore;
use super::lockout::insert_events;
use crate::entities::{
    account_factors, accounts, audit_events, authorization_codes, code_challenges, grants,
    lockout_counters, member_data, password_history, recovery_codes, refresh_tokens,
    terms_acceptances,
};
use crate::error::db_error;
use async_trait::async_trait;
use pforte_identity::audit::AuditEvent;
use pforte_identity::ports::AccountErasureStore;
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};

#[async_trait]
impl AccountErasureStore for SqlStore {
    async fn erase_account(
        &self,
        account: AccountId,
        username: &str,
        pseudonym: &str,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let id = account.0;
        let txn = self.db.begin().await.map_err(db_error)?;
        let grant_ids: Vec<String> = grants::Entity::find()
            .select_only()
            .column(grants::Column::GrantId)
            .filter(grants::Column::AccountId.eq(id))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(db_error)?;
        refresh_tokens::Entity::delete_many()
            .filter(refresh_tokens::Column::AccountId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        authorization_codes::Entity::delete_many()
            .filter(authorization_codes::Column::AccountId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if !grant_ids.is_empty() {
            grants::Entity::delete_many()
                .filter(grants::Column::GrantId.is_in(grant_ids))
                .exec(&txn)
                .await
                .map_err(db_error)?;
        }
        password_history::Entity::delete_many()
            .filter(password_history::Column::AccountId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        recovery_codes::Entity::delete_many()
            .filter(recovery_codes::Column::AccountId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        account_factors::Entity::delete_many()
            .filter(account_factors::Column::AccountId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        code_challenges::Entity::delete_many()
            .filter(code_challenges::Column::AccountId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        terms_acceptances::Entity::delete_many()
            .filter(terms_acceptances::Column::AccountId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        member_data::Entity::delete_many()
            .filter(member_data::Column::AccountId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        lockout_counters::Entity::delete_many()
            .filter(lockout_counters::Column::AccountId.eq(id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        let deleted = accounts::Entity::delete_by_id(id)
            .exec(&txn)
            .await
            .map_err(db_error)?;
        // The trail stays; the name in it goes (by account, and the same
        // login name's events without an account, e.g. failed logins counted
        // before the account was known).
        audit_events::Entity::update_many()
            .col_expr(audit_events::Column::Username, Expr::value(pseudonym))
            .filter(
                Condition::any()
                    .add(audit_events::Column::AccountId.eq(id))
                    .add(
                        Condition::all()
                            .add(audit_events::Column::AccountId.is_null())
                            .add(ExprTrait::eq(
                                Func::lower(Expr::col(audit_events::Column::Username)),
                                username.to_lowercase(),
                            )),
                    ),
            )
            .exec(&txn)
            .await
            .map_err(db_error)?;
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)?;
        Ok(deleted.rows_affected > 0)
    }
}
