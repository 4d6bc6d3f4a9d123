//! The rules a configuration must satisfy before the provider starts. Each rule
//! is a small function returning its problem, the message naming the key, so
//! that `pforte config check` can list every problem at once.

use super::Settings;
use std::net::SocketAddr;

/// The access token algorithms the key manager keeps a key for (RFC 9068 2.1).
const ACCESS_TOKEN_ALGS: [&str; 4] = ["ES256", "RS256", "PS256", "EdDSA"];
/// The longest allowed authorization code lifetime (issue 2: codes live at most
/// 60 s; RFC 9700 4.2 asks for short-lived codes).
const MAX_CODE_TTL_SECS: u64 = 60;
/// The longest allowed client cache lifetime: a client removed with the CLI
/// must stop working on every running server within minutes, not hours.
const MAX_CLIENT_CACHE_TTL_SECS: u64 = 300;
/// The longest allowed key reload interval: a rotated key must reach every
/// node of a cluster within the hour (R-OP-5, docs/operations.md).
const MAX_KEY_RELOAD_INTERVAL_SECS: u64 = 3600;

pub(super) fn problems(settings: &Settings) -> Vec<String> {
    let tokens = &settings.tokens;
    let hashing = &settings.password_hashing;
    let checks = [
        issuer(&settings.issuer),
        listen(&settings.listen),
        database_url(settings.database_url.as_deref()),
        master_key(settings.master_key.as_deref()),
        code_ttl(tokens.code_ttl_secs),
        positive("tokens.access_token_ttl_secs", tokens.access_token_ttl_secs),
        positive("tokens.id_token_ttl_secs", tokens.id_token_ttl_secs),
        positive(
            "tokens.refresh_token_ttl_secs",
            tokens.refresh_token_ttl_secs,
        ),
        positive("tokens.par_ttl_secs", tokens.par_ttl_secs),
        access_token_alg(&tokens.access_token_alg),
        client_cache_ttl(tokens.client_cache_ttl_secs),
        positive("session.ttl_secs", settings.session.ttl_secs),
        positive(
            "session.interaction_ttl_secs",
            settings.session.interaction_ttl_secs,
        ),
        idle_timeout(&settings.session),
        session_store(&settings.session),
        argon2(hashing.memory_kib, hashing.iterations, hashing.parallelism),
        hashing_workers(hashing.workers),
        ops(&settings.ops, &settings.listen),
        log_format(&settings.log.format),
        log_level(&settings.log.level),
        notify(&settings.notify),
        logout(&settings.logout),
        deletion(&settings.deletion),
        key_reload_interval(settings.keys.reload_interval_secs),
        non_empty_path("data_dir", &settings.data_dir),
        non_empty_path("themes_dir", &settings.themes_dir),
        default_brand(&settings.ui.default_brand),
    ];
    let mut problems: Vec<String> = checks.into_iter().flatten().collect();
    problems.extend(ident(&settings.ident));
    problems.extend(members(&settings.members));
    problems.extend(admin_timeouts(&settings.admin));
    match &settings.policy_file {
        Some(path) => match super::load_policy_file(path) {
            Ok(policy) => problems.extend(admin_level(&settings.admin, &policy.assurance)),
            Err(policy_problems) => problems.extend(policy_problems),
        },
        None => problems.extend(admin_level(
            &settings.admin,
            &pforte_policy::ResolvedPolicy::default().assurance,
        )),
    }
    problems
}

/// The default brand names a theme folder (R-OP-2); that it exists is
/// checked when the themes are loaded.
fn default_brand(name: &str) -> Option<String> {
    (!pforte_web::pages::is_brand_name(name)).then(|| {
        format!(
            "ui.default_brand: {name:?} is not a brand name (lower-case letters, digits, '-' and '_')"
        )
    })
}

