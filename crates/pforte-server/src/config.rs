//! Operator configuration: a TOML file (`--config FILE` or `PFORTE_CONFIG`) with
//! `PFORTE_*` environment overrides. Unknown keys are an error. Every key is
//! documented in `config/pforte.example.toml` and `docs/config.md`.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The issuer identifier (OIDC Discovery 3): scheme, host, optional port and
    /// path; no query, fragment or trailing slash.
    pub issuer: String,
    /// The socket address to listen on.
    pub listen: String,
    /// Where the SQLite database, the generated master key and other local
    /// state live.
    pub data_dir: PathBuf,
    /// `sqlite:` or `postgres:` URL; defaults to `sqlite://<data_dir>/pforte.db`.
    pub database_url: Option<String>,
    /// Base64 of 32 random bytes that seal signing keys and secrets at rest
    /// (R-OP-4). When absent, `<data_dir>/master.key` is used, created on first
    /// start.
    pub master_key: Option<String>,
    /// The folder holding `base/` and brand themes.
    pub themes_dir: PathBuf,
    /// Create a demo client and a demo user on first start and print them.
    pub demo: bool,
    /// The password, lockout and throttling policy (a `pforte-policy` TOML
    /// file, e.g. one of `config/policies/*.toml`); relative to the working
    /// directory. Absent: the built-in default (NIST 800-63B-4 preset values,
    /// see docs/policies.md).
    pub policy_file: Option<PathBuf>,
    pub tokens: TokenSettings,
    pub session: SessionSettings,
    pub password_hashing: PasswordHashingSettings,
    pub log: LogSettings,
    pub notify: NotifySettings,
    pub logout: LogoutSettings,
    pub ops: OpsSettings,
    pub keys: KeySettings,
    pub deletion: DeletionSettings,
    pub ident: IdentSettings,
    pub members: MembersSettings,
    pub ui: UiSettings,
    pub admin: AdminSettings,
}

/// The look of the pages (R-OP-2, docs/themes.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiSettings {
    /// The brand (a folder of `themes_dir`) of pages without a client and of
    /// clients without a brand of their own.
    pub default_brand: String,
    /// Seconds between looks at the theme files; changed files are loaded
    /// without a restart. 0 turns the reload off.
    pub theme_reload_secs: u64,
    /// Serve `/theme-preview` (every template × brand × language with its
    /// fixture). Also on with `demo = true`, the quick start of README.md.
    pub theme_preview: bool,
}

impl Default for UiSettings {
    fn default() -> Self {
        Self {
            default_brand: "base".to_owned(),
            theme_reload_secs: 5,
            theme_preview: false,
        }
    }
}

/// The admin console under `/admin` (R-OP-1, docs/admin.md). Operators log
/// in through Pforte itself, as the built-in client `pforte-admin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Serve the console (and the admin API) under `/admin`.
    pub enabled: bool,
    /// The assurance level (`acr`) an operator's login must reach. Absent:
    /// the highest level of the policy. A level that some login reaches
    /// without a second factor is refused.
    pub required_acr: Option<String>,
    /// A console session ends after this many seconds without a request.
    pub idle_timeout_secs: u64,
    /// A console session ends this many seconds after the login, used or not.
    pub absolute_timeout_secs: u64,
    /// Show the dev outbox in the console: only for test environments whose
    /// messages go to the outbox.
    pub show_outbox: bool,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            required_acr: None,
            idle_timeout_secs: 900,
            absolute_timeout_secs: 8 * 3600,
            show_outbox: false,
        }
    }
}

/// Account deletion by its owner or an operator (R-RC-4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeletionSettings {
    /// What keeps an account from being deleted while it holds. Known:
    /// `co_insured_dependants` (the account's member is the main member of
    /// co-insured people with accounts of their own, R-FA-1).
    pub blocked_while: Vec<String>,
}

impl DeletionSettings {
    /// The blockers as the identity layer names them; unknown names are
    /// skipped here (validation rejects them first).
    pub fn rules(&self) -> pforte_identity::deletion::DeletionRules {
        pforte_identity::deletion::DeletionRules {
            blocked_while: self
                .blocked_while
                .iter()
                .filter_map(|name| pforte_identity::deletion::DeletionBlocker::parse(name))
                .collect(),
        }
    }
}

