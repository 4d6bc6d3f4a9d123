//! Entity of the `authorization_codes` table. `consumed_at` is set by the one
//! conditional update that redeems a code (DESIGN.md §3).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authorization_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_digest: String,
    pub grant_id: String,
    pub client_id: String,
    pub account_id: Uuid,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub claims_request: Option<Json>,
    pub auth_time: DateTimeUtc,
    pub acr: String,
    /// JSON list of RFC 8176 method references.
    pub amr: Json,
    pub sid: Option<String>,
    pub expires_at: DateTimeUtc,
    pub consumed_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