/// `[admin]` timeouts: idle between 60 s and the absolute limit, absolute at
/// most 24 h.
pub(super) fn admin_timeouts(admin: &super::AdminSettings) -> Vec<String> {
    let mut problems = Vec::new();
    if !(60..=86_400).contains(&admin.absolute_timeout_secs) {
        problems.push(format!(
            "admin.absolute_timeout_secs: 60 to 86400 (got {})",
            admin.absolute_timeout_secs
        ));
    }
    if admin.idle_timeout_secs < 60 || admin.idle_timeout_secs > admin.absolute_timeout_secs {
        problems.push(format!(
            "admin.idle_timeout_secs: 60 to admin.absolute_timeout_secs (got {})",
            admin.idle_timeout_secs
        ));
    }
    problems
}

/// `[admin] required_acr` (R-OP-1): a level of the policy, and one that needs
/// a second factor on every way of reaching it.
pub(super) fn admin_level(
    admin: &super::AdminSettings,
    assurance: &pforte_policy::AssurancePolicy,
) -> Option<String> {
    if !admin.enabled {
        return None;
    }
    let name = super::admin_required_acr(admin, assurance)?;
    let Some(rank) = assurance.rank(&name) else {
        return Some(format!(
            "admin.required_acr: {name:?} is not a level of the policy (levels: {})",
            assurance.level_names().join(", ")
        ));
    };
    let level = assurance.levels.get(rank)?;
    if level.needs_second_factor() {
        None
    } else {
        Some(format!(
            "admin.required_acr: {name:?} can be reached without a second factor; \
             operators need a level whose every alternative has a factor besides the password"
        ))
    }
}

/// OIDC Discovery 3 / RFC 8414 2: the issuer is an https URL with scheme, host
/// and optional port and path, and no query or fragment. Plain http is accepted
/// only on a loopback host, for trials on one machine. A trailing slash would
/// make `iss` comparisons fail at relying parties (OIDC Discovery 4.3).
pub(super) fn issuer(issuer: &str) -> Option<String> {
    let problem = |why: &str| Some(format!("issuer: {why} (got {issuer:?})"));
    let url = match url::Url::parse(issuer) {
        Ok(url) => url,
        Err(error) => return problem(&format!("not an absolute URL: {error}")),
    };
    let Some(host) = url.host() else {
        return problem("has no host");
    };
    if url.query().is_some() || issuer.contains('?') {
        return problem("must not have a query");
    }
    if url.fragment().is_some() || issuer.contains('#') {
        return problem("must not have a fragment");
    }
    if issuer.ends_with('/') {
        return problem("must not end with a slash");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return problem("must not contain user information");
    }
    match url.scheme() {
        "https" => None,
        "http" if is_loopback_host(&host) => None,
        "http" => problem("must use https unless the host is a loopback address"),
        _ => problem("must be an https URL"),
    }
}

/// Whether a URL host is this machine (one rule with client registration).
pub use pforte_oauth::registration::is_loopback_host;

fn listen(listen: &str) -> Option<String> {
    match listen.parse::<SocketAddr>() {
        Ok(_) => None,
        Err(_) => Some(format!(
            "listen: must be a socket address such as 127.0.0.1:8080 or [::]:8080 (got {listen:?})"
        )),
    }
}

fn database_url(url: Option<&str>) -> Option<String> {
    let url = url?;
    let supported = ["sqlite:", "postgres:", "postgresql:"];
    if supported.iter().any(|prefix| url.starts_with(prefix)) {
        None
    } else {
        // The URL may carry a password: name the scheme only.
        let scheme = url.split(':').next().unwrap_or_default();
        Some(format!(
            "database_url: must start with sqlite:, postgres: or postgresql: (got scheme {scheme:?})"
        ))
    }
}

/// R-OP-4: the master key seals signing keys and secrets; it is 32 random bytes.
fn master_key(key: Option<&str>) -> Option<String> {
    let key = key?;
    match pforte_crypto::MasterKey::from_base64(key) {
        Ok(_) => None,
        // Never echo the value: it is a secret.
        Err(error) => Some(format!(
            "master_key: must be the base64 encoding of 32 random bytes ({error})"
        )),
    }
}

fn code_ttl(secs: u64) -> Option<String> {
    if (1..=MAX_CODE_TTL_SECS).contains(&secs) {
        None
    } else {
        Some(format!(
            "tokens.code_ttl_secs: must be between 1 and {MAX_CODE_TTL_SECS} (got {secs})"
        ))
    }
}