/// The external ident service (R-RG-5): an upstream OpenID Connect provider
/// with which an account awaiting activation proves who its holder is.
/// Pforte is a confidential client there (authorization code flow with PKCE,
/// `client_secret_basic`); its redirect URI is `<issuer>/ident/callback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentSettings {
    /// Off by default; when on, `issuer`, `client_id` and `client_secret`
    /// are required.
    pub enabled: bool,
    /// The ident service's issuer; its discovery document is read from
    /// `<issuer>/.well-known/openid-configuration` (OIDC Discovery 4).
    pub issuer: String,
    /// Pforte's client id at the ident service.
    pub client_id: String,
    /// Pforte's client secret at the ident service.
    pub client_secret: String,
    /// Scopes asked for, separated by spaces; must contain `openid`. The
    /// claims `given_name`, `family_name` and `birthdate` come with `profile`
    /// (OIDC Core 5.4).
    pub scopes: String,
    /// The name on the button ("confirm my identity with …").
    pub display_name: String,
    /// How long one request to the ident service may take, 1 to 60 seconds.
    pub timeout_secs: u64,
}

impl Default for IdentSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            scopes: "openid profile".to_owned(),
            display_name: "Ident-Dienst".to_owned(),
            timeout_secs: 10,
        }
    }
}

/// The member registry (R-ID-4, R-RG-1): besides the import, an optional
/// HTTP lookup against the insurer's system for a KVNR the registry does not
/// hold (docs/integration/ident.md describes the request and answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MembersSettings {
    /// The insurer's lookup endpoint (https, or http on a loopback host).
    /// Absent: registration knows only imported members.
    pub lookup_url: Option<String>,
    /// The value sent as the `Authorization` header of each lookup, e.g.
    /// `Bearer …`.
    pub lookup_authorization: Option<String>,
    /// How long one lookup may take before registration answers "try again
    /// later", 100 to 30000 milliseconds.
    pub lookup_timeout_ms: u64,
}

impl Default for MembersSettings {
    fn default() -> Self {
        Self {
            lookup_url: None,
            lookup_authorization: None,
            lookup_timeout_ms: 3000,
        }
    }
}

/// Logout notifications to relying parties (R-SE-2): the back-channel
/// logout token and its delivery (OpenID Back-Channel Logout 1.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogoutSettings {
    /// Lifetime of a logout token (`exp` − `iat`), 1 to 600 seconds: it is
    /// signed the moment it is sent, so it only needs to cover clock skew.
    pub token_ttl_secs: u64,
    /// How long one POST to a `backchannel_logout_uri` may take, 1 to 60.
    pub backchannel_timeout_secs: u64,
    /// Attempts per logout token before it is given up (1 to 20).
    pub backchannel_max_attempts: u32,
    /// Wait after the first failed attempt; each further one doubles it.
    pub backchannel_retry_base_secs: u64,
    /// The longest wait between two attempts.
    pub backchannel_retry_max_secs: u64,
    /// How often a node looks for due deliveries (new ones on the same node
    /// are sent at once).
    pub backchannel_poll_interval_secs: u64,
}

impl Default for LogoutSettings {
    fn default() -> Self {
        Self {
            token_ttl_secs: 120,
            backchannel_timeout_secs: 5,
            backchannel_max_attempts: 6,
            backchannel_retry_base_secs: 10,
            backchannel_retry_max_secs: 900,
            backchannel_poll_interval_secs: 5,
        }
    }
}

/// Operations (R-OP-3): where Prometheus reads the metrics and how long the
/// readiness checks may take (docs/operations.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsSettings {
    /// A second socket address that serves `/metrics`, for the monitoring
    /// system only. Absent: no metrics are
    /// collected or served. Never exposed on the public listener: an identity
    /// provider's internals (login rates, failures, queue lengths) are not for
    /// everyone.
    pub metrics_listen: Option<String>,
    /// How long each check of `/health/ready` (database, Redis) may take
    /// before it counts as failed, in milliseconds.
    pub readiness_timeout_ms: u64,
}

/// Signing keys on a running server (R-OP-5). Keys live in the shared
/// database; every node re-reads them on this interval, so a
/// `pforte keys rotate` run against the database reaches every node's JWKS
/// and signatures within `reload_interval_secs` without a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeySettings {
    /// Seconds between two reads of the signing keys, 1 to 3600.
    pub reload_interval_secs: u64,
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            reload_interval_secs: 60,
        }
    }
}

