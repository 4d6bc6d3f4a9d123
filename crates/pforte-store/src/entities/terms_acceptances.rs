//! Entity of the `terms_acceptances` table: every terms version an account
//! accepted, with the time (R-RG-7).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "terms_acceptances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: Uuid,
    pub version: String,
    pub accepted_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
