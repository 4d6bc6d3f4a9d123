//! Pushed authorization requests (RFC 9126).

use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::Provider;
use serde::Serialize;

/// RFC 9126 2.2: the `201 Created` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParResponse {
    /// `urn:ietf:params:oauth:request_uri:<random>`.
    pub request_uri: String,
    pub expires_in: u64,
}

impl Provider {
    /// Authenticates the client, validates the request with the same checks as
    /// the authorization endpoint, and stores it for single use.
    pub async fn push_authorization_request(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<ParResponse, OAuthError> {
        let _ = (params, authorization);
        Err(OAuthError::server_error("PAR not built yet"))
    }
}
