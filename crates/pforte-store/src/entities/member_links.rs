//! Entity of the `member_links` table: an account's member and lifecycle stage
//! (R-ID-4, R-RG-1).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: Uuid,
    pub kvnr_digest: String,
    pub stage: String,
    pub proofing: String,
    pub registered_at: DateTimeUtc,
    pub activated_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
