//! The date of birth of an account next to its other member data, released
//! as the OIDC `birthdate` claim with the `profile` scope (OIDC Core 5.1). An
//! ident service built on Pforte vouches for it (R-RG-5); `pforte user add
//! --birthdate` sets it. Nullable: accounts without one release no claim.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MemberData {
    Table,
    BirthDate,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MemberData::Table)
                    .add_column(date_null(MemberData::BirthDate))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MemberData::Table)
                    .drop_column(MemberData::BirthDate)
                    .to_owned(),
            )
            .await
    }
}
