//! Lockout counters, password state and the audit trail (R-LO-1 … R-LO-6,
//! R-PW-2, R-PW-3, R-OP-3).
//!
//! * `lockout_counters`: one row per counter key, `account:<id>` for accounts
//!   and `name:<normalised login name>` for unknown names, so unknown names are
//!   counted and locked like real ones (R-LO-4). `version` is bumped by the
//!   statement that takes the row lock before an attempt is decided (R-LO-3).
//! * `accounts.must_change_password`: the password is an initial one (R-PW-3).
//! * `password_history`: hashes of previous passwords (never clear text).
//! * `audit_events`: append-only trail, written in the transaction of the
//!   change it records.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LockoutCounters {
    Table,
    CounterKey,
    AccountId,
    Username,
    Failures,
    Consecutive,
    LockedUntil,
    DeactivatedReason,
    LastFailureAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    MustChangePassword,
}

#[derive(DeriveIden)]
enum PasswordHistory {
    Table,
    Id,
    AccountId,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    Kind,
    AccountId,
    Username,
    Client,
    Ip,
    UserAgent,
    RequestId,
    Detail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LockoutCounters::Table)
                    .col(string(LockoutCounters::CounterKey).primary_key())
                    .col(uuid_null(LockoutCounters::AccountId))
                    .col(string(LockoutCounters::Username))
                    .col(integer(LockoutCounters::Failures).default(0))
                    .col(integer(LockoutCounters::Consecutive).default(0))
                    .col(timestamp_with_time_zone_null(LockoutCounters::LockedUntil))
                    .col(string_null(LockoutCounters::DeactivatedReason))
                    .col(timestamp_with_time_zone_null(
                        LockoutCounters::LastFailureAt,
                    ))
                    .col(timestamp_with_time_zone(LockoutCounters::UpdatedAt))
                    .col(big_integer(LockoutCounters::Version).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(boolean(Accounts::MustChangePassword).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordHistory::Table)
                    .col(
                        big_integer(PasswordHistory::Id)
                            .primary_key()
                            .auto_increment(),
                    )
                    .col(uuid(PasswordHistory::AccountId))
                    .col(string(PasswordHistory::PasswordHash))
                    .col(timestamp_with_time_zone(PasswordHistory::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_password_history_account")
                            .from(PasswordHistory::Table, PasswordHistory::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_password_history_account")
                    .table(PasswordHistory::Table)
                    .col(PasswordHistory::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_integer(AuditEvents::Id).primary_key().auto_increment())
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(string(AuditEvents::Kind))
                    .col(uuid_null(AuditEvents::AccountId))
                    .col(string_null(AuditEvents::Username))
                    .col(string_null(AuditEvents::Client))
                    .col(string_null(AuditEvents::Ip))
                    .col(string_null(AuditEvents::UserAgent))
                    .col(string_null(AuditEvents::RequestId))
                    .col(string_null(AuditEvents::Detail))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_audit_events_at", AuditEvents::At),
            ("ix_audit_events_account", AuditEvents::AccountId),
            ("ix_audit_events_username", AuditEvents::Username),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            PasswordHistory::Table.into_iden(),
            LockoutCounters::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::MustChangePassword)
                    .to_owned(),
            )
            .await
    }
}
