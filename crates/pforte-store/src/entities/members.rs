//! Entity of the `members` table: the sealed member registry (R-ID-4, R-OP-4).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kvnr_digest: String,
    pub sealed: Vec<u8>,
    pub content_digest: String,
    pub membership_start: Date,
    pub membership_end: Option<Date>,
    pub main_member_digest: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
