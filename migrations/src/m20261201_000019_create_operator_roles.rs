//! The roles operators hold (R-OP-1): one row per account and role, granted
//! with `pforte operator grant`. The pair is the key, so a role is held once;
//! deleting the account deletes its roles.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OperatorRoles {
    Table,
    AccountId,
    Role,
    GrantedAt,
    GrantedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OperatorRoles::Table)
                    .col(uuid(OperatorRoles::AccountId))
                    .col(string(OperatorRoles::Role))
                    .col(timestamp_with_time_zone(OperatorRoles::GrantedAt))
                    .col(string(OperatorRoles::GrantedBy))
                    .primary_key(
                        Index::create()
                            .name("pk_operator_roles")
                            .col(OperatorRoles::AccountId)
                            .col(OperatorRoles::Role),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_operator_roles_account")
                            .from(OperatorRoles::Table, OperatorRoles::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OperatorRoles::Table).to_owned())
            .await
    }
}
