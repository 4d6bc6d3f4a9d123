//! Entity of the `lockout_counters` table: the lock state of one counter key.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lockout_counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub counter_key: String,
    pub account_id: Option<Uuid>,
    pub username: String,
    pub failures: i32,
    pub consecutive: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub deactivated_reason: Option<String>,
    pub last_failure_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    pub version: i64,
}

impl ActiveModelBehavior for ActiveModel {}
