//! What the protocol core contributes to the session status endpoint
//! (`POST /session/status`, R-SE-1, docs/integration/session-status.md): the
//! authentication of the asking client and the display names of clients.
//!
//! The endpoint itself joins this with the provider session, which belongs to
//! the login side: the web layer asks both and answers. Only confidential
//! clients may ask (like introspection, RFC 7662 2.1): the answer tells
//! whether a user is still logged in, which a public client could be
//! impersonated to learn.

use crate::client_auth::ClientEndpoint;
use crate::error::OAuthError;
use crate::model::Client;
use crate::params::Params;
use crate::provider::Provider;

impl Provider {
    /// Authenticates the client asking for a session's status with its
    /// registered method (RFC 6749 2.3, RFC 7523 for private_key_jwt, whose
    /// assertion audience may be the issuer or the endpoint URL). Public
    /// clients are refused with `invalid_client`.
    pub async fn session_status_client(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<Client, OAuthError> {
        self.authenticate_client(params, authorization, ClientEndpoint::SessionStatus)
            .await
    }

    /// The name users know a client by, or its id when it has none or is
    /// unknown (e.g. removed since the session used it), for the
    /// self-service session list (R-SE-3).
    pub async fn client_display_name(&self, client_id: &str) -> Result<String, OAuthError> {
        Ok(self
            .ports
            .clients
            .get_client(client_id)
            .await?
            .and_then(|client| client.name.filter(|name| !name.trim().is_empty()))
            .unwrap_or_else(|| client_id.to_owned()))
    }
}