fn positive(key: &str, value: u64) -> Option<String> {
    if value > 0 {
        None
    } else {
        Some(format!("{key}: must be greater than 0"))
    }
}

/// The back-channel logout settings (R-SE-2, BCL 1.0): a logout token lives
/// minutes, not hours; a POST waits at most a minute; retries are bounded and
/// their back-off grows from the base to the cap.
/// Every name in `deletion.blocked_while` must be a known blocker (R-RC-4).
pub(super) fn deletion(deletion: &super::DeletionSettings) -> Option<String> {
    let unknown: Vec<&str> = deletion
        .blocked_while
        .iter()
        .map(String::as_str)
        .filter(|name| pforte_identity::deletion::DeletionBlocker::parse(name).is_none())
        .collect();
    (!unknown.is_empty()).then(|| {
        format!(
            "deletion.blocked_while: unknown blocker(s) {}; known: co_insured_dependants",
            unknown.join(", ")
        )
    })
}

pub(super) fn logout(logout: &super::LogoutSettings) -> Option<String> {
    if !(1..=600).contains(&logout.token_ttl_secs) {
        return Some("logout.token_ttl_secs: must be between 1 and 600".to_owned());
    }
    if !(1..=60).contains(&logout.backchannel_timeout_secs) {
        return Some("logout.backchannel_timeout_secs: must be between 1 and 60".to_owned());
    }
    if !(1..=20).contains(&logout.backchannel_max_attempts) {
        return Some("logout.backchannel_max_attempts: must be between 1 and 20".to_owned());
    }
    if logout.backchannel_retry_base_secs == 0 {
        return Some("logout.backchannel_retry_base_secs: must be greater than 0".to_owned());
    }
    if logout.backchannel_retry_max_secs < logout.backchannel_retry_base_secs {
        return Some(
            "logout.backchannel_retry_max_secs: must not be below backchannel_retry_base_secs"
                .to_owned(),
        );
    }
    positive(
        "logout.backchannel_poll_interval_secs",
        logout.backchannel_poll_interval_secs,
    )
}

fn client_cache_ttl(secs: u64) -> Option<String> {
    (secs > MAX_CLIENT_CACHE_TTL_SECS).then(|| {
        format!("tokens.client_cache_ttl_secs: at most {MAX_CLIENT_CACHE_TTL_SECS} (got {secs})")
    })
}

fn access_token_alg(alg: &str) -> Option<String> {
    if ACCESS_TOKEN_ALGS.contains(&alg) {
        None
    } else {
        Some(format!(
            "tokens.access_token_alg: must be one of {} (got {alg:?})",
            ACCESS_TOKEN_ALGS.join(", ")
        ))
    }
}

/// The limits of the Argon2 parameters (RFC 9106 3.1), so that a bad value is
/// reported here rather than at the first login.
fn argon2(memory_kib: u32, iterations: u32, parallelism: u32) -> Option<String> {
    let mut problems = Vec::new();
    if iterations == 0 {
        problems.push("password_hashing.iterations: must be at least 1".to_owned());
    }
    if parallelism == 0 || parallelism > 0x00ff_ffff {
        problems.push("password_hashing.parallelism: must be between 1 and 16777215".to_owned());
    }
    if u64::from(memory_kib) < 8 * u64::from(parallelism.max(1)) {
        problems.push(format!(
            "password_hashing.memory_kib: must be at least 8 × parallelism (got {memory_kib})"
        ));
    }
    if problems.is_empty() {
        None
    } else {
        Some(problems.join("; "))
    }
}

/// More hashing workers than this would only add memory (each hash holds
/// `memory_kib`) without adding cores to run on (R-OP-3).
const MAX_HASHING_WORKERS: usize = 256;

fn hashing_workers(workers: usize) -> Option<String> {
    (workers > MAX_HASHING_WORKERS).then(|| {
        format!(
            "password_hashing.workers: at most {MAX_HASHING_WORKERS} (0 means one per CPU core; got {workers})"
        )
    })
}

