//! The `accounts` table: users who log in, and the source of their OpenID claims
//! (OIDC Core 5.1).
//!
//! Usernames compare case-insensitively: `username_key` holds the lowercase form
//! under a unique index, so two accounts can never differ only by case, while
//! `username` keeps the spelling the user chose.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Username,
    UsernameKey,
    PasswordHash,
    Email,
    EmailVerified,
    GivenName,
    FamilyName,
    Phone,
    PhoneVerified,
    TotpSecretEncrypted,
    CreatedAt,
    UpdatedAt,
}

const USERNAME_KEY_INDEX: &str = "ux_accounts_username_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(uuid(Accounts::Id).primary_key())
                    .col(string(Accounts::Username))
                    .col(string(Accounts::UsernameKey))
                    .col(string(Accounts::PasswordHash))
                    .col(string_null(Accounts::Email))
                    .col(boolean(Accounts::EmailVerified))
                    .col(string_null(Accounts::GivenName))
                    .col(string_null(Accounts::FamilyName))
                    .col(string_null(Accounts::Phone))
                    .col(boolean(Accounts::PhoneVerified))
                    .col(blob_null(Accounts::TotpSecretEncrypted))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(USERNAME_KEY_INDEX)
                    .table(Accounts::Table)
                    .col(Accounts::UsernameKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Accounts::Table).to_owned())
            .await
    }
}
