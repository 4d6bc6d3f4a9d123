//! The `clients` table: registered relying parties (OIDC Registration 2).
//!
//! Secrets are kept only as digests; redirect URIs, grant types and scopes are JSON
//! lists because they are always read and written as a whole.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Clients {
    Table,
    ClientId,
    Name,
    SecretDigest,
    AuthMethod,
    Jwks,
    RedirectUris,
    PostLogoutRedirectUris,
    ApplicationType,
    RequirePar,
    RequirePkce,
    GrantTypes,
    ExtraScopes,
    IdTokenAlg,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .col(string(Clients::ClientId).primary_key())
                    .col(string_null(Clients::Name))
                    .col(string_null(Clients::SecretDigest))
                    .col(string(Clients::AuthMethod))
                    .col(json_null(Clients::Jwks))
                    .col(json(Clients::RedirectUris))
                    .col(json(Clients::PostLogoutRedirectUris))
                    .col(string(Clients::ApplicationType))
                    .col(boolean(Clients::RequirePar))
                    .col(boolean(Clients::RequirePkce))
                    .col(json(Clients::GrantTypes))
                    .col(json(Clients::ExtraScopes))
                    .col(string(Clients::IdTokenAlg))
                    .col(timestamp_with_time_zone(Clients::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Clients::Table).to_owned())
            .await
    }
}
