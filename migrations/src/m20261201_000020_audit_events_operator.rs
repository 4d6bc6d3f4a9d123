//! The operator who acted, next to every audit event (R-OP-1, R-OP-3): the
//! username of a console operator or `client:<id>` of an admin API client.
//! Nullable: a user's own actions and the provider's name no operator.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Operator,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(string_null(AuditEvents::Operator))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .drop_column(AuditEvents::Operator)
                    .to_owned(),
            )
            .await
    }
}
