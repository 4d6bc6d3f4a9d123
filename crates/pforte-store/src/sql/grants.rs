//! Grants, authorization codes and refresh tokens on their tables.
//!
//! The security of the code and refresh flows rests on one rule (DESIGN.md §3):
//! redeeming is a single conditional `UPDATE … WHERE digest = ? AND <spent> IS
//! NULL`. The database serialises concurrent updates of the row, so exactly one
//! caller sees the row change; every other caller gets no row back and learns
//! from a plain lookup that the artefact was spent (reuse: the caller revokes the
//! grant, RFC 9700 2.2.2, 4.14.2) or never existed.

use crate::entities::{authorization_codes, grants, refresh_tokens};
use crate::error::{db_error, from_json, to_json};
use chrono::{DateTime, Utc};
use pforte_oauth::model::{
    AuthContext, AuthorizationCode, CodeConsumption, Grant, RefreshConsumption, RefreshToken,
};
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

pub(super) async fn insert_grant(db: &DatabaseConnection, grant: &Grant) -> Result<(), StoreError> {
    let row = grants::ActiveModel {
        grant_id: Set(grant.grant_id.clone()),
        client_id: Set(grant.client_id.clone()),
        account_id: Set(grant.account_id.0),
        scope: Set(grant.scope.clone()),
        created_at: Set(grant.created_at),
        revoked_at: Set(grant.revoked_at),
    };
    grants::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(super) async fn get_grant(
    db: &DatabaseConnection,
    grant_id: &str,
) -> Result<Option<Grant>, StoreError> {
    let row = grants::Entity::find_by_id(grant_id)
        .one(db)
        .await
        .map_err(db_error)?;
    Ok(row.map(|row| Grant {
        grant_id: row.grant_id,
        client_id: row.client_id,
        account_id: AccountId(row.account_id),
        scope: row.scope,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    }))
}

/// Marks the grant revoked; a grant revoked earlier keeps its first revocation time.
pub(super) async fn revoke_grant(
    db: &DatabaseConnection,
    grant_id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    grants::Entity::update_many()
        .col_expr(grants::Column::RevokedAt, Expr::value(Some(at)))
        .filter(grants::Column::GrantId.eq(grant_id))
        .filter(grants::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(super) async fn insert_code(
    db: &DatabaseConnection,
    code: &AuthorizationCode,
) -> Result<(), StoreError> {
    let row = authorization_codes::ActiveModel {
        code_digest: Set(code.code_digest.clone()),
        grant_id: Set(code.grant_id.clone()),
        client_id: Set(code.client_id.clone()),
        account_id: Set(code.account_id.0),
        redirect_uri: Set(code.redirect_uri.clone()),
        scope: Set(code.scope.clone()),
        nonce: Set(code.nonce.clone()),
        code_challenge: Set(code.code_challenge.clone()),
        claims_request: Set(code.claims_request.clone()),
        auth_time: Set(code.auth.auth_time),
        acr: Set(code.auth.acr.clone()),
        amr: Set(to_json(&code.auth.amr, "amr")?),
        sid: Set(code.auth.sid.clone()),
        expires_at: Set(code.expires_at),
        consumed_at: Set(None),
    };
    authorization_codes::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Redeems a code with one conditional update (RFC 6749 4.1.2: a code is used at
/// most once). The time of consumption is only a record; expiry is the caller's.
pub(super) async fn consume_code(
    db: &DatabaseConnection,
    code_digest: &str,
) -> Result<CodeConsumption, StoreError> {
    let consumed = authorization_codes::Entity::update_many()
        .col_expr(
            authorization_codes::Column::ConsumedAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(authorization_codes::Column::CodeDigest.eq(code_digest))
        .filter(authorization_codes::Column::ConsumedAt.is_null())
        .exec_with_returning(db)
        .await
        .map_err(db_error)?;
    if let Some(row) = consumed.into_iter().next() {
        return code_from_row(row).map(CodeConsumption::Fresh);
    }
    let spent = authorization_codes::Entity::find_by_id(code_digest)
        .one(db)
        .await
        .map_err(db_error)?;
    Ok(match spent {
        Some(row) => CodeConsumption::AlreadyUsed {
            grant_id: row.grant_id,
        },
        None => CodeConsumption::Unknown,
    })
}

pub(super) async fn insert_refresh_token(
    db: &DatabaseConnection,
    token: &RefreshToken,
) -> Result<(), StoreError> {
    let row = refresh_tokens::ActiveModel {
        token_digest: Set(token.token_digest.clone()),
        grant_id: Set(token.grant_id.clone()),
        client_id: Set(token.client_id.clone()),
        account_id: Set(token.account_id.0),
        scope: Set(token.scope.clone()),
        claims_request: Set(token.claims_request.clone()),
        auth_time: Set(token.auth.auth_time),
        acr: Set(token.auth.acr.clone()),
        amr: Set(to_json(&token.auth.amr, "amr")?),
        sid: Set(token.auth.sid.clone()),
        created_at: Set(token.created_at),
        expires_at: Set(token.expires_at),
        used_at: Set(None),
    };
    refresh_tokens::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Rotates a refresh token with one conditional update (RFC 9700 4.14.2). Only
/// `used_at` decides; whether the grant was revoked is the caller's check.
pub(super) async fn consume_refresh_token(
    db: &DatabaseConnection,
    token_digest: &str,
    at: DateTime<Utc>,
) -> Result<RefreshConsumption, StoreError> {
    let used = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(Some(at)))
        .filter(refresh_tokens::Column::TokenDigest.eq(token_digest))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec_with_returning(db)
        .await
        .map_err(db_error)?;
    if let Some(row) = used.into_iter().next() {
        return refresh_token_from_row(row).map(RefreshConsumption::Fresh);
    }
    let spent = refresh_tokens::Entity::find_by_id(token_digest)
        .one(db)
        .await
        .map_err(db_error)?;
    Ok(match spent {
        Some(row) => RefreshConsumption::Reused {
            grant_id: row.grant_id,
        },
        None => RefreshConsumption::Unknown,
    })
}

/// The token while it is unused and its grant stands (RFC 7662 introspection,
/// RFC 7009 revocation); expiry is the caller's check.
pub(super) async fn find_active_refresh_token(
    db: &DatabaseConnection,
    token_digest: &str,
) -> Result<Option<RefreshToken>, StoreError> {
    let Some(row) = refresh_tokens::Entity::find_by_id(token_digest)
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .one(db)
        .await
        .map_err(db_error)?
    else {
        return Ok(None);
    };
    let grant_stands = grants::Entity::find_by_id(row.grant_id.as_str())
        .filter(grants::Column::RevokedAt.is_null())
        .one(db)
        .await
        .map_err(db_error)?
        .is_some();
    if grant_stands {
        refresh_token_from_row(row).map(Some)
    } else {
        Ok(None)
    }
}

/// Deletes expired codes and refresh tokens; an expired one can never be
/// redeemed, so its reuse needs no detection any more.
pub(super) async fn purge_expired(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let codes = authorization_codes::Entity::delete_many()
        .filter(authorization_codes::Column::ExpiresAt.lt(now))
        .exec(db)
        .await
        .map_err(db_error)?;
    let tokens = refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::ExpiresAt.lt(now))
        .exec(db)
        .await
        .map_err(db_error)?;
    Ok(codes.rows_affected + tokens.rows_affected)
}

fn code_from_row(row: authorization_codes::Model) -> Result<AuthorizationCode, StoreError> {
    Ok(AuthorizationCode {
        auth: AuthContext {
            auth_time: row.auth_time,
            acr: row.acr,
            amr: from_json(row.amr, "amr")?,
            sid: row.sid,
        },
        code_digest: row.code_digest,
        grant_id: row.grant_id,
        client_id: row.client_id,
        account_id: AccountId(row.account_id),
        redirect_uri: row.redirect_uri,
        scope: row.scope,
        nonce: row.nonce,
        code_challenge: row.code_challenge,
        claims_request: row.claims_request,
        expires_at: row.expires_at,
    })
}

fn refresh_token_from_row(row: refresh_tokens::Model) -> Result<RefreshToken, StoreError> {
    Ok(RefreshToken {
        auth: AuthContext {
            auth_time: row.auth_time,
            acr: row.acr,
            amr: from_json(row.amr, "amr")?,
            sid: row.sid,
        },
        token_digest: row.token_digest,
        grant_id: row.grant_id,
        client_id: row.client_id,
        account_id: AccountId(row.account_id),
        scope: row.scope,
        claims_request: row.claims_request,
        created_at: row.created_at,
        expires_at: row.expires_at,
    })
}
