//! Token introspection (RFC 7662).

use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::Provider;

impl Provider {
    /// Answers `{"active": false}` for anything unknown, expired, revoked or
    /// issued to another client's grant when the caller may not see it
    /// (RFC 7662 2.2).
    pub async fn introspect(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<serde_json::Value, OAuthError> {
        let _ = (params, authorization);
        Err(OAuthError::server_error("introspection not built yet"))
    }
}
