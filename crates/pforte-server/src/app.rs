//! Wiring: stores, keys, the protocol core, the login service and the router.

use crate::backchannel::{BackchannelDelivery, BackchannelLogoutListener, DeliveryOptions};
use crate::config::Settings;
use pforte_crypto::{
    Argon2Params, HashPool, MasterKey, PasswordHasher, SecretDigester, SigningAlg,
};
use pforte_factors::code::CodeDigester;
use pforte_identity::factor::Channel;
use pforte_identity::letters::LetterQueue;
use pforte_identity::ports::{ChallengeStore, Notifier};
use pforte_identity::ports::{EphemeralStore, LockoutStore, SessionStore, ThrottleStore};
use pforte_identity::{FactorKit, IdentityService, LoginGuard};
use pforte_notify::{ChannelRouter, HttpSmsGateway, LetterNotifier, OutboxNotifier, SmtpNotifier};
use pforte_oauth::backchannel_logout::RetrySchedule;
use pforte_oauth::ports::GrantStore;
use pforte_oauth::{KeyManager, Provider, ProviderConfig, ProviderPorts};
use pforte_policy::ResolvedPolicy;
use pforte_store::{
    CachedClientStore, MemoryStore, RedisChallengeStore, RedisGrantStore, RedisStore,
    RedisThrottleStore, SqlStore,
};
use pforte_types::Clock;
use pforte_web::readiness::{Readiness, ReadinessCheck};
use pforte_web::{AppState, Pages, WebSettings};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How often a running provider purges expired artefacts (and re-reads its
/// signing keys as well; the bound for key rotations is the shorter
/// `keys.reload_interval_secs`, see [`KeyReload`]).
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);

/// Counters of unknown login names without a lock and without a failure for
/// this long are deleted by the maintenance job (docs/config.md).
pub const UNKNOWN_NAME_COUNTER_IDLE_DAYS: i64 = 30;

/// Installs rustls' ring provider as the process default (DESIGN.md §6: one
/// TLS stack, ring, everywhere). Idempotent: a second call changes nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

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
    #[error("membership job: {0}")]
    Membership(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("letters: {0}")]
    Letters(String),
}

