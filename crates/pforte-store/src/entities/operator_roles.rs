//! Entity of the `operator_roles` table: which account holds which operator
//! role (R-OP-1).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operator_roles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub role: String,
    pub granted_at: DateTimeUtc,
    pub granted_by: String,
}

impl ActiveModelBehavior for ActiveModel {}
