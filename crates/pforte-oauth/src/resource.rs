//! The provider as a resource server of its own APIs (the admin JSON API,
//! R-OP-1): a client presents an access token it got with the
//! client_credentials grant (RFC 6749 4.4) as `Authorization: Bearer`
//! (RFC 6750 2.1), and the token is checked in-process with the same
//! verification as userinfo and introspection: our signature, `typ` at+jwt,
//! issuer, expiry and revocation (RFC 9068 4, RFC 7009).
//!
//! Only client tokens are accepted: `sub` and `aud` must be the token's
//! `client_id` (how the client_credentials grant issues them, RFC 9068 2.2)
//! and no user may be behind it. The client must still be registered, and a
//! scope counts only while the client is still registered for it, so taking
//! a scope away takes effect before the token expires.

use crate::access_token::AccessTokenCheck;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::provider::Provider;
use crate::userinfo::presented_bearer_token;

/// A verified client access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientToken {
    pub client_id: String,
    /// The granted scopes the client is still registered for.
    pub scopes: Vec<String>,
    pub expires_at: i64,
}

impl Provider {
    /// Checks the `Authorization` header of a request to one of the
    /// provider's own APIs. Errors are RFC 6750 3.1 `invalid_request` /
    /// `invalid_token`; the caller decides about `insufficient_scope`.
    pub async fn verify_client_token(
        &self,
        authorization: Option<&str>,
    ) -> Result<ClientToken, OAuthError> {
        let no_body = Params::new(Vec::new());
        let token = presented_bearer_token(authorization, &no_body)?;
        let verified = match self.check_access_token(token).await? {
            AccessTokenCheck::Valid(verified) => verified,
            AccessTokenCheck::Invalid(reason) => return Err(OAuthError::invalid_token(reason)),
        };
        if verified.auth.is_some()
            || verified.grant_id.is_some()
            || verified.subject != verified.client_id
            || !verified.has_audience(&verified.client_id)
        {
            return Err(OAuthError::invalid_token(
                "only a client's own token (client_credentials) is accepted here",
            ));
        }
        let client = self
            .ports
            .clients
            .get_client(&verified.client_id)
            .await?
            .ok_or_else(|| OAuthError::invalid_token("the client is no longer registered"))?;
        let scopes = verified
            .scopes()
            .filter(|scope| client.extra_scopes.iter().any(|allowed| allowed == scope))
            .map(str::to_owned)
            .collect();
        Ok(ClientToken {
            client_id: verified.client_id,
            scopes,
            expires_at: verified.expires_at,
        })
    }
}

/// RFC 6750 3.1 `insufficient_scope`: the token is fine, but grants none of
/// the scopes the request needs.
pub fn insufficient_scope(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InsufficientScope, "PF-OAUTH-222", description)
}