/// The readiness timeout must leave a load balancer's probe time to answer
/// (R-OP-3); the metrics listener must be another address than the public one.
pub(super) fn ops(ops: &super::OpsSettings, listen: &str) -> Option<String> {
    if !(1..=30_000).contains(&ops.readiness_timeout_ms) {
        return Some(format!(
            "ops.readiness_timeout_ms: must be between 1 and 30000 (got {})",
            ops.readiness_timeout_ms
        ));
    }
    let metrics = ops.metrics_listen.as_deref()?;
    match metrics.parse::<SocketAddr>() {
        Err(_) => Some(format!(
            "ops.metrics_listen: must be a socket address such as 127.0.0.1:9464 (got {metrics:?})"
        )),
        Ok(address) if listen.parse::<SocketAddr>().ok() == Some(address) => Some(
            "ops.metrics_listen: must differ from listen (metrics are not for the public listener)"
                .to_owned(),
        ),
        Ok(_) => None,
    }
}

fn log_format(format: &str) -> Option<String> {
    match format {
        "text" | "json" => None,
        other => Some(format!("log.format: must be text or json (got {other:?})")),
    }
}

fn log_level(level: &str) -> Option<String> {
    match tracing_subscriber::EnvFilter::try_new(level) {
        Ok(_) => None,
        Err(error) => Some(format!(
            "log.level: not a tracing filter such as info or pforte=debug,info ({error})"
        )),
    }
}

fn non_empty_path(key: &str, path: &std::path::Path) -> Option<String> {
    if path.as_os_str().is_empty() {
        Some(format!("{key}: must not be empty"))
    } else {
        None
    }
}

/// Each channel names a known adapter, and the adapter has its settings.
fn notify(notify: &super::NotifySettings) -> Option<String> {
    let mut problems = Vec::new();
    if notify.totp_issuer.trim().is_empty() {
        problems.push("notify.totp_issuer: must not be empty".to_owned());
    }
    match (notify.email.as_str(), &notify.smtp) {
        ("outbox", _) | ("smtp", Some(_)) => {}
        ("smtp", None) => {
            problems.push("notify.email: smtp needs a [notify.smtp] section".to_owned())
        }
        (other, _) => problems.push(format!(
            "notify.email: must be outbox or smtp (got {other:?})"
        )),
    }
    match (notify.sms.as_str(), &notify.sms_gateway) {
        ("outbox", _) | ("gateway", Some(_)) => {}
        ("gateway", None) => {
            problems.push("notify.sms: gateway needs a [notify.sms_gateway] section".to_owned())
        }
        (other, _) => problems.push(format!(
            "notify.sms: must be outbox or gateway (got {other:?})"
        )),
    }
    if !["queue", "queue_and_outbox"].contains(&notify.letter.as_str()) {
        problems.push(format!(
            "notify.letter: must be queue or queue_and_outbox (got {:?})",
            notify.letter
        ));
    }
    if let Some(gateway) = &notify.sms_gateway
        && let Err(error) = pforte_notify::HttpSmsGateway::new(gateway)
    {
        problems.push(error.to_string());
    }
    if problems.is_empty() {
        None
    } else {
        Some(problems.join("; "))
    }
}

/// The shortest idle timeout: the "stay logged in" action appears a minute
/// before the end (R-SE-1), so a shorter window would show it at once.
pub(super) const MIN_IDLE_TIMEOUT_SECS: u64 = 120;

/// `session.idle_timeout_secs` is 0 (off) or between
/// [`MIN_IDLE_TIMEOUT_SECS`] and the absolute lifetime (a longer one would
/// never apply).
pub(super) fn idle_timeout(session: &super::SessionSettings) -> Option<String> {
    let idle = session.idle_timeout_secs;
    (idle != 0
        && !(MIN_IDLE_TIMEOUT_SECS..=session.ttl_secs.max(MIN_IDLE_TIMEOUT_SECS)).contains(&idle))
    .then(|| {
        format!(
            "session.idle_timeout_secs: must be 0 (off) or between {MIN_IDLE_TIMEOUT_SECS} \
                 and session.ttl_secs ({}), got {idle}",
            session.ttl_secs
        )
    })
}

