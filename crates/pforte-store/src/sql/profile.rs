//! [`ProfileStore`] on `terms_acceptances` and the contact columns of
//! `accounts` (R-RG-7, R-RG-2); [`BirthdateStore`] on `member_data`.
//!
//! Every accepted terms version is kept with its time, so an operator can
//! show which text a user agreed to and when; the current one is the latest
//! row. Each change is written with its audit events in one transaction
//! (R-OP-3). A change for an account that does not exist fails with
//! [`StoreError::Conflict`] and writes nothing.

use super::SqlStore;
use super::lockout::insert_events;
use crate::entities::{accounts, member_data, terms_acceptances};
use crate::error::db_error;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use pforte_identity::audit::AuditEvent;
use pforte_identity::ports::{BirthdateStore, ProfileStore};
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

/// Which contact a verification sets.
#[derive(Clone, Copy)]
enum Contact {
    Email,
    Phone,
}

/// Sets `updated_at` of the account; fails when there is no such account.
async fn touch_account(
    txn: &DatabaseTransaction,
    account: AccountId,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let result = accounts::Entity::update_many()
        .col_expr(accounts::Column::UpdatedAt, Expr::value(at))
        .filter(accounts::Column::Id.eq(account.0))
        .exec(txn)
        .await
        .map_err(db_error)?;
    if result.rows_affected == 0 {
        return Err(StoreError::Conflict(format!("no account {account}")));
    }
    Ok(())
}

impl SqlStore {
    async fn set_verified_contact(
        &self,
        account: AccountId,
        contact: Contact,
        value: &str,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let (column, verified) = match contact {
            Contact::Email => (accounts::Column::Email, accounts::Column::EmailVerified),
            Contact::Phone => (accounts::Column::Phone, accounts::Column::PhoneVerified),
        };
        let txn = self.db.begin().await.map_err(db_error)?;
        let result = accounts::Entity::update_many()
            .col_expr(column, Expr::value(value))
            .col_expr(verified, Expr::value(true))
            .col_expr(accounts::Column::UpdatedAt, Expr::value(at))
            .filter(accounts::Column::Id.eq(account.0))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if result.rows_affected == 0 {
            return Err(StoreError::Conflict(format!("no account {account}")));
        }
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)
    }
}

#[async_trait]
impl ProfileStore for SqlStore {
    async fn set_card_serial_sealed(
        &self,
        account: AccountId,
        sealed: &[u8],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let row = member_data::ActiveModel {
            account_id: Set(account.0),
            card_serial_sealed: Set(Some(sealed.to_vec())),
            birth_date: NotSet,
            updated_at: Set(at),
        };
        member_data::Entity::insert(row)
            .on_conflict(
                OnConflict::column(member_data::Column::AccountId)
                    .update_columns([
                        member_data::Column::CardSerialSealed,
                        member_data::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn card_serial_sealed(&self, account: AccountId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(member_data::Entity::find_by_id(account.0)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .and_then(|row| row.card_serial_sealed))
    }

    async fn accepted_terms(&self, account: AccountId) -> Result<Option<String>, StoreError> {
        let latest: Option<String> = terms_acceptances::Entity::find()
            .select_only()
            .column(terms_acceptances::Column::Version)
            .filter(terms_acceptances::Column::AccountId.eq(account.0))
            .order_by_desc(terms_acceptances::Column::Id)
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(db_error)?;
        Ok(latest)
    }

    async fn accept_terms(
        &self,
        account: AccountId,
        version: &str,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        touch_account(&txn, account, at).await?;
        terms_acceptances::Entity::insert(terms_acceptances::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            account_id: Set(account.0),
            version: Set(version.to_owned()),
            accepted_at: Set(at),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_error)?;
        insert_events(&txn, events).await?;
        txn.commit().await.map_err(db_error)
    }

    async fn set_verified_email(
        &self,
        account: AccountId,
        email: &str,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.set_verified_contact(account, Contact::Email, email, at, events)
            .await
    }

    async fn set_verified_phone(
        &self,
        account: AccountId,
        phone: &str,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.set_verified_contact(account, Contact::Phone, phone, at, events)
            .await
    }
}

#[async_trait]
impl BirthdateStore for SqlStore {
    async fn set_birthdate(
        &self,
        account: AccountId,
        birthdate: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let row = member_data::ActiveModel {
            account_id: Set(account.0),
            card_serial_sealed: NotSet,
            birth_date: Set(Some(birthdate)),
            updated_at: Set(at),
        };
        member_data::Entity::insert(row)
            .on_conflict(
                OnConflict::column(member_data::Column::AccountId)
                    .update_columns([
                        member_data::Column::BirthDate,
                        member_data::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn birthdate(&self, account: AccountId) -> Result<Option<NaiveDate>, StoreError> {
        Ok(member_data::Entity::find_by_id(account.0)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .and_then(|row| row.birth_date))
    }
}
