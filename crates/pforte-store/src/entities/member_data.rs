//! Entity of the `member_data` table: the sealed health card serial of an
//! account, for the membership proof before SMS-TAN enrolment (R-MF-4), and
//! its date of birth for the `birthdate` claim (OIDC Core 5.1).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_data")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: Uuid,
    pub card_serial_sealed: Option<Vec<u8>>,
    /// The date of birth released as the `birthdate` claim (OIDC Core 5.1).
    pub birth_date: Option<Date>,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
