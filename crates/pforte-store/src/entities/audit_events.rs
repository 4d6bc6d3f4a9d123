//! Entity of the `audit_events` table: the append-only audit trail.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub kind: String,
    pub account_id: Option<Uuid>,
    pub username: Option<String>,
    pub client: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub detail: Option<String>,
    /// The operator who acted (R-OP-1); migration 000020.
    pub operator: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
