//! Wiring: stores, keys, the protocol core, the login service and the router.

use crate::config::Settings;
use pforte_crypto::{Argon2Params, MasterKey, PasswordHasher, SecretDigester, SigningAlg};
use pforte_identity::IdentityService;
use pforte_oauth::{KeyManager, Provider, ProviderConfig, ProviderPorts};
use pforte_store::{MemoryStore, SqlStore};
use pforte_types::Clock;
use pforte_web::{AppState, Pages, WebSettings};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("storage: {0}")]
    Store(#[from] pforte_types::StoreError),
    #[error("keys: {0}")]
    Keys(String),
    #[error("theme: {0}")]
    Theme(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// Everything a running provider is made of. The CLI builds one for `serve` and
/// for the operator commands; tests build one on a temporary data directory.
pub struct App {
    pub settings: Settings,
    pub store: SqlStore,
    pub memory: Arc<MemoryStore>,
    pub master: MasterKey,
    pub secrets: SecretDigester,
    pub hasher: Arc<PasswordHasher>,
    pub keys: Arc<KeyManager>,
    pub provider: Arc<Provider>,
    pub identity: Arc<IdentityService>,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("App")
            .field("issuer", &self.settings.issuer)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Connects to the database, applies migrations, opens the master key and
    /// loads (on first start: generates) the signing keys.
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> Result<App, ServerError> {
        std::fs::create_dir_all(&settings.data_dir)?;
        let store = SqlStore::connect(&settings.database_url()).await?;
        store.migrate().await?;
        let master = open_master_key(&settings)?;
        let secrets = SecretDigester::new(&master);
        let hashing = &settings.password_hashing;
        let hasher = Arc::new(
            PasswordHasher::new(Argon2Params {
                memory_kib: hashing.memory_kib,
                iterations: hashing.iterations,
                parallelism: hashing.parallelism,
            })
            .map_err(|error| ServerError::Keys(error.to_string()))?,
        );
        let provider_config = provider_config(&settings)?;
        let keys = Arc::new(
            KeyManager::load(
                Arc::new(store.clone()),
                master.clone(),
                clock.clone(),
                provider_config.longest_signed_token_lifetime(),
            )
            .await
            .map_err(|error| ServerError::Keys(error.to_string()))?,
        );
        let ports = ProviderPorts {
            clients: Arc::new(store.clone()),
            grants: Arc::new(store.clone()),
            claims: Arc::new(store.clone()),
        };
        let provider = Arc::new(
            Provider::new(
                provider_config,
                ports,
                keys.clone(),
                secrets.clone(),
                clock.clone(),
            )
            .map_err(|error| ServerError::Keys(error.to_string()))?,
        );
        let memory = Arc::new(MemoryStore::new(clock.clone()));
        let identity = Arc::new(IdentityService::new(
            Arc::new(store.clone()),
            memory.clone(),
            hasher.clone(),
            clock.clone(),
            Duration::from_secs(settings.session.ttl_secs),
        ));
        Ok(App {
            settings,
            store,
            memory,
            master,
            secrets,
            hasher,
            keys,
            provider,
            identity,
            clock,
        })
    }

    /// The router with every route and security layer.
    pub fn router(&self) -> Result<axum::Router, ServerError> {
        let pages = Pages::load(&self.settings.themes_dir)
            .map_err(|error| ServerError::Theme(error.to_string()))?;
        let state = AppState {
            oauth: self.provider.clone(),
            identity: self.identity.clone(),
            sessions: self.memory.clone(),
            ephemeral: self.memory.clone(),
            pages: Arc::new(pages),
            settings: Arc::new(WebSettings {
                issuer: self.settings.issuer.clone(),
                secure_cookies: self.settings.issuer.starts_with("https://"),
                session_ttl: Duration::from_secs(self.settings.session.ttl_secs),
                interaction_ttl: Duration::from_secs(self.settings.session.interaction_ttl_secs),
                demo_enabled: self.settings.demo,
            }),
            clock: self.clock.clone(),
        };
        Ok(pforte_web::router(state))
    }

    /// Serves until `shutdown` completes, then finishes open requests.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let router = self.router()?;
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}

fn provider_config(settings: &Settings) -> Result<ProviderConfig, ServerError> {
    let tokens = &settings.tokens;
    let access_token_alg = SigningAlg::parse(&tokens.access_token_alg).ok_or_else(|| {
        crate::config::ConfigError::Invalid(format!(
            "tokens.access_token_alg: unknown algorithm {}",
            tokens.access_token_alg
        ))
    })?;
    let mut config = ProviderConfig::with_issuer(settings.issuer.trim_end_matches('/'));
    config.code_ttl = Duration::from_secs(tokens.code_ttl_secs);
    config.access_token_ttl = Duration::from_secs(tokens.access_token_ttl_secs);
    config.id_token_ttl = Duration::from_secs(tokens.id_token_ttl_secs);
    config.refresh_token_ttl = Duration::from_secs(tokens.refresh_token_ttl_secs);
    config.par_ttl = Duration::from_secs(tokens.par_ttl_secs);
    config.access_token_alg = access_token_alg;
    Ok(config)
}

/// The configured master key, or the one in `<data_dir>/master.key`, created
/// with owner-only permissions on first start.
fn open_master_key(settings: &Settings) -> Result<MasterKey, ServerError> {
    if let Some(text) = &settings.master_key {
        return MasterKey::from_base64(text.trim()).map_err(|error| {
            crate::config::ConfigError::Invalid(format!("master_key: {error}")).into()
        });
    }
    let path = settings.data_dir.join("master.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        return MasterKey::from_base64(text.trim())
            .map_err(|error| ServerError::Keys(format!("{}: {error}", path.display())));
    }
    let key = MasterKey::generate();
    write_private_file(&path, key.to_base64().as_bytes())?;
    Ok(key)
}

fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), std::io::Error> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}