/// Everything a running provider is made of. The CLI builds one for `serve` and
/// for the operator commands; tests build one on a temporary data directory.
pub struct App {
    pub settings: Settings,
    pub store: SqlStore,
    /// The in-process session store; the one in use unless
    /// `session.store = "redis"`.
    pub memory: Arc<MemoryStore>,
    /// Provider sessions, as `session.store` chose (R-SE, R-OP-5).
    pub sessions: Arc<dyn SessionStore>,
    /// Pending logins between browser round trips, from the same store.
    pub ephemeral: Arc<dyn EphemeralStore>,
    /// Grants and the one-time protocol artefacts (codes, PAR requests,
    /// assertion `jti`s): all in SQL, or the one-time ones in Redis when
    /// `session.store = "redis"` (R-OP-5).
    pub grants: Arc<dyn GrantStore>,
    /// One-time code challenges, in SQL or Redis like `grants`.
    pub challenges: Arc<dyn ChallengeStore>,
    pub master: MasterKey,
    pub secrets: SecretDigester,
    pub hasher: Arc<PasswordHasher>,
    pub keys: Arc<KeyManager>,
    pub provider: Arc<Provider>,
    pub identity: Arc<IdentityService>,
    /// The password, lockout and throttling policy in force.
    pub policy: Arc<ResolvedPolicy>,
    pub clock: Arc<dyn Clock>,
    /// Wakes this node's back-channel logout worker when a logout here
    /// queued logout tokens (R-SE-2).
    pub logout_wake: Arc<tokio::sync::Notify>,
    /// What `/health/ready` checks: the database, and Redis when sessions
    /// live there (R-OP-3).
    pub readiness: Arc<Readiness>,
    /// The themes, loaded on first use (see [`App::pages`]).
    pages: std::sync::OnceLock<Arc<Pages>>,
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
        let policy = Arc::new(settings.policy()?);
        // Every password hash runs on this pool (R-OP-3); its size comes
        // from the configuration even when a policy file sets the parameters.
        let hasher = Arc::new(
            PasswordHasher::with_pool(
                hashing_params(&settings, &policy),
                HashPool::new(settings.password_hashing.pool_limits()),
            )
            .map_err(|error| ServerError::Keys(error.to_string()))?,
        );
        let mut provider_config = provider_config(&settings)?;
        // The protocol core compares levels by rank only; their names and the
        // tenant minimum come from the policy (R-AC-1, R-AC-2). A minimum at
        // the lowest level asks for nothing, so it stays `None`.
        provider_config.acr_levels = policy.assurance.level_names();
        provider_config.minimum_acr = policy
            .assurance
            .levels
            .get(policy.assurance.minimum)
            .filter(|_| policy.assurance.minimum > 0)
            .map(|level| level.name.clone());
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
        let memory = Arc::new(MemoryStore::new(clock.clone()));
        let (sessions, ephemeral, redis) = session_stores(&settings, &memory).await?;
        let artefacts = artefact_stores(&store, &clock, redis.as_deref());
        let ports = ProviderPorts {
            // Only the protocol core reads clients through the cache; the CLI
            // and administration use the store directly.
            clients: Arc::new(CachedClientStore::new(
                Arc::new(store.clone()),
                clock.clone(),
                Duration::from_secs(settings.tokens.client_cache_ttl_secs),
            )),
            grants: artefacts.grants.clone(),
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
        let readiness = Arc::new(readiness(&settings, &store, redis));
        let logout_wake = Arc::new(tokio::sync::Notify::new());
        // Every ended session reaches its clients' back-channel logout
        // endpoints, whatever ended it (BCL 1.0 §2.7, R-SE-2).
        let logout_listener = Arc::new(BackchannelLogoutListener::new(
            Arc::new(store.clone()),
            provider.clone(),
            clock.clone(),
            logout_wake.clone(),
        ));
        let mut identity = IdentityService::new(
            Arc::new(store.clone()),
            sessions.clone(),
            hasher.clone(),
            clock.clone(),
            Duration::from_secs(settings.session.ttl_secs),
        );
        if settings.session.idle_timeout_secs > 0 {
            identity =
                identity.with_idle_timeout(Duration::from_secs(settings.session.idle_timeout_secs));
        }
        identity = identity
            .with_login_guard(LoginGuard {
                policy: policy.clone(),
                lockout: Arc::new(store.clone()),
                credentials: Arc::new(store.clone()),
            })
            .with_factors(FactorKit {
                factors: Arc::new(store.clone()),
                challenges: artefacts.challenges.clone(),
                profiles: Arc::new(store.clone()),
                notifier: Arc::new(notifier(&settings.notify, &store, &master, &clock)?),
                master: Arc::new(master.clone()),
                codes: CodeDigester::from_master(&master),
                totp_issuer: settings.notify.totp_issuer.clone(),
                webauthn: webauthn_relying_party(&settings),
            })
            .with_session_end_listener(logout_listener)
            // Deletion (R-RC-4); the co-insured blocker counts the
            // dependants through the account–member links.
            .with_account_deletion(pforte_identity::deletion::DeletionKit {
                erasure: Arc::new(store.clone()),
                rules: settings.deletion.rules(),
                dependants: Some(Arc::new(store.clone())),
            })
            .with_member_links(Arc::new(store.clone()));
        if let Some(throttle) = artefacts.throttle {
            identity = identity.with_throttle_store(throttle);
        }
        let identity = Arc::new(identity);
        Ok(App {
            settings,
            store,
            memory,
            sessions,
            ephemeral,
            grants: artefacts.grants,
            challenges: artefacts.challenges,
            master,
            secrets,
            hasher,
            keys,
            provider,
            identity,
            policy,
            clock,
            logout_wake,
            readiness,
            pages: std::sync::OnceLock::new(),
        })
    }

    /// The outbound channels as this provider's settings configure them
    /// (the same router the login service sends through), for operator
    /// commands that send messages, e.g. an initial-password letter.
    pub fn channels(&self) -> Result<ChannelRouter, ServerError> {
        notifier(
            &self.settings.notify,
            &self.store,
            &self.master,
            &self.clock,
        )
    }

    /// The themes of `themes_dir`, loaded once per provider and shared by
    /// the router and the reload job (R-OP-2).
    pub fn pages(&self) -> Result<Arc<Pages>, ServerError> {
        if let Some(pages) = self.pages.get() {
            return Ok(pages.clone());
        }
        let pages = load_pages(&self.settings).map_err(ServerError::Theme)?;
        Ok(self.pages.get_or_init(|| Arc::new(pages)).clone())
    }

    /// The web layer's state: themes loaded, stores and services wired.
    pub fn web_state(&self) -> Result<AppState, ServerError> {
        let pages = self.pages()?;
        Ok(AppState {
            oauth: self.provider.clone(),
            identity: self.identity.clone(),
            sessions: self.sessions.clone(),
            ephemeral: self.ephemeral.clone(),
            pages,
            settings: Arc::new(WebSettings {
                issuer: self.settings.issuer.clone(),
                secure_cookies: self.settings.issuer.starts_with("https://"),
                session_ttl: Duration::from_secs(self.settings.session.ttl_secs),
                interaction_ttl: Duration::from_secs(self.settings.session.interaction_ttl_secs),
                demo_enabled: self.settings.demo,
                default_brand: self.settings.ui.default_brand.clone(),
                theme_preview: self.settings.ui.theme_preview || self.settings.demo,
            }),
            clock: self.clock.clone(),
            readiness: self.readiness.clone(),
            registrar: Some(Arc::new(self.registrar())),
            ident: self.ident_proofing()?,
        })
    }