/// Where outbound messages go (R-MF-3, R-MF-4): each channel to a real
/// adapter or to the dev outbox, which keeps them in the database for
/// `pforte outbox list`, the admin console and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySettings {
    /// The service name authenticator apps show next to Pforte's codes.
    pub totp_issuer: String,
    /// `outbox` or `smtp` (then `[notify.smtp]` is required).
    pub email: String,
    /// `outbox` or `gateway` (then `[notify.sms_gateway]` is required).
    pub sms: String,
    /// Letters by post always go into the print queue (`pforte letters
    /// export`, R-RG-4); `queue_and_outbox` also copies them to the dev
    /// outbox, where tests and the admin console read them, `queue` does not
    /// (production: the outbox would hold activation codes in clear).
    pub letter: String,
    pub smtp: Option<pforte_notify::SmtpSettings>,
    pub sms_gateway: Option<pforte_notify::SmsGatewaySettings>,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            totp_issuer: "Pforte".to_owned(),
            email: "outbox".to_owned(),
            sms: "outbox".to_owned(),
            letter: "queue_and_outbox".to_owned(),
            smtp: None,
            sms_gateway: None,
        }
    }
}

/// Token lifetimes in seconds and the access token algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenSettings {
    /// At most 60 (RFC 9700 4.2 advice; checked by `config check`).
    pub code_ttl_secs: u64,
    pub access_token_ttl_secs: u64,
    pub id_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    /// Lifetime of a PAR `request_uri` (RFC 9126 2.2).
    pub par_ttl_secs: u64,
    /// `ES256` (default), `RS256`, `PS256` or `EdDSA` (RFC 9068 access tokens).
    pub access_token_alg: String,
    /// How long a running server keeps a registered client in memory (0: not
    /// at all). Takes the database read off every token request; a client
    /// removed or changed by another process keeps its old record on a running
    /// server for at most this long (`pforte_store::CachedClientStore`).
    pub client_cache_ttl_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// Absolute lifetime of a provider session.
    pub ttl_secs: u64,
    /// A provider session ends when it was not used for this long (R-SE-1;
    /// the seeds show 15 minutes). 0 switches the idle timeout off.
    pub idle_timeout_secs: u64,
    /// How long a login page may wait before the request must start over.
    pub interaction_ttl_secs: u64,
    /// Where provider sessions and pending logins live: `memory` (this
    /// process; one node) or `redis` (shared by several nodes, R-OP-5).
    pub store: String,
    /// `redis://` or `rediss://` URL; required when `store` is `redis`.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so several installations can share one Redis.
    pub redis_key_prefix: String,
}

/// Argon2id parameters (R-PW-1) and the pool the hashes run on (R-OP-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordHashingSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes that run at the same time; `0` means one per CPU core.
    pub workers: usize,
    /// Password checks that may wait for a worker; beyond that a login is
    /// answered "temporarily unavailable, try again".
    pub queue_limit: usize,
}

impl PasswordHashingSettings {
    /// The pool size in force: `workers = 0` resolved to the CPU count.
    pub fn pool_limits(&self) -> pforte_crypto::PoolLimits {
        let workers = match self.workers {
            0 => pforte_crypto::PoolLimits::default().workers,
            workers => workers,
        };
        pforte_crypto::PoolLimits {
            workers,
            queue_limit: self.queue_limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter such as `info` or `pforte=debug,info`.
    pub level: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:8080".to_owned(),
            listen: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            master_key: None,
            themes_dir: PathBuf::from("themes"),
            demo: true,
            policy_file: None,
            tokens: TokenSettings::default(),
            session: SessionSettings::default(),
            password_hashing: PasswordHashingSettings::default(),
            log: LogSettings::default(),
            notify: NotifySettings::default(),
            logout: LogoutSettings::default(),
            ops: OpsSettings::default(),
            keys: KeySettings::default(),
            deletion: DeletionSettings::default(),
            ident: IdentSettings::default(),
            members: MembersSettings::default(),
            ui: UiSettings::default(),
            admin: AdminSettings::default(),
        }
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            code_ttl_secs: 60,
            access_token_ttl_secs: 300,
            id_token_ttl_secs: 300,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            par_ttl_secs: 60,
            access_token_alg: "ES256".to_owned(),
            client_cache_ttl_secs: 10,
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            ttl_secs: 8 * 3600,
            idle_timeout_secs: 900,
            interaction_ttl_secs: 900,
            store: "memory".to_owned(),
            redis_url: None,
            redis_key_prefix: "pforte".to_owned(),
        }
    }
}

