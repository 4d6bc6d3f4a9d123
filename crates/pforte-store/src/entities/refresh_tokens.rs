//! Entity of the `refresh_tokens` table. `used_at` is set by the one conditional
//! update that rotates a token (RFC 9700 4.14.2).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_digest: String,
    pub grant_id: String,
    pub client_id: String,
    pub account_id: Uuid,
    pub scope: String,
    pub claims_request: Option<Json>,
    pub auth_time: DateTimeUtc,
    pub acr: String,
    /// JSON list of RFC 8176 method references.
    pub amr: Json,
    pub sid: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