    /// The admin console's state over the web layer's (R-OP-1).
    pub fn admin_state(&self, web: AppState) -> pforte_admin::AdminState {
        pforte_admin::AdminState {
            web,
            roles: Arc::new(self.store.clone()),
            policy_text: self.policy_text(),
            brands: self.brands().into(),
            audit: Arc::new(self.store.clone()),
            console: Arc::new(crate::admin::console_settings(self)),
            letters: Arc::new(self.letter_queue()),
            outbox: Arc::new(self.store.clone()),
        }
    }

    /// The text of `policy_file`, shown in the admin console (R-OP-1);
    /// `None` when the built-in defaults apply. It was validated at start.
    fn policy_text(&self) -> Option<Arc<str>> {
        let path = self.settings.policy_file.as_ref()?;
        match std::fs::read_to_string(path) {
            Ok(text) => Some(Arc::from(text)),
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "policy file cannot be read for the admin console");
                None
            }
        }
    }

    /// The brands a client may be given (R-OP-2): `base` and every folder of
    /// the themes directory with a `theme.toml`, sorted.
    fn brands(&self) -> Vec<String> {
        let mut brands = vec!["base".to_owned()];
        if let Ok(entries) = std::fs::read_dir(&self.settings.themes_dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name != "base" && entry.path().join("theme.toml").is_file() {
                    brands.push(name);
                }
            }
        }
        brands.sort();
        brands
    }

    /// The router with every route and security layer.
    pub fn router(&self) -> Result<axum::Router, ServerError> {
        let state = self.web_state()?;
        // The admin console under /admin (R-OP-1) shares the web layer's
        // themes, stores and security layers.
        let admin = self
            .settings
            .admin
            .enabled
            .then(|| pforte_admin::router(self.admin_state(state.clone())));
        // Applied with `Router::layer`, the request metrics run per route and
        // see the route template (R-OP-3).
        Ok(pforte_web::router_with(state, admin)
            .layer(axum::middleware::from_fn(crate::ops::metrics::track)))
    }

    /// The background job of a running provider (see [`Maintenance`]).
    pub fn maintenance(&self) -> Maintenance {
        Maintenance {
            grants: Arc::new(self.store.clone()),
            lockout: Arc::new(self.store.clone()),
            challenges: Arc::new(self.store.clone()),
            keys: self.keys.clone(),
            clock: self.clock.clone(),
            member_links: Arc::new(self.store.clone()),
            identity: self.identity.clone(),
        }
    }

    /// The back-channel logout worker of this node (see
    /// [`BackchannelDelivery`]); `pforte serve` runs it beside the
    /// maintenance job, tests call [`BackchannelDelivery::run_once`].
    pub fn backchannel_delivery(&self) -> Result<BackchannelDelivery, ServerError> {
        let logout = &self.settings.logout;
        let options = DeliveryOptions {
            timeout: Duration::from_secs(logout.backchannel_timeout_secs),
            schedule: RetrySchedule {
                max_attempts: logout.backchannel_max_attempts,
                base: Duration::from_secs(logout.backchannel_retry_base_secs),
                max_delay: Duration::from_secs(logout.backchannel_retry_max_secs),
            },
        };
        BackchannelDelivery::new(
            Arc::new(self.store.clone()),
            self.provider.clone(),
            Arc::new(self.store.clone()),
            self.clock.clone(),
            self.logout_wake.clone(),
            options,
        )
        .map_err(|error| ServerError::Config(crate::config::ConfigError::Invalid(error)))
    }

    /// The job that re-reads the signing keys every
    /// `keys.reload_interval_secs` (see [`KeyReload`]).
    pub fn key_reload(&self) -> KeyReload {
        KeyReload {
            keys: self.keys.clone(),
            interval: Duration::from_secs(self.settings.keys.reload_interval_secs),
        }
    }

    /// Serves until `shutdown` completes, then finishes open requests.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let router = self.router()?;
        serve_router(router, listener, shutdown).await
    }
}

/// The outbound channels as configured: SMTP and the SMS gateway when set,
/// the dev outbox for everything else (push has no real adapter yet).
/// Letters always go into the sealed print queue (R-RG-4), copied to the
/// outbox as well with `notify.letter = "queue_and_outbox"`.
fn notifier(
    settings: &crate::config::NotifySettings,
    store: &SqlStore,
    master: &MasterKey,
    clock: &Arc<dyn Clock>,
) -> Result<ChannelRouter, ServerError> {
    let invalid = |error: pforte_notify::SetupError| {
        ServerError::Config(crate::config::ConfigError::Invalid(error.to_string()))
    };
    let outbox: Arc<dyn Notifier> = Arc::new(OutboxNotifier::new(Arc::new(store.clone())));
    let mut letters = LetterNotifier::new(Arc::new(LetterQueue::new(
        Arc::new(store.clone()),
        Arc::new(master.clone()),
        clock.clone(),
    )));
    if settings.letter == "queue_and_outbox" {
        letters = letters.with_outbox(outbox.clone());
    }
    let mut router = ChannelRouter::all(outbox).with(Channel::Letter, Arc::new(letters));
    if settings.email == "smtp"
        && let Some(smtp) = &settings.smtp
    {
        router = router.with(
            Channel::Email,
            Arc::new(SmtpNotifier::new(smtp).map_err(invalid)?),
        );
    }
    if settings.sms == "gateway"
        && let Some(gateway) = &settings.sms_gateway
    {
        router = router.with(
            Channel::Sms,
            Arc::new(HttpSmsGateway::new(gateway).map_err(invalid)?),
        );
    }
    Ok(router)
}

