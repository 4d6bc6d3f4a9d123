//! [`AccountStore`] and [`SubjectClaimsSource`] on the `accounts` table.
//!
//! Usernames are unique case-insensitively (R-ID): every write stores the
//! lowercase form in `username_key` under a unique index, and lookups go through
//! that column, so "Alice" and "alice" are the same account.

use super::SqlStore;
use crate::entities::{accounts, member_data};
use crate::error::db_error;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::account::Account;
use pforte_identity::ports::AccountStore;
use pforte_oauth::model::SubjectClaims;
use pforte_oauth::ports::SubjectClaimsSource;
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// The form of a username that uniqueness and lookups compare.
fn username_key(username: &str) -> String {
    username.to_lowercase()
}

/// The row of a new account (also written by the registration's transaction,
/// `member_links`).
pub(super) fn account_row(account: &Account) -> accounts::ActiveModel {
    accounts::ActiveModel {
        id: Set(account.id.0),
        username: Set(account.username.clone()),
        username_key: Set(username_key(&account.username)),
        password_hash: Set(account.password_hash.clone()),
        email: Set(account.email.clone()),
        email_verified: Set(account.email_verified),
        given_name: Set(account.given_name.clone()),
        family_name: Set(account.family_name.clone()),
        phone: Set(account.phone.clone()),
        phone_verified: Set(account.phone_verified),
        totp_secret_encrypted: Set(account.totp_secret_encrypted.clone()),
        must_change_password: Set(false),
        created_at: Set(account.created_at),
        updated_at: Set(account.updated_at),
    }
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn insert_account(&self, account: &Account) -> Result<(), StoreError> {
        let row = account_row(account);
        accounts::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn get_account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        let row = accounts::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(db_error)?;
        Ok(row.map(account_from_row))
    }

    async fn find_by_username(&self, username: &str) -> Result<Option<Account>, StoreError> {
        let row = accounts::Entity::find()
            .filter(accounts::Column::UsernameKey.eq(username_key(username)))
            .one(&self.db)
            .await
            .map_err(db_error)?;
        Ok(row.map(account_from_row))
    }

    async fn find_by_verified_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        let rows = accounts::Entity::find()
            .filter(accounts::Column::EmailVerified.eq(true))
            .filter(ExprTrait::eq(
                Func::lower(Expr::col(accounts::Column::Email)),
                email.to_lowercase(),
            ))
            .limit(2)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        // Verified on several accounts: ambiguous, so no account (see the port).
        Ok(match <[accounts::Model; 1]>::try_from(rows) {
            Ok([row]) => Some(account_from_row(row)),
            Err(_) => None,
        })
    }

    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows = accounts::Entity::find()
            .order_by_asc(accounts::Column::UsernameKey)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(account_from_row).collect())
    }

    /// The console's user search in the database: `LIKE` on the lower-cased
    /// columns, with `%`, `_` and `\` in the text taken literally.
    async fn search_accounts(&self, text: &str, limit: u64) -> Result<Vec<Account>, StoreError> {
        let needle = text.trim().to_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let escaped = needle
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let like = |column: accounts::Column| {
            ExprTrait::like(
                Func::lower(Expr::col(column)),
                LikeExpr::new(pattern.clone()).escape('\\'),
            )
        };
        let rows = accounts::Entity::find()
            .filter(
                Condition::any()
                    .add(like(accounts::Column::Username))
                    .add(like(accounts::Column::Email))
                    .add(like(accounts::Column::GivenName))
                    .add(like(accounts::Column::FamilyName)),
            )
            .order_by_asc(accounts::Column::UsernameKey)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(account_from_row).collect())
    }

    /// Replaces the password hash (R-PW-1 rehash, password change). Setting it
    /// for an account that no longer exists changes nothing.
    async fn set_password_hash(
        &self,
        id: AccountId,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        accounts::Entity::update_many()
            .col_expr(accounts::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(accounts::Column::UpdatedAt, Expr::value(at))
            .filter(accounts::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

#[async_trait]
impl SubjectClaimsSource for SqlStore {
    /// The standard claims of OIDC Core 5.1 that an account carries.
    async fn subject_claims(
        &self,
        account_id: AccountId,
    ) -> Result<Option<SubjectClaims>, StoreError> {
        let row = accounts::Entity::find_by_id(account_id.0)
            .one(&self.db)
            .await
            .map_err(db_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let birthdate = member_data::Entity::find_by_id(account_id.0)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .and_then(|data| data.birth_date);
        Ok(Some(SubjectClaims {
            preferred_username: Some(row.username),
            given_name: row.given_name,
            family_name: row.family_name,
            email: row.email,
            email_verified: row.email_verified,
            phone_number: row.phone,
            phone_number_verified: row.phone_verified,
            updated_at: Some(row.updated_at),
            birthdate: birthdate.map(|date| date.format("%Y-%m-%d").to_string()),
        }))
    }
}

fn account_from_row(row: accounts::Model) -> Account {
    Account {
        id: AccountId(row.id),
        username: row.username,
        password_hash: row.password_hash,
        email: row.email,
        email_verified: row.email_verified,
        given_name: row.given_name,
        family_name: row.family_name,
        phone: row.phone,
        phone_verified: row.phone_verified,
        totp_secret_encrypted: row.totp_secret_encrypted,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}