/// `session.store` names a known store, and Redis has a URL and a prefix
/// (R-OP-5: several nodes share sessions through Redis).
pub(super) fn session_store(session: &super::SessionSettings) -> Option<String> {
    match session.store.as_str() {
        "memory" => None,
        "redis" => match session.redis_url.as_deref() {
            None | Some("") => {
                Some("session.redis_url: required when session.store is \"redis\"".to_owned())
            }
            Some(url) if !(url.starts_with("redis://") || url.starts_with("rediss://")) => {
                Some("session.redis_url: must start with redis:// or rediss://".to_owned())
            }
            Some(_) if session.redis_key_prefix.trim().is_empty() => {
                Some("session.redis_key_prefix: must not be empty".to_owned())
            }
            Some(_) => None,
        },
        other => Some(format!(
            "session.store: must be \"memory\" or \"redis\", not {other:?}"
        )),
    }
}

/// R-OP-5: the bound within which a key rotation reaches every node; 0 would
/// never reload, more than an hour leaves nodes signing with a retired key
/// for too long.
pub(super) fn key_reload_interval(secs: u64) -> Option<String> {
    (secs == 0 || secs > MAX_KEY_RELOAD_INTERVAL_SECS).then(|| {
        format!(
            "keys.reload_interval_secs: must be 1 to {MAX_KEY_RELOAD_INTERVAL_SECS} (got {secs})"
        )
    })
}

/// `[ident]` (R-RG-5): when enabled, an issuer URL (https, or http on a
/// loopback host for trials), a client id and secret, `openid` among the
/// scopes, a name for the button and a sane timeout.
pub(super) fn ident(ident: &super::IdentSettings) -> Vec<String> {
    if !ident.enabled {
        return Vec::new();
    }
    let mut problems = Vec::new();
    if let Some(problem) = outbound_url(&ident.issuer) {
        problems.push(format!("ident.issuer: {problem}"));
    } else if ident.issuer.ends_with('/') {
        problems.push("ident.issuer: no trailing slash (OIDC Discovery 4.3)".to_owned());
    }
    if ident.client_id.trim().is_empty() {
        problems.push("ident.client_id: required when ident is enabled".to_owned());
    }
    if ident.client_secret.is_empty() {
        problems.push("ident.client_secret: required when ident is enabled".to_owned());
    }
    if !ident
        .scopes
        .split_whitespace()
        .any(|scope| scope == "openid")
    {
        problems.push("ident.scopes: must contain openid".to_owned());
    }
    if ident.display_name.trim().is_empty() {
        problems.push("ident.display_name: must not be empty".to_owned());
    }
    if !(1..=60).contains(&ident.timeout_secs) {
        problems.push(format!(
            "ident.timeout_secs: 1 to 60 (got {})",
            ident.timeout_secs
        ));
    }
    problems
}

/// `[members]`: the lookup URL is https (or http on a loopback host) and the
/// timeout between 100 ms and 30 s.
pub(super) fn members(members: &super::MembersSettings) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(url) = &members.lookup_url
        && let Some(problem) = outbound_url(url)
    {
        problems.push(format!("members.lookup_url: {problem}"));
    }
    if let Some(value) = &members.lookup_authorization
        && (value.is_empty() || !value.bytes().all(|byte| (0x20..0x7f).contains(&byte)))
    {
        problems.push("members.lookup_authorization: printable ASCII only".to_owned());
    }
    if members.lookup_authorization.is_some() && members.lookup_url.is_none() {
        problems.push("members.lookup_authorization: set without members.lookup_url".to_owned());
    }
    if !(100..=30_000).contains(&members.lookup_timeout_ms) {
        problems.push(format!(
            "members.lookup_timeout_ms: 100 to 30000 (got {})",
            members.lookup_timeout_ms
        ));
    }
    problems
}

/// A URL Pforte calls out to: absolute, https, or http on a loopback host.
fn outbound_url(text: &str) -> Option<String> {
    let url = match url::Url::parse(text) {
        Ok(url) => url,
        Err(error) => return Some(format!("not an absolute URL: {error} (got {text:?})")),
    };
    let loopback = url.host().is_some_and(|host| is_loopback_host(&host));
    match url.scheme() {
        "https" => None,
        "http" if loopback => None,
        _ => Some(format!(
            "must be https (http only on a loopback host), got {text:?}"
        )),
    }
}
