//! The token endpoint (RFC 6749 3.2, 4.1.3, 4.4, 6; OIDC Core 3.1.3).

use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::Provider;
use serde::Serialize;

/// The successful token response (RFC 6749 5.1, OIDC Core 3.1.3.3). The web
/// layer serialises it with `Cache-Control: no-store` and `Pragma: no-cache`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer` (RFC 6750).
    pub token_type: &'static str,
    pub expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

impl Provider {
    /// Handles one token request: `params` is the form body, `authorization` the
    /// raw `Authorization` header value.
    pub async fn token(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let _ = (params, authorization);
        Err(OAuthError::server_error("token endpoint not built yet"))
    }
}
