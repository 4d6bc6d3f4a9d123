//! The OpenAPI 3.1 description of the admin JSON API (R-OP-1), generated
//! with utoipa from the handlers' `#[utoipa::path]` attributes and the
//! schema types below. The schema types only describe the JSON the use case
//! types serialise to; a test checks that the two have the same fields, so
//! the document cannot drift from the answers. Kept in this module so that
//! the derive-heavy code is in one place (DESIGN.md §6).

#![allow(dead_code)]

use pforte_identity::operator_roles::Role;
use utoipa::OpenApi;
use utoipa::openapi::security::{ClientCredentials, Flow, OAuth2, Scopes, SecurityScheme};

/// The name of the security scheme in the document.
pub const SECURITY_SCHEME: &str = "client_credentials";

/// A relying party as an operator sees it: everything but the secret.
#[derive(utoipa::ToSchema)]
#[schema(as = Client)]
pub struct ClientSchema {
    pub client_id: String,
    pub name: Option<String>,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none`.
    pub auth_method: String,
    /// `web` or `native`.
    pub application_type: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub require_pkce: bool,
    pub require_par: bool,
    pub default_acr_values: Vec<String>,
    pub minimum_acr: Option<String>,
    /// The brand whose look the client's pages have.
    pub brand: Option<String>,
    /// Whether a secret is registered; the secret itself is never shown.
    pub has_secret: bool,
    /// RFC 3339.
    pub created_at: String,
}

/// A client and the secret this request generated: shown exactly once.
#[derive(utoipa::ToSchema)]
#[schema(as = ClientWithSecret)]
pub struct WithSecretSchema {
    pub client: ClientSchema,
    /// Only when this request generated a secret; store it now.
    pub client_secret: Option<String>,
}

/// A new relying party.
#[derive(utoipa::ToSchema)]
#[schema(as = NewClient)]
pub struct NewClientSchema {
    pub client_id: String,
    pub name: Option<String>,
    /// `web` (default) or `native`.
    pub application_type: Option<String>,
    /// `client_secret_basic` (default), `client_secret_post` or `none`.
    pub auth_method: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Default `authorization_code`, `refresh_token`.
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub default_acr_values: Vec<String>,
    pub minimum_acr: Option<String>,
    pub require_par: bool,
    /// A brand of the themes in use.
    pub brand: Option<String>,
}

/// The changeable fields of a relying party; the client id stays.
#[derive(utoipa::ToSchema)]
#[schema(as = ClientChanges)]
pub struct ClientChangesSchema {
    pub name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// `client_secret_basic`, `client_secret_post` or `none`.
    pub auth_method: String,
    pub default_acr_values: Vec<String>,
    pub minimum_acr: Option<String>,
    pub require_par: bool,
    pub brand: Option<String>,
}

/// A signing key, without its private part.
#[derive(utoipa::ToSchema)]
#[schema(as = SigningKey)]
pub struct KeySchema {
    pub kid: String,
    pub alg: String,
    /// `active` or `retired`.
    pub state: String,
    pub created_at: String,
    pub retired_at: Option<String>,
    /// When a retired key leaves the JWKS.
    pub published_until: Option<String>,
}

/// The key ids that sign from now on.
#[derive(utoipa::ToSchema)]
#[schema(as = RotatedKeys)]
pub struct RotatedSchema {
    pub kids: Vec<String>,
}

#[derive(utoipa::ToSchema)]
#[schema(as = PolicyLevel)]
pub struct LevelSchema {
    pub name: String,
    /// Each alternative: factor classes proven together.
    pub alternatives: Vec<Vec<String>>,
}

/// A readable summary of a policy.
#[derive(utoipa::ToSchema)]
#[schema(as = PolicySummary)]
pub struct SummarySchema {
    pub name: String,
    pub description: String,
    pub levels: Vec<LevelSchema>,
    pub minimum_level: Option<String>,
    pub second_factor_mandatory: bool,
    pub lockout_max_failures: u32,
    pub lockout_minutes: i64,
    pub lockout_during_lock: String,
    pub lockout_failure_cap: u32,
    pub password_min_length: usize,
    pub password_max_length: usize,
    pub password_composition: String,
}

/// The policy in force.
#[derive(utoipa::ToSchema)]
#[schema(as = ActivePolicy)]
pub struct ActivePolicySchema {
    /// The TOML of `policy_file`; null when the built-in defaults apply.
    pub toml: Option<String>,
    pub summary: SummarySchema,
}

/// The result of validating a policy; nothing is activated.
#[derive(utoipa::ToSchema)]
#[schema(as = PolicyCheck)]
pub struct PolicyCheckSchema {
    pub valid: bool,
    pub problems: Vec<String>,
    pub summary: Option<SummarySchema>,
}

/// Every error answer (RFC 6750 3.1 codes for token problems).
#[derive(utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorSchema {
    /// `invalid_request`, `invalid_token`, `insufficient_scope`, `not_found`,
    /// `invalid_input` or `server_error`.
    pub error: String,
    /// The stable Pforte code, e.g. `PF-ADMIN-403`.
    pub code: String,
    pub description: String,
}

/// An account found by a search.
#[derive(utoipa::ToSchema)]
#[schema(as = UserSummary)]
pub struct UserSummarySchema {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub name: String,
}

/// A second factor of an account (never its secret).
#[derive(utoipa::ToSchema)]
#[schema(as = Factor)]
pub struct FactorSchema {
    pub method: String,
    pub label: String,
    pub confirmed: bool,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// A running session of an account.
#[derive(utoipa::ToSchema)]
#[schema(as = Session)]
pub struct SessionSchema {
    pub handle: String,
    pub created_at: String,
    pub acr: String,
    pub clients: Vec<String>,
}

/// State, lock, factors and sessions of an account.
#[derive(utoipa::ToSchema)]
#[schema(as = UserDetail)]
pub struct UserDetailSchema {
    pub summary: UserSummarySchema,
    /// `active`, `locked` or `deactivated`.
    pub state: String,
    pub failures: u32,
    pub locked_until: Option<String>,
    pub last_failure_at: Option<String>,
    pub must_change_password: bool,
    pub email_verified: bool,
    pub factors: Vec<FactorSchema>,
    pub recovery_codes_left: u32,
    pub sessions: Vec<SessionSchema>,
}

/// One audit event of an account.
#[derive(utoipa::ToSchema)]
#[schema(as = TimelineEntry)]
pub struct TimelineEntrySchema {
    pub at: String,
    pub kind: String,
    pub detail: Option<String>,
    pub client: Option<String>,
    pub operator: Option<String>,
}

/// What an unlock or reactivation did.
#[derive(utoipa::ToSchema)]
#[schema(as = Change)]
pub struct ChangeSchema {
    /// `changed`, `unchanged` or `needs_reactivation`.
    pub outcome: String,
}

/// What a password reset by an operator did.
#[derive(utoipa::ToSchema)]
#[schema(as = Reset)]
pub struct ResetSchema {
    /// `sent` or `no_verified_address`.
    pub outcome: String,
    /// With `sent`: `email` or `sms`.
    pub channel: Option<String>,
}

/// What a request for a new activation letter did.
#[derive(utoipa::ToSchema)]
#[schema(as = LetterRequest)]
pub struct LetterRequestSchema {
    /// `queued`, `not_awaiting_activation` or `no_postal_address`.
    pub outcome: String,
    /// With `queued`: the last day the new code is valid (ISO 8601 date).
    pub valid_until: Option<String>,
}

/// A letter waiting for the export.
#[derive(utoipa::ToSchema)]
#[schema(as = Letter)]
pub struct LetterSchema {
    pub id: String,
    pub template: String,
    pub language: String,
    pub recipient: String,
    pub postal_code: String,
    pub created_at: String,
}

/// A message of the development outbox.
#[derive(utoipa::ToSchema)]
#[schema(as = OutboxEntry)]
pub struct OutboxEntrySchema {
    pub created_at: String,
    pub channel: String,
    pub to: String,
    pub template: String,
    pub params: std::collections::BTreeMap<String, String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pforte admin API",
        description = "Operator use cases of Pforte (R-OP-1). Authenticate with an access token \
                       from Pforte's token endpoint (client_credentials grant); roles come from \
                       the scopes pforte:admin:support, pforte:admin:security_admin and \
                       pforte:admin:auditor."
    ),
    paths(
        super::handlers::list_clients,
        super::handlers::create_client,
        super::handlers::show_client,
        super::handlers::update_client,
        super::handlers::new_client_secret,
        super::handlers::list_keys,
        super::handlers::rotate_keys,
        super::handlers::view_policy,
        super::handlers::validate_policy,
        super::handlers::search_users,
        super::handlers::user_detail,
        super::handlers::user_audit,
        super::handlers::unlock_user,
        super::handlers::reactivate_user,
        super::handlers::trigger_password_reset,
        super::handlers::resend_activation_letter,
        super::handlers::pending_letters,
        super::handlers::outbox_messages,
    ),
    components(schemas(
        ClientSchema,
        WithSecretSchema,
        NewClientSchema,
        ClientChangesSchema,
        KeySchema,
        RotatedSchema,
        LevelSchema,
        SummarySchema,
        ActivePolicySchema,
        PolicyCheckSchema,
        ErrorSchema,
        UserSummarySchema,
        UserDetailSchema,
        FactorSchema,
        SessionSchema,
        TimelineEntrySchema,
        ChangeSchema,
        ResetSchema,
        LetterRequestSchema,
        LetterSchema,
        OutboxEntrySchema
    )),
    tags((name = "users"), (name = "letters"), (name = "clients"), (name = "keys"), (name = "policies"))
)]
pub struct AdminApiDoc;

/// The document, with the token endpoint of this provider in the security
/// scheme.
pub fn document(token_endpoint: &str) -> utoipa::openapi::OpenApi {
    let mut document = AdminApiDoc::openapi();
    let scopes = Scopes::from_iter(Role::ALL.map(|role| {
        let description = match role {
            Role::Support => "support: users, letters, outbox",
            Role::SecurityAdmin => "security admin: everything, incl. clients, keys, policies",
            Role::Auditor => "auditor: reads everything, changes nothing",
        };
        (role.scope(), description.to_owned())
    }));
    let scheme = SecurityScheme::OAuth2(OAuth2::new([Flow::ClientCredentials(
        ClientCredentials::new(token_endpoint, scopes),
    )]));
    document
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(SECURITY_SCHEME, scheme);
    document
}
