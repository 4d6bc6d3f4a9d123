//! Short-lived single-use records of the protocol: `pushed_requests` (RFC 9126),
//! `assertion_jtis` (replay protection for client assertions, RFC 7523 3) and
//! `revoked_access_tokens` (RFC 7009). Each row carries `expires_at` so the purge
//! job can drop it once it no longer matters.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PushedRequests {
    Table,
    UriDigest,
    ClientId,
    Params,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AssertionJtis {
    Table,
    ClientId,
    Jti,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum RevokedAccessTokens {
    Table,
    Jti,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PushedRequests::Table)
                    .col(string(PushedRequests::UriDigest).primary_key())
                    .col(string(PushedRequests::ClientId))
                    .col(json(PushedRequests::Params))
                    .col(timestamp_with_time_zone(PushedRequests::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_pushed_requests_expires_at")
                    .table(PushedRequests::Table)
                    .col(PushedRequests::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AssertionJtis::Table)
                    .col(string(AssertionJtis::ClientId))
                    .col(string(AssertionJtis::Jti))
                    .col(timestamp_with_time_zone(AssertionJtis::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .name("pk_assertion_jtis")
                            .col(AssertionJtis::ClientId)
                            .col(AssertionJtis::Jti),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_assertion_jtis_expires_at")
                    .table(AssertionJtis::Table)
                    .col(AssertionJtis::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RevokedAccessTokens::Table)
                    .col(string(RevokedAccessTokens::Jti).primary_key())
                    .col(timestamp_with_time_zone(RevokedAccessTokens::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_revoked_access_tokens_expires_at")
                    .table(RevokedAccessTokens::Table)
                    .col(RevokedAccessTokens::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RevokedAccessTokens::Table.into_iden(),
            AssertionJtis::Table.into_iden(),
            PushedRequests::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
