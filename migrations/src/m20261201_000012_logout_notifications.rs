//! Logout notifications to relying parties (R-SE-2).
//!
//! * Four client columns for the registration metadata of OpenID Back-Channel
//!   Logout 1.0 §2.2 (`backchannel_logout_uri`,
//!   `backchannel_logout_session_required`) and Front-Channel Logout 1.0 §2
//!   (`frontchannel_logout_uri`, `frontchannel_logout_session_required`).
//!   Existing clients get no URIs and `false`, which changes nothing for them.
//! * `backchannel_logout_deliveries`: the durable queue of logout tokens still
//!   to be delivered, one row per (ended session, client). A row survives a
//!   restart; a node claims it by moving `claimed_until` forward with one
//!   conditional update, so two nodes never deliver the same row at the same
//!   time. `next_attempt_at` carries the retry back-off; the row is deleted
//!   when the delivery succeeded or was given up.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    BackchannelLogoutUri,
    BackchannelLogoutSessionRequired,
    FrontchannelLogoutUri,
    FrontchannelLogoutSessionRequired,
}

#[derive(DeriveIden)]
enum BackchannelLogoutDeliveries {
    Table,
    Id,
    ClientId,
    AccountId,
    Sid,
    Reason,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        let mut columns = [
            string_null(Clients::BackchannelLogoutUri),
            boolean(Clients::BackchannelLogoutSessionRequired),
            string_null(Clients::FrontchannelLogoutUri),
            boolean(Clients::FrontchannelLogoutSessionRequired),
        ];
        columns[1].default(false);
        columns[3].default(false);
        for column in &mut columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Clients::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(BackchannelLogoutDeliveries::Table)
                    .col(uuid(BackchannelLogoutDeliveries::Id).primary_key())
                    .col(string(BackchannelLogoutDeliveries::ClientId))
                    .col(uuid(BackchannelLogoutDeliveries::AccountId))
                    .col(string(BackchannelLogoutDeliveries::Sid))
                    .col(string(BackchannelLogoutDeliveries::Reason))
                    .col(integer(BackchannelLogoutDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(
                        BackchannelLogoutDeliveries::NextAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        BackchannelLogoutDeliveries::ClaimedUntil,
                    ))
                    .col(string_null(BackchannelLogoutDeliveries::LastError))
                    .col(timestamp_with_time_zone(
                        BackchannelLogoutDeliveries::CreatedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_backchannel_logout_deliveries_next_attempt_at")
                    .table(BackchannelLogoutDeliveries::Table)
                    .col(BackchannelLogoutDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(BackchannelLogoutDeliveries::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Clients::FrontchannelLogoutSessionRequired,
            Clients::FrontchannelLogoutUri,
            Clients::BackchannelLogoutSessionRequired,
            Clients::BackchannelLogoutUri,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Clients::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
