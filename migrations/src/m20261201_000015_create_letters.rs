//! The print queue of letters by post (R-RG-4 activation letters, R-PW-3
//! initial-password letters): one row per letter, queued by the letter
//! adapter of `pforte-notify` and printed by `pforte letters export`.
//!
//! The postal address and the template parameters (the activation code, the
//! initial password) are one value sealed with the master key and bound to the
//! letter's id (R-OP-4): the table alone shows only that a letter of a kind
//! exists, for which account, and whether it was printed. `exported_at` and
//! `batch_id` are set together, in the transaction that follows the writing
//! of the batch files; a pending letter has both empty.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Letters {
    Table,
    Id,
    AccountId,
    Template,
    Language,
    Sealed,
    CreatedAt,
    ExportedAt,
    BatchId,
}

const PENDING_INDEX: &str = "ix_letters_exported_at";
const ACCOUNT_INDEX: &str = "ix_letters_account_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Letters::Table)
                    .col(uuid(Letters::Id).primary_key())
                    .col(uuid_null(Letters::AccountId))
                    .col(string(Letters::Template))
                    .col(string(Letters::Language))
                    .col(blob(Letters::Sealed))
                    .col(timestamp_with_time_zone(Letters::CreatedAt))
                    .col(timestamp_with_time_zone_null(Letters::ExportedAt))
                    .col(uuid_null(Letters::BatchId))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            (PENDING_INDEX, Letters::ExportedAt),
            (ACCOUNT_INDEX, Letters::AccountId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Letters::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Letters::Table).to_owned())
            .await
    }
}