/// Loads the theme the settings name, as a start would, so that `pforte config
/// check` finds a missing or broken template before a deployment does.
pub fn check_theme(settings: &Settings) -> Result<(), String> {
    load_pages(settings).map(|_| ())
}

/// The themes of `themes_dir`, with the default brand among them.
fn load_pages(settings: &Settings) -> Result<Pages, String> {
    let pages =
        Pages::load(&settings.themes_dir).map_err(|error| format!("themes_dir: {error}"))?;
    let brand = &settings.ui.default_brand;
    if !pages.has_brand(brand) {
        return Err(format!(
            "ui.default_brand: {brand:?} is not a brand of {}",
            settings.themes_dir.display()
        ));
    }
    Ok(pages)
}

/// Serves a router built beforehand with [`App::router`] (so that a broken
/// theme stops the start before anything is provisioned or printed) until
/// `shutdown` completes, then finishes open requests.
pub async fn serve_router(
    router: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    // The peer address reaches the login handler for throttling and the
    // audit trail (R-LO-5, R-LO-6).
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

/// The periodic housekeeping of a running provider: deletes expired codes, PAR
/// requests, assertion `jti`s and revocation entries
/// ([`GrantStore::purge_expired`]), idle lockout counters of unknown login
/// names ([`LockoutStore::purge_idle_unknown_counters`]), and re-reads the signing keys, which also
/// drops keys whose overlap has passed ([`KeyManager::reload`]).
pub struct Maintenance {
    grants: Arc<dyn GrantStore>,
    lockout: Arc<dyn LockoutStore>,
    challenges: Arc<dyn ChallengeStore>,
    keys: Arc<KeyManager>,
    clock: Arc<dyn Clock>,
    /// The membership-end job runs in the same pass (R-ID-4).
    member_links: Arc<dyn pforte_identity::ports::MemberLinkStore>,
    identity: Arc<IdentityService>,
}

impl std::fmt::Debug for Maintenance {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Maintenance")
            .finish_non_exhaustive()
    }
}

impl Maintenance {
    /// One pass; returns how many expired artefacts and idle counters were
    /// deleted. The pass also applies membership ends and restarts to
    /// registered accounts (R-ID-4, see
    /// [`pforte_identity::registration::lifecycle`]).
    pub async fn run_once(&self) -> Result<u64, ServerError> {
        let now = self.clock.now();
        let memberships = self.memberships(now).await?;
        if memberships.closed + memberships.reopened > 0 {
            tracing::info!(
                closed = memberships.closed,
                reopened = memberships.reopened,
                sessions_ended = memberships.sessions_ended,
                "membership job: accounts closed or reopened"
            );
        }
        let purged = self.grants.purge_expired(now).await?;
        let idle_before = now - chrono::TimeDelta::days(UNKNOWN_NAME_COUNTER_IDLE_DAYS);
        let counters = self
            .lockout
            .purge_idle_unknown_counters(idle_before)
            .await?;
        let challenges = self.challenges.purge_expired_challenges(now).await?;
        let purged = purged + counters + challenges;
        self.keys
            .reload()
            .await
            .map_err(|error| ServerError::Keys(error.internal.unwrap_or(error.description)))?;
        Ok(purged)
    }

    /// The membership-end job alone (R-ID-4): closes the accounts whose
    /// membership is over, ends their sessions, and reopens those with a new
    /// membership.
    pub async fn memberships(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<pforte_identity::registration::lifecycle::MembershipPass, ServerError> {
        pforte_identity::registration::lifecycle::apply_memberships(
            self.member_links.as_ref(),
            &self.identity,
            now,
        )
        .await
        .map_err(|error| ServerError::Membership(error.to_string()))
    }

    /// Runs a pass every `interval` until the task is dropped. A failed pass is
    /// logged and retried at the next tick; it never stops the provider.
    pub async fn run(self, interval: Duration) {
        self.run_until(interval, std::future::pending()).await;
    }

    /// Like [`Self::run`], but returns once `stop` completes. `stop` is only
    /// watched between passes: a pass that has begun finishes first, so a
    /// shutdown never interrupts it halfway (R-OP-3).
    pub async fn run_until(self, interval: Duration, stop: impl Future<Output = ()>) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick completes at once; the keys were just loaded.
        ticker.tick().await;
        let mut stop = std::pin::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticker.tick() => {}
            }
            match self.run_once().await {
                Ok(purged) if purged > 0 => {
                    tracing::debug!(purged, "maintenance: expired artefacts deleted");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "maintenance pass failed"),
            }
        }
    }
}

