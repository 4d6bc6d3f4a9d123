//! Entity of the `letters` table: the print queue of letters by post
//! (R-RG-4, R-PW-3), address and parameters sealed (R-OP-4).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "letters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Option<Uuid>,
    pub template: String,
    pub language: String,
    /// Recipient and parameters as JSON, sealed with the master key and
    /// bound to `id`.
    pub sealed: Vec<u8>,
    pub created_at: DateTimeUtc,
    pub exported_at: Option<DateTimeUtc>,
    pub batch_id: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
