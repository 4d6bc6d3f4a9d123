//! What the API learns from the provider at start: its discovery document
//! (OpenID Connect Discovery 1.0 §4) and its signing keys (JWKS), cached.

use crate::decision::Levels;
use crate::token::KeySet;
use serde::Deserialize;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Where discovery lives below the issuer (OpenID Connect Discovery §4).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// The shortest time between two reloads of the JWKS, so that tokens with
/// made-up `kid`s cannot make the API hammer the provider.
pub const JWKS_RELOAD_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("cannot reach {url}: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the discovery document names issuer {found:?}, expected {expected:?}")]
    IssuerMismatch { expected: String, found: String },
    #[error(
        "the discovery document has no acr_values_supported, so the assurance levels are unknown"
    )]
    NoLevels,
    #[error("level {0:?} is not in the provider's acr_values_supported {1:?}")]
    UnknownLevel(String, Vec<String>),
    #[error("the JWKS at {0} holds no ES256 (P-256) signature key")]
    NoKeys(String),
}

/// The parts of discovery this API uses.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
    #[serde(default)]
    acr_values_supported: Vec<String>,
}

/// Builds the HTTP client for the provider. The workspace's reqwest brings
/// rustls without a crypto provider, so one is installed here (a second
/// install is a harmless no-op).
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
) -> Result<T, ProviderError> {
    let http = |source| ProviderError::Http {
        url: url.to_owned(),
        source,
    };
    client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(http)?
        .json()
        .await
        .map_err(http)
}

/// The provider as the API sees it.
#[derive(Debug, Clone)]
pub struct Provider {
    pub issuer: String,
    pub levels: Levels,
    pub keys: Arc<KeyCache>,
}

impl Provider {
    /// Fetches discovery and the JWKS. Fails when the issuer does not match
    /// (Discovery §4.3), when the provider names no levels, or when it has no
    /// key this API can verify with.
    pub async fn discover(client: reqwest::Client, issuer: &str) -> Result<Self, ProviderError> {
        let discovery: Discovery = get_json(&client, &format!("{issuer}{DISCOVERY_PATH}")).await?;
        if discovery.issuer != issuer {
            return Err(ProviderError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: discovery.issuer,
            });
        }
        if discovery.acr_values_supported.is_empty() {
            return Err(ProviderError::NoLevels);
        }
        let keys = KeyCache::load(client, discovery.jwks_uri).await?;
        Ok(Self {
            issuer: discovery.issuer,
            levels: Levels::new(discovery.acr_values_supported),
            keys: Arc::new(keys),
        })
    }

    /// Refuses a required level the provider does not offer: such a route
    /// could never be opened.
    pub fn check_level(&self, acr: &str) -> Result<(), ProviderError> {
        match self.levels.rank(acr) {
            Some(_) => Ok(()),
            None => Err(ProviderError::UnknownLevel(
                acr.to_owned(),
                self.levels.names().to_vec(),
            )),
        }
    }
}

/// The provider's keys, reloaded when a token names a `kid` we do not know
/// (the provider rotated its keys), at most once per [`JWKS_RELOAD_INTERVAL`].
#[derive(Debug)]
pub struct KeyCache {
    client: reqwest::Client,
    jwks_uri: String,
    keys: RwLock<Arc<KeySet>>,
    last_load: Mutex<Instant>,
}

impl KeyCache {
    async fn load(client: reqwest::Client, jwks_uri: String) -> Result<Self, ProviderError> {
        let keys = Self::fetch(&client, &jwks_uri).await?;
        Ok(Self {
            client,
            jwks_uri,
            keys: RwLock::new(Arc::new(keys)),
            last_load: Mutex::new(Instant::now()),
        })
    }

    async fn fetch(client: &reqwest::Client, jwks_uri: &str) -> Result<KeySet, ProviderError> {
        let jwks: serde_json::Value = get_json(client, jwks_uri).await?;
        let keys = KeySet::from_jwks(&jwks);
        if keys.is_empty() {
            return Err(ProviderError::NoKeys(jwks_uri.to_owned()));
        }
        Ok(keys)
    }

    /// The keys as last loaded.
    pub fn current(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(keys) => Arc::clone(&keys),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reloads the JWKS unless that happened less than
    /// [`JWKS_RELOAD_INTERVAL`] ago; returns whether new keys were loaded.
    pub async fn reload(&self) -> bool {
        {
            let mut last = match self.last_load.lock() {
                Ok(last) => last,
                Err(poisoned) => poisoned.into_inner(),
            };
            if last.elapsed() < JWKS_RELOAD_INTERVAL {
                return false;
            }
            *last = Instant::now();
        }
        match Self::fetch(&self.client, &self.jwks_uri).await {
            Ok(keys) => {
                let mut current = match self.keys.write() {
                    Ok(current) => current,
                    Err(poisoned) => poisoned.into_inner(),
                };
                *current = Arc::new(keys);
                true
            }
            Err(error) => {
                tracing::warn!(%error, "reloading the provider's keys failed; keeping the old ones");
                false
            }
        }
    }
}