impl Default for PasswordHashingSettings {
    fn default() -> Self {
        let defaults = pforte_crypto::Argon2Params::default();
        Self {
            memory_kib: defaults.memory_kib,
            iterations: defaults.iterations,
            parallelism: defaults.parallelism,
            workers: 0,
            queue_limit: 64,
        }
    }
}

impl Default for OpsSettings {
    fn default() -> Self {
        Self {
            metrics_listen: None,
            readiness_timeout_ms: 2000,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: "text".to_owned(),
            level: "info".to_owned(),
        }
    }
}

/// Environment variables that select the configuration rather than set a key.
const CONFIG_FILE_VARIABLE: &str = "PFORTE_CONFIG";
/// The prefix of every environment override.
const ENV_PREFIX: &str = "PFORTE_";
/// Variables with this prefix belong to the test suites (for example
/// `PFORTE_TEST_POSTGRES_URL`), not to the provider's configuration.
const TEST_VARIABLE_PREFIX: &str = "PFORTE_TEST_";
/// Nested keys are separated by a double underscore in variable names:
/// `PFORTE_TOKENS__ACCESS_TOKEN_TTL_SECS` sets `tokens.access_token_ttl_secs`.
const ENV_NESTING: &str = "__";

/// A configuration that cannot be used; every message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration: {0}")]
    Read(String),
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// Everything wrong with a configuration at once, so that `pforte config
    /// check` can list every problem in one run.
    #[error("invalid configuration:\n{}", bullet_list(.0))]
    Problems(Vec<String>),
}

impl ConfigError {
    /// Each problem on its own, for listing.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::Problems(problems) => problems.clone(),
            Self::Read(message) => vec![format!("cannot read configuration: {message}")],
            Self::Invalid(message) => vec![message.clone()],
        }
    }
}

fn bullet_list(problems: &[String]) -> String {
    problems
        .iter()
        .map(|problem| format!("  - {problem}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Settings {
    /// Reads the file (if any), applies `PFORTE_*` overrides and validates.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// [`Settings::load`] with the environment passed in, so that tests do not
    /// depend on (or race on) the process environment.
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let file_text = match file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|error| ConfigError::Read(format!("{}: {error}", path.display())))?,
            ),
            None => None,
        };
        let origin = file.map(|path| path.display().to_string());
        Self::from_sources(file_text.as_deref(), origin.as_deref(), env)
    }

    /// Parses TOML text (named `origin` in messages) and the environment.
    fn from_sources(
        file_text: Option<&str>,
        origin: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        use config::{Config, Environment, File, FileFormat, Source};

        let known = known_keys();
        let mut problems = Vec::new();
        let mut builder = Config::builder();
        if let Some(text) = file_text {
            let origin = origin.unwrap_or("configuration file");
            let mut table = File::from_str(text, FileFormat::Toml)
                .collect()
                .map_err(|error| ConfigError::Read(format!("{origin}: {error}")))?;
            prune_unknown_keys(&mut table, &known, "", origin, &mut problems);
            builder = builder.add_source(KnownKeys(table));
        }
        let overrides = environment_overrides(env, &known, &mut problems);
        builder = builder.add_source(
            Environment::with_prefix("PFORTE")
                .prefix_separator("_")
                .separator(ENV_NESTING)
                .source(Some(overrides)),
        );
        // Unknown keys were set aside above, so the remaining values are still
        // checked and `config check` reports every problem in one run.
        match builder
            .build()
            .and_then(|merged| merged.try_deserialize::<Settings>())
        {
            Ok(settings) => {
                problems.extend(settings.validate());
                if problems.is_empty() {
                    Ok(settings)
                } else {
                    Err(ConfigError::Problems(problems))
                }
            }
            Err(error) => {
                problems.push(error.to_string());
                Err(ConfigError::Problems(problems))
            }
        }
    }

    /// Every rule the settings break, each message naming its key. Empty when
    /// the settings can be used.
    pub fn validate(&self) -> Vec<String> {
        validate::problems(self)
    }

    /// The policy in force: the file `policy_file` names, validated, or the
    /// built-in default.
    pub fn policy(&self) -> Result<pforte_policy::ResolvedPolicy, ConfigError> {
        match &self.policy_file {
            Some(path) => load_policy_file(path).map_err(ConfigError::Problems),
            None => Ok(pforte_policy::ResolvedPolicy::default()),
        }
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}/pforte.db", self.data_dir.display()),
        }
    }
}