/// Re-reads the signing keys from the database on a fixed interval (R-OP-5).
/// Nodes of a cluster share keys only through the database: a rotation by
/// `pforte keys rotate` (or by any node) is served in every node's JWKS and
/// used for new tokens at most one interval later, without a restart. Kept
/// apart from [`Maintenance`] so that the bound can be short without purging
/// artefacts as often.
pub struct KeyReload {
    keys: Arc<KeyManager>,
    interval: Duration,
}

impl std::fmt::Debug for KeyReload {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("KeyReload")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl KeyReload {
    /// The bound within which a rotation reaches this node.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Re-reads the keys every interval until the task is dropped. A failed
    /// read keeps the keys this node has and is retried at the next tick.
    pub async fn run(self) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick completes at once; the keys were just loaded.
        ticker.tick().await;
        loop {
            ticker.tick().await;
            if let Err(error) = self.keys.reload().await {
                let reason = error.internal.unwrap_or(error.description);
                tracing::warn!(%reason, "re-reading the signing keys failed");
            }
        }
    }
}

/// The Argon2id parameters new hashes are made with (R-PW-1): the policy
/// file's `[password.hashing]` when a policy file is configured, otherwise
/// `[password_hashing]` of the configuration.
/// The session and flow-state stores `session.store` names: the in-process
/// one, or Redis shared by several nodes (R-OP-5). Redis must answer at start,
/// so a wrong URL is reported at once rather than at the first login.
async fn session_stores(
    settings: &Settings,
    memory: &Arc<MemoryStore>,
) -> Result<SessionStores, ServerError> {
    match (settings.session.store.as_str(), &settings.session.redis_url) {
        ("redis", Some(url)) => {
            let redis =
                Arc::new(RedisStore::connect(url, &settings.session.redis_key_prefix).await?);
            Ok((redis.clone(), redis.clone(), Some(redis)))
        }
        ("redis", None) => Err(crate::config::ConfigError::Problems(vec![
            "session.redis_url: required when session.store is \"redis\"".to_owned(),
        ])
        .into()),
        _ => Ok((memory.clone(), memory.clone(), None)),
    }
}

/// The session store, the flow-state store, and Redis when they live there.
type SessionStores = (
    Arc<dyn SessionStore>,
    Arc<dyn EphemeralStore>,
    Option<Arc<RedisStore>>,
);

/// The readiness checks (R-OP-3): the database always, Redis when sessions
/// live there, each bounded by `ops.readiness_timeout_ms`.
fn readiness(settings: &Settings, store: &SqlStore, redis: Option<Arc<RedisStore>>) -> Readiness {
    let mut checks: Vec<Arc<dyn ReadinessCheck>> =
        vec![Arc::new(crate::ops::health::DatabaseCheck(store.clone()))];
    if let Some(redis) = redis {
        checks.push(Arc::new(crate::ops::health::RedisCheck(redis)));
    }
    Readiness {
        checks,
        timeout: Duration::from_millis(settings.ops.readiness_timeout_ms),
    }
}

/// Where the one-time artefacts live (see [`artefact_stores`]).
struct ArtefactStores {
    grants: Arc<dyn GrantStore>,
    challenges: Arc<dyn ChallengeStore>,
    /// `None`: the identity service's in-process counters.
    throttle: Option<Arc<dyn ThrottleStore>>,
}

/// With `session.store = "redis"`, authorization codes, PAR requests,
/// assertion `jti`s, code challenges and the login throttling counters live in
/// Redis next to the sessions, so that every node sees them and a code issued
/// by one node is redeemed on another (R-OP-5, R-LO-5); grants, refresh
/// tokens and revocations stay in SQL. Otherwise everything stays in SQL and
/// the throttling counters in process. They share the session store's
/// connection.
fn artefact_stores(
    store: &SqlStore,
    clock: &Arc<dyn Clock>,
    redis: Option<&RedisStore>,
) -> ArtefactStores {
    match redis {
        // One connection per node for sessions and artefacts: when Redis
        // restarts, the first read that notices reconnects all of them.
        Some(redis) => {
            let redis = redis.shared_connection();
            ArtefactStores {
                grants: Arc::new(RedisGrantStore::new(
                    store.clone(),
                    redis.clone(),
                    clock.clone(),
                )),
                challenges: Arc::new(RedisChallengeStore::new(redis.clone(), clock.clone())),
                throttle: Some(Arc::new(RedisThrottleStore::new(redis))),
            }
        }
        None => ArtefactStores {
            grants: Arc::new(store.clone()),
            challenges: Arc::new(store.clone()),
            throttle: None,
        },
    }
}

