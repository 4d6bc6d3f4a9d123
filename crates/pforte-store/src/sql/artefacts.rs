//! Single-use protocol records: pushed authorization requests (RFC 9126),
//! client assertion `jti`s (RFC 7523 3) and revoked access tokens (RFC 7009).
//!
//! Each is one statement whose outcome the database decides atomically: taking a
//! PAR request is `DELETE … RETURNING` (only one taker gets the row), and a `jti`
//! is remembered by an insert that does nothing on a duplicate key (a replay
//! inserts no row).

use crate::entities::{assertion_jtis, pushed_requests, revoked_access_tokens};
use crate::error::{db_error, from_json, to_json};
use chrono::{DateTime, Utc};
use pforte_oauth::model::PushedRequest;
use pforte_types::StoreError;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TryInsertResult,
};

pub(super) async fn insert_pushed_request(
    db: &DatabaseConnection,
    request: &PushedRequest,
) -> Result<(), StoreError> {
    let row = pushed_requests::ActiveModel {
        uri_digest: Set(request.uri_digest.clone()),
        client_id: Set(request.client_id.clone()),
        params: Set(to_json(&request.params, "params")?),
        expires_at: Set(request.expires_at),
    };
    pushed_requests::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Removes and returns the request in one statement (RFC 9126 2.2: a request_uri
/// is used once). Expiry is the caller's check.
pub(super) async fn take_pushed_request(
    db: &DatabaseConnection,
    uri_digest: &str,
) -> Result<Option<PushedRequest>, StoreError> {
    let taken = pushed_requests::Entity::delete_by_id(uri_digest)
        .exec_with_returning(db)
        .await
        .map_err(db_error)?;
    taken
        .map(|row| {
            Ok(PushedRequest {
                params: from_json(row.params, "params")?,
                uri_digest: row.uri_digest,
                client_id: row.client_id,
                expires_at: row.expires_at,
            })
        })
        .transpose()
}

/// Returns `false` when the client already used this `jti` (replay).
pub(super) async fn remember_assertion_jti(
    db: &DatabaseConnection,
    client_id: &str,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row = assertion_jtis::ActiveModel {
        client_id: Set(client_id.to_owned()),
        jti: Set(jti.to_owned()),
        expires_at: Set(expires_at),
    };
    let outcome = assertion_jtis::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await
        .map_err(db_error)?;
    Ok(matches!(outcome, TryInsertResult::Inserted(rows) if rows > 0))
}

/// Records the revocation; revoking twice is harmless.
pub(super) async fn revoke_access_token(
    db: &DatabaseConnection,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = revoked_access_tokens::ActiveModel {
        jti: Set(jti.to_owned()),
        expires_at: Set(expires_at),
    };
    revoked_access_tokens::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(super) async fn is_access_token_revoked(
    db: &DatabaseConnection,
    jti: &str,
) -> Result<bool, StoreError> {
    let found = revoked_access_tokens::Entity::find_by_id(jti)
        .one(db)
        .await
        .map_err(db_error)?;
    Ok(found.is_some())
}

/// Deletes PAR requests, `jti`s and revocation entries whose time has passed: an
/// expired request_uri, assertion or access token is rejected on expiry alone.
pub(super) async fn purge_expired(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let requests = pushed_requests::Entity::delete_many()
        .filter(pushed_requests::Column::ExpiresAt.lt(now))
        .exec(db)
        .await
        .map_err(db_error)?;
    let jtis = assertion_jtis::Entity::delete_many()
        .filter(assertion_jtis::Column::ExpiresAt.lt(now))
        .exec(db)
        .await
        .map_err(db_error)?;
    let revocations = revoked_access_tokens::Entity::delete_many()
        .filter(revoked_access_tokens::Column::ExpiresAt.lt(now))
        .exec(db)
        .await
        .map_err(db_error)?;
    Ok(requests.rows_affected + jtis.rows_affected + revocations.rows_affected)
}
