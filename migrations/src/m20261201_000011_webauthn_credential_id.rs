//! The WebAuthn credential id of a factor in a column of its own, with a
//! unique index (R-MF-1; WebAuthn §7.1 step 22: a credential id already
//! registered must be refused). The index makes the refusal atomic across
//! nodes, where a lookup before the insert would race. Other methods leave
//! the column empty; SQLite and PostgreSQL both let any number of rows hold
//! NULL under a unique index.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountFactors {
    Table,
    CredentialId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccountFactors::Table)
                    .add_column(string_null(AccountFactors::CredentialId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_account_factors_credential_id")
                    .table(AccountFactors::Table)
                    .col(AccountFactors::CredentialId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_account_factors_credential_id")
                    .table(AccountFactors::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccountFactors::Table)
                    .drop_column(AccountFactors::CredentialId)
                    .to_owned(),
            )
            .await
    }
}
