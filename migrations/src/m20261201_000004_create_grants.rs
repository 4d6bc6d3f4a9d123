//! Grants and what is issued from them: `grants`, `authorization_codes` and
//! `refresh_tokens` (RFC 6749 4.1, 6).
//!
//! Codes and refresh tokens are stored under the SHA-256 digest of their value and
//! are never deleted on use: `consumed_at` / `used_at` mark them spent, so a second
//! use is recognised as reuse and revokes the grant (RFC 9700 2.2.2, 4.14).
//! Removing a client removes its grants, and removing a grant removes its codes
//! and refresh tokens.

use crate::m20261201_000001_create_clients::Clients;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Grants {
    Table,
    GrantId,
    ClientId,
    AccountId,
    Scope,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    CodeDigest,
    GrantId,
    ClientId,
    AccountId,
    RedirectUri,
    Scope,
    Nonce,
    CodeChallenge,
    ClaimsRequest,
    AuthTime,
    Acr,
    Amr,
    Sid,
    ExpiresAt,
    ConsumedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenDigest,
    GrantId,
    ClientId,
    AccountId,
    Scope,
    ClaimsRequest,
    AuthTime,
    Acr,
    Amr,
    Sid,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .col(string(Grants::GrantId).primary_key())
                    .col(string(Grants::ClientId))
                    .col(uuid(Grants::AccountId))
                    .col(text(Grants::Scope))
                    .col(timestamp_with_time_zone(Grants::CreatedAt))
                    .col(timestamp_with_time_zone_null(Grants::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_grants_client")
                            .from(Grants::Table, Grants::ClientId)
                            .to(Clients::Table, Clients::ClientId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_grants_client_id")
                    .table(Grants::Table)
                    .col(Grants::ClientId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuthorizationCodes::Table)
                    .col(string(AuthorizationCodes::CodeDigest).primary_key())
                    .col(string(AuthorizationCodes::GrantId))
                    .col(string(AuthorizationCodes::ClientId))
                    .col(uuid(AuthorizationCodes::AccountId))
                    .col(text(AuthorizationCodes::RedirectUri))
                    .col(text(AuthorizationCodes::Scope))
                    .col(text_null(AuthorizationCodes::Nonce))
                    .col(string_null(AuthorizationCodes::CodeChallenge))
                    .col(json_null(AuthorizationCodes::ClaimsRequest))
                    .col(timestamp_with_time_zone(AuthorizationCodes::AuthTime))
                    .col(string(AuthorizationCodes::Acr))
                    .col(json(AuthorizationCodes::Amr))
                    .col(string_null(AuthorizationCodes::Sid))
                    .col(timestamp_with_time_zone(AuthorizationCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        AuthorizationCodes::ConsumedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_authorization_codes_grant")
                            .from(AuthorizationCodes::Table, AuthorizationCodes::GrantId)
                            .to(Grants::Table, Grants::GrantId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_authorization_codes_grant_id")
                    .table(AuthorizationCodes::Table)
                    .col(AuthorizationCodes::GrantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_authorization_codes_expires_at")
                    .table(AuthorizationCodes::Table)
                    .col(AuthorizationCodes::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(string(RefreshTokens::TokenDigest).primary_key())
                    .col(string(RefreshTokens::GrantId))
                    .col(string(RefreshTokens::ClientId))
                    .col(uuid(RefreshTokens::AccountId))
                    .col(text(RefreshTokens::Scope))
                    .col(json_null(RefreshTokens::ClaimsRequest))
                    .col(timestamp_with_time_zone(RefreshTokens::AuthTime))
                    .col(string(RefreshTokens::Acr))
                    .col(json(RefreshTokens::Amr))
                    .col(string_null(RefreshTokens::Sid))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_grant")
                            .from(RefreshTokens::Table, RefreshTokens::GrantId)
                            .to(Grants::Table, Grants::GrantId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_grant_id")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::GrantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_expires_at")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RefreshTokens::Table.into_iden(),
            AuthorizationCodes::Table.into_iden(),
            Grants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
