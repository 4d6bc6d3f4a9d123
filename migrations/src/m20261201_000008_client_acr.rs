//! Assurance levels of a client (R-AC-2): `default_acr_values` (OIDC
//! Registration 2), the levels asked for when a request names none, as a JSON
//! list like the other lists of the table; and `minimum_acr`, the level below
//! which the client gets no code. Existing clients get an empty list and no
//! minimum, which changes nothing for them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    DefaultAcrValues,
    MinimumAcr,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(json(Clients::DefaultAcrValues).default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(string_null(Clients::MinimumAcr))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(Clients::MinimumAcr)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .drop_column(Clients::DefaultAcrValues)
                    .to_owned(),
            )
            .await
    }
}
