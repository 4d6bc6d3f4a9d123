//! Entity of the `clients` table (registered relying parties).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub name: Option<String>,
    pub secret_digest: Option<String>,
    pub auth_method: String,
    pub jwks: Option<Json>,
    /// JSON list of strings.
    pub redirect_uris: Json,
    /// JSON list of strings.
    pub post_logout_redirect_uris: Json,
    pub application_type: String,
    pub require_par: bool,
    pub require_pkce: bool,
    /// JSON list of grant type names.
    pub grant_types: Json,
    /// JSON list of strings.
    pub extra_scopes: Json,
    pub id_token_alg: String,
    /// JSON list of `acr` names (OIDC Registration `default_acr_values`).
    pub default_acr_values: Json,
    pub minimum_acr: Option<String>,
    /// Name of the brand (theme folder) of the client's pages.
    pub brand: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
