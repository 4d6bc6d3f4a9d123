//! Member data used to prove membership before an SMS-TAN is enrolled
//! (R-MF-4): the serial number of the health card, sealed with the master key
//! by the caller (R-OP-4). A table of its own, one row per account, so that
//! the account record stays as it is and member data can grow with
//! registration (R-RG-1) without touching it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MemberData {
    Table,
    AccountId,
    CardSerialSealed,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MemberData::Table)
                    .col(uuid(MemberData::AccountId).primary_key())
                    .col(blob_null(MemberData::CardSerialSealed))
                    .col(timestamp_with_time_zone(MemberData::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_member_data_account")
                            .from(MemberData::Table, MemberData::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MemberData::Table).to_owned())
            .await
    }
}
