//! Entity of the `pushed_requests` table (RFC 9126 request_uri digests).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pushed_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uri_digest: String,
    pub client_id: String,
    /// JSON list of `[name, value]` pairs, in the order they were pushed.
    pub params: Json,
    pub expires_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
