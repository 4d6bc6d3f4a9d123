//! Token revocation (RFC 7009).

use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::Provider;

impl Provider {
    /// Revokes a refresh token (with its whole grant, so its access tokens stop
    /// working) or one access token. Unknown tokens are answered with success
    /// (RFC 7009 2.2).
    pub async fn revoke(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<(), OAuthError> {
        let _ = (params, authorization);
        Err(OAuthError::server_error("revocation not built yet"))
    }
}
