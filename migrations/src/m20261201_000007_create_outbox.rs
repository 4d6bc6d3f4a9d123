//! The dev outbox (DESIGN.md §2, pforte-notify): every message the outbox
//! adapter "sent" instead of handing it to SMTP or an SMS gateway, for the
//! admin console, `pforte outbox list` and tests.
//!
//! * `outbox_messages`: one row per message; `params` is the JSON object of
//!   the template parameters (with the rendered `_subject` and `_body`).
//!   Newest first is `created_at` descending, then `id` (UUIDv7) descending.
//!
//! The outbox holds codes and contact data in clear: it is meant for
//! development and test installations, never for production.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxMessages {
    Table,
    Id,
    Channel,
    Recipient,
    Template,
    Language,
    Params,
    AccountId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxMessages::Table)
                    .col(uuid(OutboxMessages::Id).primary_key())
                    .col(string(OutboxMessages::Channel))
                    .col(string(OutboxMessages::Recipient))
                    .col(string(OutboxMessages::Template))
                    .col(string(OutboxMessages::Language))
                    .col(json(OutboxMessages::Params))
                    .col(uuid_null(OutboxMessages::AccountId))
                    .col(timestamp_with_time_zone(OutboxMessages::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_outbox_messages_recipient", OutboxMessages::Recipient),
            ("ix_outbox_messages_created_at", OutboxMessages::CreatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(OutboxMessages::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OutboxMessages::Table).to_owned())
            .await
    }
}
