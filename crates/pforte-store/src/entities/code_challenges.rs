//! Entity of the `code_challenges` table: one-time codes sent by SMS or
//! e-mail, as digests, one per account and purpose (R-MF-3).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "code_challenges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub account_id: Uuid,
    pub purpose: String,
    pub method: String,
    pub factor_id: Option<Uuid>,
    pub code_digest: String,
    pub sent_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub attempts_left: i32,
}

impl ActiveModelBehavior for ActiveModel {}