fn hashing_params(settings: &Settings, policy: &ResolvedPolicy) -> Argon2Params {
    if settings.policy_file.is_some() {
        let hashing = policy.password.hashing;
        return Argon2Params {
            memory_kib: hashing.memory_kib,
            iterations: hashing.iterations,
            parallelism: hashing.parallelism,
        };
    }
    let hashing = &settings.password_hashing;
    Argon2Params {
        memory_kib: hashing.memory_kib,
        iterations: hashing.iterations,
        parallelism: hashing.parallelism,
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
    config.logout_token_ttl = Duration::from_secs(settings.logout.token_ttl_secs);
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

/// The WebAuthn relying party of the issuer (R-MF-1): its host is the RP id,
/// its origin the only origin accepted, and the brand name (`notify.
/// totp_issuer`) what authenticators show. Browsers refuse an IP address as
/// RP id (WebAuthn §5.1.4 asks for a domain), so such an issuer runs without
/// WebAuthn, which the log says once at start-up; the levels that need a
/// hardware key then end with a clear error instead.
fn webauthn_relying_party(
    settings: &Settings,
) -> Option<Arc<pforte_factors::webauthn::WebauthnFactor>> {
    let issuer = url::Url::parse(&settings.issuer).ok()?;
    let host = match issuer.host() {
        Some(url::Host::Domain(host)) => host.to_owned(),
        _ => {
            tracing::warn!(
                issuer = settings.issuer,
                "WebAuthn is off: the issuer's host is not a domain name"
            );
            return None;
        }
    };
    let origin = issuer.origin().ascii_serialization();
    match pforte_factors::webauthn::WebauthnFactor::new(
        &host,
        &origin,
        &settings.notify.totp_issuer,
    ) {
        Ok(factor) => Some(Arc::new(factor)),
        Err(error) => {
            tracing::warn!(%error, "WebAuthn is off");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use pforte_types::{ManualClock, SystemClock};

    fn settings(dir: &Path) -> Settings {
        let mut settings = Settings {
            data_dir: dir.to_path_buf(),
            demo: false,
            ..Settings::default()
        };
        settings.password_hashing.memory_kib = 64;
        settings.password_hashing.iterations = 1;
        settings
    }

    fn start() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    /// Redis for the two-node test: `PFORTE_TEST_REDIS_URL` or the local
    /// default; unreachable is a skip outside CI and a failure under `CI=true`.
    fn test_redis_url() -> Option<String> {
        let url = std::env::var("PFORTE_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        let reachable = url::Url::parse(&url).ok().is_some_and(|parsed| {
            let host = parsed.host_str().unwrap_or("localhost").to_owned();
            let port = parsed.port().unwrap_or(6379);
            std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                .ok()
                .and_then(|mut addresses| addresses.next())
                .is_some_and(|address| {
                    std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok()
                })
        });
        match reachable {
            true => Some(url),
            false if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("the Redis session store test cannot run under CI: nothing answers at {url}")
            }
            false => {
                eprintln!("skipping the Redis session store test: nothing answers at {url}");
                None
            }
        }
    }

    #[tokio::test]
    async fn r_op_5_two_nodes_share_sessions_and_pending_logins_through_redis() {
        let Some(url) = test_redis_url() else { return };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let prefix = format!("pforte-app-test-{}-{nanos}", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        let mut redis_settings = settings(dir.path());
        redis_settings.session.store = "redis".to_owned();
        redis_settings.session.redis_url = Some(url);
        redis_settings.session.redis_key_prefix = prefix;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let one = App::build(redis_settings.clone(), clock.clone())
            .await
            .unwrap();
        let other = App::build(redis_settings, clock.clone()).await.unwrap();

        let now = clock.now();
        let session = pforte_identity::session::ProviderSession {
            sid: "sid-1".to_owned(),
            account_id: pforte_types::AccountId::new(),
            auth_time: now,
            acr: "loa-low".to_owned(),
            amr: vec!["pwd".to_owned()],
            created_at: now,
            expires_at: now + chrono::Duration::seconds(60),
            clients: vec![],
            evidence: vec![],
            last_seen_at: None,
            idle_timeout_secs: None,
        };
        one.sessions.put_session(&session).await.unwrap();
        other
            .sessions
            .add_session_client("sid-1", "app")
            .await
            .unwrap();
        let seen = one.sessions.get_session("sid-1").await.unwrap().unwrap();
        assert_eq!(seen.clients, vec!["app"]);
        assert_eq!(one.memory.get_session("sid-1").await.unwrap(), None);

        one.ephemeral
            .put_ephemeral("flow", b"pending", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(
            other.ephemeral.take_ephemeral("flow").await.unwrap(),
            Some(b"pending".to_vec())
        );
        one.sessions.delete_session("sid-1").await.unwrap();
        assert_eq!(other.sessions.get_session("sid-1").await.unwrap(), None);
    }

    /// Two nodes on one database and one Redis, with a manual clock.
    async fn two_redis_nodes(
        url: String,
        prefix: &str,
        dir: &Path,
        clock: &ManualClock,
    ) -> (App, App) {
        let mut redis_settings = settings(dir);
        redis_settings.session.store = "redis".to_owned();
        redis_settings.session.redis_url = Some(url);
        redis_settings.session.redis_key_prefix = prefix.to_owned();
        let clock: Arc<dyn Clock> = Arc::new(clock.clone());
        let one = App::build(redis_settings.clone(), clock.clone())
            .await
            .unwrap();
        let other = App::build(redis_settings, clock).await.unwrap();
        (one, other)
    }

    fn unique_prefix(name: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("pforte-app-test-{name}-{}-{nanos}", std::process::id())
    }

    /// A code stored by one node is redeemed at the token endpoint of the
    /// other; presenting it again on the first node is reuse, which revokes
    /// the grant (RFC 6749 4.1.2, RFC 9700 4.5, R-OP-5).
    #[tokio::test]
    async fn r_op_5_a_code_issued_on_one_node_is_redeemed_once_on_another() {
        use pforte_crypto::random::sha256_b64url;
        use pforte_oauth::model::{
            ApplicationType, AuthContext, AuthorizationCode, Client, ClientAuthMethod, Grant,
            GrantType,
        };
        use pforte_oauth::ports::ClientStore;

        let Some(url) = test_redis_url() else { return };
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(start());
        let (one, other) = two_redis_nodes(url, &unique_prefix("code"), dir.path(), &clock).await;
        const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let redirect_uri = "http://127.0.0.1/callback";
        one.store
            .insert_client(&Client {
                client_id: "app".to_owned(),
                name: Some("App".to_owned()),
                secret_digest: None,
                auth_method: ClientAuthMethod::None,
                jwks: None,
                redirect_uris: vec![redirect_uri.to_owned()],
                post_logout_redirect_uris: vec![],
                application_type: ApplicationType::Native,
                require_par: false,
                require_pkce: true,
                grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                extra_scopes: vec![],
                id_token_alg: SigningAlg::RS256,
                default_acr_values: Vec::new(),
                minimum_acr: None,
                brand: None,
                logout: Default::default(),
                created_at: start(),
            })
            .await
            .unwrap();
        let account = pforte_types::AccountId::new();
        pforte_identity::ports::AccountStore::insert_account(
            &one.store,
            &pforte_identity::account::Account {
                id: account,
                username: "erika".to_owned(),
                password_hash: "$argon2id$not-used-here".to_owned(),
                email: None,
                email_verified: false,
                given_name: None,
                family_name: None,
                phone: None,
                phone_verified: false,
                totp_secret_encrypted: None,
                created_at: start(),
                updated_at: start(),
            },
        )
        .await
        .unwrap();
        let grant = Grant {
            grant_id: "g-1".to_owned(),
            client_id: "app".to_owned(),
            account_id: account,
            scope: "openid".to_owned(),
            created_at: start(),
            revoked_at: None,
        };
        one.grants.insert_grant(&grant).await.unwrap();
        let code = "code-from-node-one";
        one.grants
            .insert_code(&AuthorizationCode {
                code_digest: sha256_b64url(code),
                grant_id: "g-1".to_owned(),
                client_id: "app".to_owned(),
                account_id: account,
                redirect_uri: redirect_uri.to_owned(),
                scope: "openid".to_owned(),
                nonce: None,
                code_challenge: Some(CHALLENGE.to_owned()),
                claims_request: None,
                auth: AuthContext {
                    auth_time: start(),
                    acr: "loa-low".to_owned(),
                    amr: vec!["pwd".to_owned()],
                    sid: None,
                },
                expires_at: start() + chrono::Duration::seconds(60),
            })
            .await
            .unwrap();
        clock.advance(chrono::Duration::seconds(5));
        let token_request = pforte_oauth::Params::new(
            [
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("client_id", "app"),
                ("code_verifier", VERIFIER),
            ]
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        );
        let tokens = other.provider.token(&token_request, None).await;
        assert!(tokens.is_ok(), "{:?}", tokens.err());
        let again = one.provider.token(&token_request, None).await;
        assert!(again.is_err(), "a code is redeemed once");
        assert!(
            one.store
                .get_grant("g-1")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some(),
            "reuse of the code revokes its grant"
        );
        assert_eq!(
            one.store.consume_code(&sha256_b64url(code)).await.unwrap(),
            pforte_oauth::model::CodeConsumption::Unknown,
            "the code never was in the SQL store"
        );
    }

    /// A code sent by one node is checked on the other, and the tries are
    /// counted together (R-MF-3, R-OP-5).
    #[tokio::test]
    async fn r_op_5_an_otp_challenge_sent_on_one_node_is_checked_on_another() {
        use pforte_identity::factor::{ChallengeAttempt, CodeChallenge};

        let Some(url) = test_redis_url() else { return };
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(start());
        let (one, other) = two_redis_nodes(url, &unique_prefix("otp"), dir.path(), &clock).await;
        let account = pforte_types::AccountId::new();
        one.challenges
            .put_challenge(&CodeChallenge {
                id: "ch-1".to_owned(),
                account_id: account,
                purpose: "login:tx-1".to_owned(),
                method: pforte_types::Method::SmsTan,
                factor_id: None,
                code_digest: "digest-right".to_owned(),
                sent_at: start(),
                expires_at: start() + chrono::Duration::seconds(300),
                attempts_left: 3,
            })
            .await
            .unwrap();
        assert_eq!(
            other
                .challenges
                .attempt_challenge(account, "login:tx-1", "digest-wrong", clock.now())
                .await
                .unwrap(),
            ChallengeAttempt::Wrong { attempts_left: 2 }
        );
        assert_eq!(
            one.challenges
                .attempt_challenge(account, "login:tx-1", "digest-right", clock.now())
                .await
                .unwrap(),
            ChallengeAttempt::Matched
        );
        assert_eq!(
            pforte_identity::ports::ChallengeStore::current_challenge(
                &one.store,
                account,
                "login:tx-1"
            )
            .await
            .unwrap(),
            None,
            "the challenge never was in the SQL store"
        );
    }

    /// Failed logins from one address on two nodes are counted together:
    /// after the per-IP limit (20 by default) the next attempt is throttled on
    /// either node (R-LO-5, R-OP-5).
    #[tokio::test]
    async fn r_lo_5_two_nodes_count_failures_of_one_address_together() {
        use pforte_identity::{AuditQuery, IdentityError, RequestContext};

        let Some(url) = test_redis_url() else { return };
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(start());
        let (one, other) =
            two_redis_nodes(url, &unique_prefix("throttle"), dir.path(), &clock).await;
        let context = RequestContext {
            operator: None,
            ip: Some("192.0.2.44".parse().unwrap()),
            ..RequestContext::default()
        };
        let limit = one.policy.throttle.per_ip.unwrap().max_failures;
        for n in 0..limit {
            let node = if n % 2 == 0 { &one } else { &other };
            let outcome = node
                .identity
                .login(&format!("sprayed{n}"), "wrong password", &context)
                .await;
            assert!(matches!(outcome, Err(IdentityError::InvalidCredentials)));
        }
        let outcome = one
            .identity
            .login("sprayedlast", "wrong password", &context)
            .await;
        assert!(matches!(outcome, Err(IdentityError::InvalidCredentials)));
        let events = one
            .store
            .audit_events(&AuditQuery {
                username: Some("sprayedlast".to_owned()),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert!(
            events.iter().any(|event| event
                .detail
                .as_deref()
                .is_some_and(|detail| detail.starts_with("throttled"))),
            "{events:?}"
        );
    }

    #[tokio::test]
    async fn maintenance_purges_expired_artefacts_by_the_clock() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(start());
        let app = App::build(settings(dir.path()), Arc::new(clock.clone()))
            .await
            .unwrap();
        let expires = clock.now() + chrono::Duration::seconds(60);
        assert!(
            app.store
                .remember_assertion_jti("c", "jti-1", expires)
                .await
                .unwrap()
        );
        let maintenance = app.maintenance();
        assert_eq!(maintenance.run_once().await.unwrap(), 0, "not yet expired");
        clock.advance(chrono::Duration::seconds(61));
        assert_eq!(maintenance.run_once().await.unwrap(), 1);
        assert!(
            app.store
                .remember_assertion_jti("c", "jti-1", expires)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn maintenance_picks_up_keys_rotated_by_another_process() {
        let dir = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(start()));
        let running = App::build(settings(dir.path()), clock.clone())
            .await
            .unwrap();
        let operator = App::build(settings(dir.path()), clock).await.unwrap();
        let before = running.keys.current().active_kids();
        let rotated = operator.keys.rotate().await.unwrap();
        assert_eq!(running.keys.current().active_kids(), before);
        running.maintenance().run_once().await.unwrap();
        let mut rotated = rotated;
        rotated.sort();
        assert_eq!(running.keys.current().active_kids(), rotated);
    }

    #[tokio::test]
    async fn r_op_5_key_reload_runs_on_the_configured_interval() {
        let dir = tempfile::tempdir().unwrap();
        let mut configured = settings(dir.path());
        configured.keys.reload_interval_secs = 7;
        let app = App::build(configured, Arc::new(ManualClock::new(start())))
            .await
            .unwrap();
        assert_eq!(app.key_reload().interval(), Duration::from_secs(7));
    }

    #[tokio::test]
    async fn master_key_is_generated_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let first = App::build(settings(dir.path()), Arc::new(SystemClock))
            .await
            .unwrap();
        let again = App::build(settings(dir.path()), Arc::new(SystemClock))
            .await
            .unwrap();
        assert_eq!(first.master.to_base64(), again.master.to_base64());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
