//! The protocol core as one value: configuration, ports, keys and the
//! pre-built discovery documents. Each endpoint is an `impl Provider` block in its
//! own module (authorize, par, token, userinfo, introspection, revocation,
//! end_session).

use crate::config::ProviderConfig;
use crate::discovery;
use crate::error::OAuthError;
use crate::keys::KeyManager;
use crate::ports::{ClientStore, GrantStore, SubjectClaimsSource};
use bytes::Bytes;
use pforte_crypto::SecretDigester;
use pforte_types::Clock;
use std::sync::Arc;

/// The storage the protocol core works on (pforte-store implements them).
#[derive(Clone)]
pub struct ProviderPorts {
    pub clients: Arc<dyn ClientStore>,
    pub grants: Arc<dyn GrantStore>,
    pub claims: Arc<dyn SubjectClaimsSource>,
}

pub struct Provider {
    pub(crate) config: ProviderConfig,
    pub(crate) ports: ProviderPorts,
    pub(crate) keys: Arc<KeyManager>,
    pub(crate) secrets: SecretDigester,
    pub(crate) clock: Arc<dyn Clock>,
    openid_configuration: Bytes,
    oauth_metadata: Bytes,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Provider {
    pub fn new(
        config: ProviderConfig,
        ports: ProviderPorts,
        keys: Arc<KeyManager>,
        secrets: SecretDigester,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, OAuthError> {
        config
            .check_acr_levels()
            .map_err(OAuthError::server_error)?;
        let openid_configuration = discovery::openid_configuration_bytes(&config)?;
        let oauth_metadata = discovery::oauth_metadata_bytes(&config)?;
        Ok(Self {
            config,
            ports,
            keys,
            secrets,
            clock,
            openid_configuration,
            oauth_metadata,
        })
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    pub fn keys(&self) -> &KeyManager {
        &self.keys
    }

    /// The registered clients (the admin console edits them, R-OP-1).
    pub fn clients(&self) -> &Arc<dyn ClientStore> {
        &self.ports.clients
    }

    /// Digests client secrets for storage (ADR 0002).
    pub fn secrets(&self) -> &SecretDigester {
        &self.secrets
    }

    /// `/.well-known/openid-configuration` (OIDC Discovery 4), pre-built.
    pub fn openid_configuration(&self) -> Bytes {
        self.openid_configuration.clone()
    }

    /// `/.well-known/oauth-authorization-server` (RFC 8414 3), pre-built.
    pub fn oauth_metadata(&self) -> Bytes {
        self.oauth_metadata.clone()
    }

    /// The JWK Set of the keys in force, pre-built on every key change.
    pub fn jwks(&self) -> Bytes {
        self.keys.current().jwks()
    }
}