mod validate;

/// The level `[admin] required_acr` names, or the highest level of the policy.
pub fn admin_required_acr(
    admin: &AdminSettings,
    assurance: &pforte_policy::AssurancePolicy,
) -> Option<String> {
    admin
        .required_acr
        .clone()
        .or_else(|| assurance.levels.last().map(|level| level.name.clone()))
}

/// Reads and validates one policy file (`pforte config check --policy FILE`);
/// every problem is named by `policy_file` and the file's own key.
pub fn load_policy_file(path: &Path) -> Result<pforte_policy::ResolvedPolicy, Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        vec![format!(
            "policy_file: cannot read {}: {error}",
            path.display()
        )]
    })?;
    pforte_policy::ResolvedPolicy::check_toml(&text).map_err(|problems| {
        problems
            .into_iter()
            .map(|problem| format!("policy_file: {}: {problem}", path.display()))
            .collect()
    })
}

pub use validate::is_loopback_host;

/// The key tree of [`Settings`]: a JSON object whose members are the keys, and
/// nested objects the sections. Taken from the defaults, so it cannot drift
/// from the structs.
fn known_keys() -> serde_json::Value {
    serde_json::to_value(Settings::default()).unwrap_or_default()
}

/// Removes keys the settings do not have from a parsed file, recording each
/// as a problem named by its full path.
fn prune_unknown_keys(
    table: &mut config::Map<String, config::Value>,
    known: &serde_json::Value,
    prefix: &str,
    origin: &str,
    problems: &mut Vec<String>,
) {
    table.retain(|key, value| {
        let path = format!("{prefix}{key}");
        match known.get(key) {
            None => {
                problems.push(format!("{path}: unknown key in {origin}"));
                false
            }
            Some(section @ serde_json::Value::Object(_)) => {
                if let config::ValueKind::Table(inner) = &mut value.kind {
                    prune_unknown_keys(inner, section, &format!("{path}."), origin, problems);
                }
                true
            }
            Some(_) => true,
        }
    });
}

/// The file's values with unknown keys removed, as a `config` source.
#[derive(Debug, Clone)]
struct KnownKeys(config::Map<String, config::Value>);

impl config::Source for KnownKeys {
    fn clone_into_box(&self) -> Box<dyn config::Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<config::Map<String, config::Value>, config::ConfigError> {
        Ok(self.0.clone())
    }
}

/// The `PFORTE_*` variables as the `config` crate expects them, after checking
/// that each one names a key.
fn environment_overrides(
    env: impl IntoIterator<Item = (String, String)>,
    known: &serde_json::Value,
    problems: &mut Vec<String>,
) -> config::Map<String, String> {
    let mut overrides = config::Map::new();
    for (name, value) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if name == CONFIG_FILE_VARIABLE || name.starts_with(TEST_VARIABLE_PREFIX) {
            continue;
        }
        let path: Vec<String> = rest
            .split(ENV_NESTING)
            .map(|part| part.to_lowercase())
            .collect();
        if is_known_leaf(known, &path) {
            overrides.insert(name, value);
        } else {
            let hint = if path.len() == 1 && rest.contains('_') {
                " (nested keys are separated by a double underscore, e.g. PFORTE_TOKENS__CODE_TTL_SECS)"
            } else {
                ""
            };
            problems.push(format!(
                "{}: unknown key set by environment variable {name}{hint}",
                path.join(".")
            ));
        }
    }
    overrides
}

fn is_known_leaf(known: &serde_json::Value, path: &[String]) -> bool {
    let mut node = known;
    for part in path {
        match node.get(part) {
            Some(next) => node = next,
            None => return false,
        }
    }
    !node.is_object()
}

#[cfg(test)]
mod tests;
