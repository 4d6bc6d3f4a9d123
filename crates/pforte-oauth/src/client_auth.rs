//! Client authentication at the token, PAR, introspection and revocation
//! endpoints (RFC 6749 2.3, OIDC Core 9, RFC 7523 for private_key_jwt).

use crate::error::OAuthError;
use crate::model::Client;
use crate::params::Params;
use crate::provider::Provider;

/// The endpoint a client authenticates at; decides which grant or audience
/// rules apply (e.g. the assertion `aud` may be the issuer or this endpoint's URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEndpoint {
    Token,
    Par,
    Introspection,
    Revocation,
}

impl Provider {
    /// Authenticates the client of a back-channel request from the form
    /// `params` and the raw `Authorization` header value, if any.
    ///
    /// Exactly one method may be used per request (RFC 6749 2.3); the method
    /// must be the one the client is registered with. Failures are
    /// `invalid_client` (401 with `WWW-Authenticate`).
    pub async fn authenticate_client(
        &self,
        params: &Params,
        authorization: Option<&str>,
        endpoint: ClientEndpoint,
    ) -> Result<Client, OAuthError> {
        let _ = (params, authorization, endpoint);
        Err(OAuthError::server_error(
            "client authentication not built yet",
        ))
    }
}
