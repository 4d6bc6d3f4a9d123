//! [`ChallengeStore`] on `code_challenges` (R-MF-3).
//!
//! Exact attempts under concurrency: an attempt is one transaction whose first
//! statement takes the challenge row with a write (`UPDATE … SET attempts_left
//! = attempts_left … RETURNING`), as the lockout counters do (`lockout.rs`).
//! On PostgreSQL that statement holds the row lock until commit, like `SELECT
//! … FOR UPDATE`, and a waiting attempt re-reads the row the previous one
//! committed (or finds it gone); on SQLite the first write holds the
//! database's write lock. So parallel attempts, from one node or many, are
//! decided one after the other: of a challenge with three tries, exactly three
//! wrong codes are answered `Wrong`, every later one `Exhausted`, and a right
//! code is accepted at most once.
//!
//! The attempt that uses the last try is answered `Wrong { attempts_left: 0 }`
//! (the user learns that no try remains); only attempts after it are
//! `Exhausted`. An exhausted challenge stays stored until it expires, so that
//! the resend throttle still sees when it was sent.

use super::SqlStore;
use crate::entities::code_challenges;
use crate::error::{db_error, unknown_value};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::factor::{ChallengeAttempt, CodeChallenge, FactorId};
use pforte_identity::ports::ChallengeStore;
use pforte_types::{AccountId, Method, StoreError};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

fn challenge_from_row(row: code_challenges::Model) -> Result<CodeChallenge, StoreError> {
    Ok(CodeChallenge {
        method: Method::parse(&row.method).ok_or_else(|| unknown_value("method", &row.method))?,
        id: row.id,
        account_id: AccountId(row.account_id),
        purpose: row.purpose,
        factor_id: row.factor_id.map(FactorId),
        code_digest: row.code_digest,
        sent_at: row.sent_at,
        expires_at: row.expires_at,
        attempts_left: u32::try_from(row.attempts_left).unwrap_or(0),
    })
}

/// Compares two digests without an early exit, so the time taken does not
/// tell how many leading characters of a guess were right.
fn equal_in_constant_time(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn by_account_and_purpose(account: AccountId, purpose: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(code_challenges::Column::AccountId.eq(account.0))
        .add(code_challenges::Column::Purpose.eq(purpose))
}

#[async_trait]
impl ChallengeStore for SqlStore {
    /// One `INSERT … ON CONFLICT (account_id, purpose) DO UPDATE`: the new
    /// code, its id and a full set of tries replace the old challenge in one
    /// statement, so the old code stops working the moment the new one is
    /// stored.
    async fn put_challenge(&self, challenge: &CodeChallenge) -> Result<(), StoreError> {
        let row = code_challenges::ActiveModel {
            id: Set(challenge.id.clone()),
            account_id: Set(challenge.account_id.0),
            purpose: Set(challenge.purpose.clone()),
            method: Set(challenge.method.as_str().to_owned()),
            factor_id: Set(challenge.factor_id.map(|id| id.0)),
            code_digest: Set(challenge.code_digest.clone()),
            sent_at: Set(challenge.sent_at),
            expires_at: Set(challenge.expires_at),
            attempts_left: Set(i32::try_from(challenge.attempts_left).unwrap_or(i32::MAX)),
        };
        code_challenges::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    code_challenges::Column::AccountId,
                    code_challenges::Column::Purpose,
                ])
                .update_columns([
                    code_challenges::Column::Id,
                    code_challenges::Column::Method,
                    code_challenges::Column::FactorId,
                    code_challenges::Column::CodeDigest,
                    code_challenges::Column::SentAt,
                    code_challenges::Column::ExpiresAt,
                    code_challenges::Column::AttemptsLeft,
                ])
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The stored challenge as it is, also when expired or exhausted: the
    /// caller compares `expires_at` with its clock and reads `attempts_left`.
    async fn current_challenge(
        &self,
        account: AccountId,
        purpose: &str,
    ) -> Result<Option<CodeChallenge>, StoreError> {
        code_challenges::Entity::find()
            .filter(by_account_and_purpose(account, purpose))
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(challenge_from_row)
            .transpose()
    }

    async fn attempt_challenge(
        &self,
        account: AccountId,
        purpose: &str,
        code_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<ChallengeAttempt, StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        let taken = code_challenges::Entity::update_many()
            .col_expr(
                code_challenges::Column::AttemptsLeft,
                Expr::col(code_challenges::Column::AttemptsLeft),
            )
            .filter(by_account_and_purpose(account, purpose))
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        let Some(row) = taken.into_iter().next() else {
            txn.commit().await.map_err(db_error)?;
            return Ok(ChallengeAttempt::Unknown);
        };
        let outcome = if now >= row.expires_at {
            delete_challenge(&txn, &row.id).await?;
            ChallengeAttempt::Expired
        } else if row.attempts_left <= 0 {
            ChallengeAttempt::Exhausted
        } else if equal_in_constant_time(&row.code_digest, code_digest) {
            delete_challenge(&txn, &row.id).await?;
            ChallengeAttempt::Matched
        } else {
            let left = row.attempts_left - 1;
            code_challenges::Entity::update_many()
                .col_expr(code_challenges::Column::AttemptsLeft, Expr::value(left))
                .filter(code_challenges::Column::Id.eq(row.id.as_str()))
                .exec(&txn)
                .await
                .map_err(db_error)?;
            ChallengeAttempt::Wrong {
                attempts_left: u32::try_from(left).unwrap_or(0),
            }
        };
        txn.commit().await.map_err(db_error)?;
        Ok(outcome)
    }

    async fn purge_expired_challenges(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = code_challenges::Entity::delete_many()
            .filter(code_challenges::Column::ExpiresAt.lt(before))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected)
    }
}

async fn delete_challenge<C: sea_orm::ConnectionTrait>(db: &C, id: &str) -> Result<(), StoreError> {
    code_challenges::Entity::delete_by_id(id)
        .exec(db)
        .await
        .map_err(db_error)?;
    Ok(())
}
