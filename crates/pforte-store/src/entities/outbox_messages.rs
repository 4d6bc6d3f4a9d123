//! Entity of the `outbox_messages` table: the dev outbox.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `email`, `sms`, `letter` or `push`.
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub language: String,
    /// JSON object of the template parameters.
    pub params: Json,
    pub account_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
