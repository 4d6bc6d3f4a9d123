//! Entity of the `account_factors` table: enrolled second factors (R-MF-1).
//! `secret_sealed` is sealed by the caller; the store never sees a clear
//! secret (R-OP-4).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_factors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub method: String,
    pub label: String,
    pub secret_sealed: Option<Vec<u8>>,
    #[sea_orm(column_type = "Text", nullable)]
    pub public_data: Option<String>,
    /// The WebAuthn credential id, unique across all accounts.
    pub credential_id: Option<String>,
    pub confirmed: bool,
    /// The last accepted TOTP time step (R-MF-3).
    pub last_totp_step: Option<i64>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
