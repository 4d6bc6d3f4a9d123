//! Records the protocol core works with and its storage ports persist.

use chrono::{DateTime, Utc};
use pforte_crypto::SigningAlg;
use pforte_types::AccountId;
use serde::{Deserialize, Serialize};

/// How a client authenticates at the token, PAR, introspection and revocation
/// endpoints (OIDC Core 9, RFC 6749 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A public client: no secret, PKCE is mandatory (RFC 9700 2.1.1).
    None,
}

impl ClientAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "client_secret_basic" => Some(Self::ClientSecretBasic),
            "client_secret_post" => Some(Self::ClientSecretPost),
            "private_key_jwt" => Some(Self::PrivateKeyJwt),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// Whether the client authenticates with a shared secret.
    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

/// OIDC Registration `application_type`: decides the redirect URI rules
/// (RFC 8252 7.3 loopback ports for native clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    Web,
    Native,
}

impl ApplicationType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Native => "native",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "web" => Some(Self::Web),
            "native" => Some(Self::Native),
            _ => None,
        }
    }
}

/// Grant types a client may use at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "authorization_code" => Some(Self::AuthorizationCode),
            "refresh_token" => Some(Self::RefreshToken),
            "client_credentials" => Some(Self::ClientCredentials),
            _ => None,
        }
    }
}

/// A registered relying party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub name: Option<String>,
    /// HMAC-SHA-256 digest of the secret (pforte-crypto `SecretDigester`); never
    /// the secret itself. `None` for public and private_key_jwt clients.
    pub secret_digest: Option<String>,
    pub auth_method: ClientAuthMethod,
    /// The client's public keys (a JWK Set) for private_key_jwt.
    pub jwks: Option<serde_json::Value>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub application_type: ApplicationType,
    /// RFC 9126 `require_pushed_authorization_requests`.
    pub require_par: bool,
    /// PKCE required even though the client is confidential (always true for
    /// public clients).
    pub require_pkce: bool,
    pub grant_types: Vec<GrantType>,
    /// API scopes the client may request beyond the OpenID ones.
    pub extra_scopes: Vec<String>,
    /// `id_token_signed_response_alg` (RS256 by default, OIDC Registration 2).
    pub id_token_alg: SigningAlg,
    /// OIDC Registration 2 `default_acr_values`: the levels asked for when a
    /// request names none (R-AC-2).
    #[serde(default)]
    pub default_acr_values: Vec<String>,
    /// No code is issued to this client for a login below this level (R-AC-2).
    #[serde(default)]
    pub minimum_acr: Option<String>,
    /// The brand (a folder under `themes/`) whose look the pages of this
    /// client's interactions take (R-OP-2); `None` means the tenant default.
    #[serde(default)]
    pub brand: Option<String>,
    /// Where the client wants to hear that a session ended (OpenID
    /// Back-Channel Logout 1.0 §2.2, Front-Channel Logout 1.0 §2, R-SE-2).
    #[serde(default)]
    pub logout: LogoutEndpoints,
    pub created_at: DateTime<Utc>,
}

/// The logout notification endpoints of a client, as registered (OpenID
/// Back-Channel Logout 1.0 §2.2 and Front-Channel Logout 1.0 §2 client
/// metadata). A client with neither URI is told nothing when a session ends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutEndpoints {
    /// `backchannel_logout_uri`: the RP's endpoint that receives logout tokens
    /// by POST from the provider.
    #[serde(default)]
    pub backchannel_uri: Option<String>,
    /// `backchannel_logout_session_required`: the logout token must carry
    /// `sid`. Pforte always sends `sid`; the flag is kept as registered.
    #[serde(default)]
    pub backchannel_session_required: bool,
    /// `frontchannel_logout_uri`: rendered in an iframe by the provider's
    /// logout page.
    #[serde(default)]
    pub frontchannel_uri: Option<String>,
    /// `frontchannel_logout_session_required`: `iss` and `sid` are added as
    /// query parameters to the front-channel URI.
    #[serde(default)]
    pub frontchannel_session_required: bool,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.auth_method == ClientAuthMethod::None
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

/// A grant: everything issued from one authorization (code, refresh tokens,
/// access tokens). Reuse of a code or of a rotated refresh token revokes the whole
/// grant (RFC 9700 2.2.2, 4.14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grant_id: String,
    pub client_id: String,
    pub account_id: AccountId,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The authentication context a token was issued for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthContext {
    pub auth_time: DateTime<Utc>,
    pub acr: String,
    pub amr: Vec<String>,
    pub sid: Option<String>,
}

/// An authorization code, stored under the SHA-256 digest of the code value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    pub code_digest: String,
    pub grant_id: String,
    pub client_id: String,
    pub account_id: AccountId,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    /// S256 challenge (RFC 7636 4.2); `None` when the client sent none.
    pub code_challenge: Option<String>,
    /// The `claims` request parameter (OIDC Core 5.5), for ID token and userinfo.
    pub claims_request: Option<serde_json::Value>,
    pub auth: AuthContext,
    pub expires_at: DateTime<Utc>,
}

/// Outcome of consuming a code atomically.
#[allow(clippy::large_enum_variant)] // built once per request, never stored
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeConsumption {
    /// First use: the code is now consumed.
    Fresh(AuthorizationCode),
    /// The code had been used before: the caller revokes the grant.
    AlreadyUsed {
        grant_id: String,
    },
    Unknown,
}

/// A refresh token, stored under the SHA-256 digest of its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub token_digest: String,
    pub grant_id: String,
    pub client_id: String,
    pub account_id: AccountId,
    pub scope: String,
    pub claims_request: Option<serde_json::Value>,
    pub auth: AuthContext,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Outcome of using a refresh token for rotation, atomically.
#[allow(clippy::large_enum_variant)] // built once per request, never stored
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshConsumption {
    /// The token was current and is now marked used.
    Fresh(RefreshToken),
    /// The token had already been rotated away: the caller revokes the grant.
    Reused {
        grant_id: String,
    },
    Unknown,
}

/// A pushed authorization request (RFC 9126), stored under the digest of its
/// `request_uri`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedRequest {
    pub uri_digest: String,
    pub client_id: String,
    /// The validated request parameters.
    pub params: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

/// A signing key as stored: the private part encrypted with the master key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub alg: SigningAlg,
    /// AES-256-GCM ciphertext of the PKCS#8 PEM (pforte-crypto `MasterKey`).
    pub private_key_encrypted: Vec<u8>,
    pub public_jwk: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// When a newer key took over signing; the key stays in the JWKS until
    /// `retired_at` + the longest token lifetime.
    pub retired_at: Option<DateTime<Utc>>,
}

/// The claims the provider knows about a subject (OIDC Core 5.1), as the
/// account store supplies them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectClaims {
    pub preferred_username: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    pub updated_at: Option<DateTime<Utc>>,
    /// OIDC Core 5.1 `birthdate`, `YYYY-MM-DD`; released with `profile`.
    #[serde(default)]
    pub birthdate: Option<String>,
}
