//! [`TestServer`]: the whole provider, as `pforte serve` wires it, on a free
//! port with a temporary data directory and a manual clock.

use chrono::{DateTime, Utc};
use pforte_crypto::SigningAlg;
use pforte_identity::account::Account;
use pforte_identity::ports::AccountStore;
use pforte_oauth::model::{ApplicationType, Client, ClientAuthMethod, GrantType};
use pforte_oauth::ports::ClientStore;
use pforte_server::config::PasswordHashingSettings;
use pforte_server::{App, ServerError, Settings};
use pforte_types::{AccountId, ManualClock, StoreError};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why a test server could not start or be provisioned.
#[derive(Debug, thiserror::Error)]
pub enum TestServerError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("server: {0}")]
    Server(#[from] ServerError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("password hashing: {0}")]
    Hash(#[from] pforte_crypto::CryptoError),
}

/// A running provider for one test. Dropping it stops the server and deletes
/// the data directory.
pub struct TestServer {
    pub app: Arc<App>,
    pub clock: ManualClock,
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
    _data_dir: tempfile::TempDir,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TestServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// A client registered by a test, with its plain secret.
#[derive(Debug, Clone)]
pub struct TestClient {
    pub client_id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

/// The repository's `themes` folder, found from this crate's manifest dir.
pub fn themes_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../themes")
}

/// A fixed, whole-second start time for the manual clock, close to now so that
/// tokens look plausible to libraries that check against the wall clock.
fn start_time() -> DateTime<Utc> {
    let now = Utc::now().timestamp();
    DateTime::<Utc>::from_timestamp(now, 0).unwrap_or_default()
}

impl TestServer {
    /// Starts with the default settings (demo off, cheap Argon2).
    pub async fn start() -> Result<Self, TestServerError> {
        Self::start_with(|_| {}).await
    }

    /// Starts after `customise` adjusted the settings. `issuer`, `listen`,
    /// `data_dir` and `themes_dir` are set before `customise` runs.
    pub async fn start_with(
        customise: impl FnOnce(&mut Settings),
    ) -> Result<Self, TestServerError> {
        let data_dir = tempfile::tempdir()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let base_url = format!("http://{address}");
        let mut settings = Settings {
            issuer: base_url.clone(),
            listen: address.to_string(),
            data_dir: data_dir.path().to_path_buf(),
            themes_dir: themes_dir(),
            demo: false,
            password_hashing: PasswordHashingSettings {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
                ..PasswordHashingSettings::default()
            },
            ..Settings::default()
        };
        customise(&mut settings);
        let clock = ManualClock::new(start_time());
        let app = Arc::new(App::build(settings, Arc::new(clock.clone())).await?);
        // Fail here, not in the spawned task, when the theme is broken.
        let _router = app.router()?;
        // As `pforte serve` does, before any request: the console's client.
        pforte_server::admin::ensure_admin_client(&app).await?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let serving = app.clone();
        let task = tokio::spawn(async move {
            serving
                .serve(listener, async move {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Self {
            app,
            clock,
            base_url,
            shutdown: Some(shutdown),
            task: Some(task),
            _data_dir: data_dir,
        })
    }

    /// The issuer / base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url` + `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Creates an account with the given password; returns its id (`sub`).
    pub async fn add_account(
        &self,
        username: &str,
        password: &str,
    ) -> Result<AccountId, TestServerError> {
        let now = self.clock_now();
        let account = Account {
            id: AccountId::new(),
            username: username.to_owned(),
            password_hash: self.app.hasher.hash(password).await?,
            email: Some(format!("{username}@example.test")),
            email_verified: true,
            given_name: Some("Erika".to_owned()),
            family_name: Some("Mustermann".to_owned()),
            phone: None,
            phone_verified: false,
            totp_secret_encrypted: None,
            created_at: now,
            updated_at: now,
        };
        self.app.store.insert_account(&account).await?;
        Ok(account.id)
    }

    /// Registers a confidential web client (client_secret_basic) with one
    /// redirect URI and a generated secret.
    pub async fn add_confidential_client(
        &self,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<TestClient, TestServerError> {
        let secret = pforte_crypto::random::random_token();
        let client = Client {
            secret_digest: Some(self.app.secrets.digest(&secret)),
            ..self.client_template(client_id, redirect_uri, ClientAuthMethod::ClientSecretBasic)
        };
        self.add_client(&client).await?;
        Ok(TestClient {
            client_id: client_id.to_owned(),
            secret: Some(secret),
            redirect_uri: redirect_uri.to_owned(),
        })
    }

    /// Registers any client record as given.
    pub async fn add_client(&self, client: &Client) -> Result<(), TestServerError> {
        self.app.store.insert_client(client).await?;
        Ok(())
    }

    /// A client record with the usual defaults, for tests that adjust fields.
    pub fn client_template(
        &self,
        client_id: &str,
        redirect_uri: &str,
        auth_method: ClientAuthMethod,
    ) -> Client {
        Client {
            client_id: client_id.to_owned(),
            name: Some(format!("Test client {client_id}")),
            secret_digest: None,
            auth_method,
            jwks: None,
            redirect_uris: vec![redirect_uri.to_owned()],
            post_logout_redirect_uris: Vec::new(),
            application_type: ApplicationType::Web,
            require_par: false,
            require_pkce: auth_method == ClientAuthMethod::None,
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            extra_scopes: Vec::new(),
            id_token_alg: SigningAlg::RS256,
            default_acr_values: Vec::new(),
            minimum_acr: None,
            brand: None,
            logout: Default::default(),
            created_at: self.clock_now(),
        }
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        pforte_types::Clock::now(&self.clock)
    }

    /// Stops the server and waits until it has finished open requests.
    pub async fn stop(mut self) -> Result<(), TestServerError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take()
            && let Ok(result) = task.await
        {
            result?;
        }
        Ok(())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
