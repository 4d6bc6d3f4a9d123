//! The token endpoint (RFC 6749 3.2, 4.1.3, 4.4, 6; OIDC Core 3.1.3).
//!
//! Every request authenticates its client first ([`crate::client_auth`]), then
//! `grant_type` picks one of the grants in [`crate::grants`]. A grant type we
//! do not implement is `unsupported_grant_type`; one the client is not
//! registered for is `unauthorized_client` (RFC 6749 5.2).

use crate::client_auth::ClientEndpoint;
use crate::error::{ErrorCode, OAuthError};
use crate::model::GrantType;
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

/// Token responses issued, labelled `grant_type` (docs/operations.md).
pub const METRIC_TOKENS_ISSUED: &str = "pforte_tokens_issued_total";

/// RFC 6749 5.2 `unsupported_grant_type`.
fn unsupported_grant_type(grant_type: &str) -> OAuthError {
    OAuthError::new(
        ErrorCode::UnsupportedGrantType,
        "PF-OAUTH-210",
        format!("grant_type {grant_type} is not supported"),
    )
}

impl Provider {
    /// Handles one token request: `params` is the form body, `authorization` the
    /// raw `Authorization` header value.
    pub async fn token(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let client = self
            .authenticate_client(params, authorization, ClientEndpoint::Token)
            .await?;
        let requested = params.require("grant_type")?;
        let grant_type =
            GrantType::parse(requested).ok_or_else(|| unsupported_grant_type(requested))?;
        if !client.allows_grant(grant_type) {
            return Err(OAuthError::unauthorized_client(format!(
                "the client may not use the {} grant",
                grant_type.as_str()
            )));
        }
        let issued = match grant_type {
            GrantType::AuthorizationCode => self.authorization_code_grant(&client, params).await,
            GrantType::RefreshToken => self.refresh_token_grant(&client, params).await,
            GrantType::ClientCredentials => self.client_credentials_grant(&client, params).await,
        };
        // R-OP-3: tokens issued by grant type. Recorded through the `metrics`
        // facade (no I/O; without an installed recorder it does nothing).
        if issued.is_ok() {
            metrics::counter!(METRIC_TOKENS_ISSUED, "grant_type" => grant_type.as_str())
                .increment(1);
        }
        issued
    }
}
