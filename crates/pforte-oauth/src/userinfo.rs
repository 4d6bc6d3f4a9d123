//! The userinfo endpoint (OIDC Core 5.3) with bearer tokens from the header or
//! the form body (RFC 6750 2.1, 2.2).

use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::Provider;

impl Provider {
    /// Returns the claims the access token's scopes and `claims` request allow.
    /// `authorization` is the raw `Authorization` header, `body` the form body of
    /// a POST (empty for GET). Errors are RFC 6750 3.1 codes; the web layer adds
    /// `WWW-Authenticate: Bearer …`.
    pub async fn userinfo(
        &self,
        authorization: Option<&str>,
        body: &Params,
    ) -> Result<serde_json::Value, OAuthError> {
        let _ = (authorization, body);
        Err(OAuthError::server_error("userinfo not built yet"))
    }
}
