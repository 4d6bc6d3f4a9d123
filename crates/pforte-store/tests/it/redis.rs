//! RedisStore against a real Redis: provider sessions and ephemeral values
//! behave as in the memory store, expire through Redis TTLs, and the single-use
//! and append operations stay atomic under parallel callers (R-SE, R-OP-5).
//!
//! Redis comes from `PFORTE_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`).
//! Each test works under a random key prefix and deletes its keys at the end.
//! When Redis cannot be reached the tests are skipped with a message, except
//! under `CI=true`, where that is a failure: CI must prove the Redis store.
//!
//! Expiry is checked through the TTL Redis reports (`PTTL`), never by waiting.

use chrono::{DateTime, TimeDelta, Utc};
use pforte_identity::ports::{EphemeralStore, SessionStore};
use pforte_identity::session::ProviderSession;
use pforte_store::RedisStore;
use pforte_types::{AccountId, StoreError};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Barrier;
use url::Url;

const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

struct RedisBackend {
    store: Arc<RedisStore>,
    prefix: String,
    raw: ::redis::aio::MultiplexedConnection,
}

impl RedisBackend {
    /// The remaining TTL of a key in milliseconds (-2: no key, -1: no TTL).
    async fn pttl(&self, key: &str) -> i64 {
        ::redis::cmd("PTTL")
            .arg(format!("{}:{key}", self.prefix))
            .query_async(&mut self.raw.clone())
            .await
            .unwrap()
    }

    /// The Unix time in ms at which a key expires (`PEXPIRETIME`).
    async fn pexpiretime(&self, key: &str) -> i64 {
        ::redis::cmd("PEXPIRETIME")
            .arg(format!("{}:{key}", self.prefix))
            .query_async(&mut self.raw.clone())
            .await
            .unwrap()
    }

    async fn set_raw(&self, key: &str, value: &str) {
        let _: () = ::redis::cmd("SET")
            .arg(format!("{}:{key}", self.prefix))
            .arg(value)
            .query_async(&mut self.raw.clone())
            .await
            .unwrap();
    }

    /// Deletes every key under the test's prefix. A failed test leaves them
    /// behind; the prefix is unique, so they never disturb another run.
    async fn clean_up(self) {
        delete_keys_under(&self.raw, &self.prefix).await;
    }
}

/// Deletes every key under `prefix` (the test's own).
pub(crate) async fn delete_keys_under(raw: &::redis::aio::MultiplexedConnection, prefix: &str) {
    let mut raw = raw.clone();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut raw)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: i64 = ::redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut raw)
            .await
            .unwrap();
    }
}

pub(crate) fn redis_url() -> String {
    std::env::var("PFORTE_TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned())
}

/// A store under a fresh prefix, or `None` (with a message) when Redis is not
/// reachable outside CI; under `CI=true` that is a panic.
async fn redis() -> Option<RedisBackend> {
    let prefix = format!("pforte-it-{}", uuid::Uuid::new_v4().simple());
    match try_redis(&prefix).await {
        Ok(backend) => Some(backend),
        Err(reason) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("Redis store tests cannot run under CI: {reason}")
        }
        Err(reason) => {
            eprintln!("skipping Redis store tests: {reason}; install/start redis-server");
            None
        }
    }
}

async fn try_redis(prefix: &str) -> Result<RedisBackend, String> {
    let url = redis_url();
    if let Some(reason) = unreachable_reason(&url) {
        return Err(reason);
    }
    let store = RedisStore::connect(&url, prefix)
        .await
        .map_err(|err| format!("cannot connect to {url}: {err}"))?;
    let raw = ::redis::Client::open(url.as_str())
        .map_err(|err| err.to_string())?
        .get_multiplexed_async_connection()
        .await
        .map_err(|err| format!("cannot connect to {url}: {err}"))?;
    Ok(RedisBackend {
        store: Arc::new(store),
        prefix: prefix.to_owned(),
        raw,
    })
}

/// Checks once per run, with a short TCP probe, whether anything listens at the
/// URL's host and port, so that a missing Redis is reported at once.
pub(crate) fn unreachable_reason(url: &str) -> Option<String> {
    static PROBE: OnceLock<Option<String>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let parsed = Url::parse(url).map_err(|err| format!("invalid URL {url}: {err}"));
            let address = parsed.and_then(|parsed| {
                let host = parsed.host_str().unwrap_or("localhost").to_owned();
                let port = parsed.port().unwrap_or(6379);
                (host.as_str(), port)
                    .to_socket_addrs()
                    .map_err(|err| format!("cannot resolve {host}: {err}"))?
                    .next()
                    .ok_or_else(|| format!("no address for {host}"))
            });
            match address {
                Ok(address) => TcpStream::connect_timeout(&address, PROBE_TIMEOUT)
                    .err()
                    .map(|err| format!("nothing answers at {address}: {err}")),
                Err(reason) => Some(reason),
            }
        })
        .clone()
}

/// Now, in whole milliseconds (what the JSON and Redis keep).
fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

/// A session that ends `lifetime_secs` from now (negative: already ended).
fn session(sid: &str, lifetime_secs: i64) -> ProviderSession {
    let now = now();
    ProviderSession {
        sid: sid.to_owned(),
        evidence: Vec::new(),
        account_id: AccountId::new(),
        auth_time: now,
        acr: "loa-substantial".to_owned(),
        amr: vec![],
        created_at: now,
        expires_at: now + TimeDelta::seconds(lifetime_secs),
        clients: vec![],
        last_seen_at: Some(now),
        idle_timeout_secs: None,
    }
}

/// Asserts a TTL lies in `(expected - 10 s, expected]`: the slack covers the
/// time the test itself takes.
fn assert_ttl_close(pttl: i64, expected_ms: i64) {
    assert!(
        pttl <= expected_ms && pttl > expected_ms - 10_000,
        "TTL {pttl} ms is not close to {expected_ms} ms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_session_round_trips_through_put_get_and_delete() {
    let Some(redis) = redis().await else { return };
    let store = &redis.store;
    let mut stored = session("sid-1", 3_600);
    stored.amr = vec!["pwd".to_owned(), "otp".to_owned()];
    stored.clients = vec!["app".to_owned()];

    store.put_session(&stored).await.unwrap();
    assert_eq!(store.get_session("sid-1").await.unwrap(), Some(stored));
    assert_eq!(store.get_session("sid-2").await.unwrap(), None);

    store.delete_session("sid-1").await.unwrap();
    assert_eq!(store.get_session("sid-1").await.unwrap(), None);
    store.delete_session("sid-1").await.unwrap();
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_session_key_expires_at_the_sessions_end() {
    let Some(redis) = redis().await else { return };
    redis.store.put_session(&session("s", 600)).await.unwrap();
    assert_ttl_close(redis.pttl("session:s").await, 600_000);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_a_session_that_has_ended_is_never_visible() {
    let Some(redis) = redis().await else { return };
    redis.store.put_session(&session("s", -1)).await.unwrap();
    assert_eq!(redis.store.get_session("s").await.unwrap(), None);
    assert_eq!(redis.pttl("session:s").await, -2, "no key is left behind");
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_adding_a_client_appends_it_once_and_keeps_the_ttl() {
    let Some(redis) = redis().await else { return };
    let store = &redis.store;
    store.put_session(&session("s", 600)).await.unwrap();

    store.add_session_client("s", "app-a").await.unwrap();
    store.add_session_client("s", "app-b").await.unwrap();
    store.add_session_client("s", "app-a").await.unwrap();

    let stored = store.get_session("s").await.unwrap().unwrap();
    assert_eq!(stored.clients, vec!["app-a", "app-b"]);
    assert_ttl_close(redis.pttl("session:s").await, 600_000);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_adding_a_client_to_an_unknown_session_creates_nothing() {
    let Some(redis) = redis().await else { return };
    redis.store.add_session_client("gone", "app").await.unwrap();
    assert_eq!(redis.store.get_session("gone").await.unwrap(), None);
    assert_eq!(redis.pttl("session:gone").await, -2);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_twenty_parallel_clients_all_end_up_in_the_session() {
    let Some(redis) = redis().await else { return };
    redis.store.put_session(&session("s", 600)).await.unwrap();
    let barrier = Arc::new(Barrier::new(20));
    let mut tasks = Vec::new();
    for n in 0..20 {
        let store = Arc::clone(&redis.store);
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.add_session_client("s", &format!("app-{n}")).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let mut clients = redis.store.get_session("s").await.unwrap().unwrap().clients;
    clients.sort();
    let mut expected: Vec<String> = (0..20).map(|n| format!("app-{n}")).collect();
    expected.sort();
    assert_eq!(clients, expected);
    assert_ttl_close(redis.pttl("session:s").await, 600_000);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_an_undecodable_session_is_reported_corrupt() {
    let Some(redis) = redis().await else { return };
    redis.set_raw("session:bad", "{not json").await;
    let err = redis.store.get_session("bad").await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_op_5_ephemeral_value_round_trips_with_its_ttl_and_is_taken_once() {
    let Some(redis) = redis().await else { return };
    let store = &redis.store;
    store
        .put_ephemeral("flow-1", b"pending request", Duration::from_secs(600))
        .await
        .unwrap();
    assert_ttl_close(redis.pttl("eph:flow-1").await, 600_000);

    assert_eq!(
        store.get_ephemeral("flow-1").await.unwrap().as_deref(),
        Some(&b"pending request"[..])
    );
    assert_eq!(
        store.take_ephemeral("flow-1").await.unwrap().as_deref(),
        Some(&b"pending request"[..])
    );
    assert_eq!(store.take_ephemeral("flow-1").await.unwrap(), None);
    assert_eq!(store.get_ephemeral("flow-1").await.unwrap(), None);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_op_5_ephemeral_put_replaces_the_value_and_its_ttl() {
    let Some(redis) = redis().await else { return };
    let store = &redis.store;
    store
        .put_ephemeral("k", b"one", Duration::from_secs(600))
        .await
        .unwrap();
    store
        .put_ephemeral("k", b"two", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        store.get_ephemeral("k").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert_ttl_close(redis.pttl("eph:k").await, 60_000);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_op_5_ephemeral_take_hands_the_value_to_exactly_one_of_twenty() {
    let Some(redis) = redis().await else { return };
    redis
        .store
        .put_ephemeral("k", b"v", Duration::from_secs(60))
        .await
        .unwrap();
    let barrier = Arc::new(Barrier::new(20));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = Arc::clone(&redis.store);
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.take_ephemeral("k").await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        if let Some(value) = task.await.unwrap().unwrap() {
            assert_eq!(value, b"v");
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_op_5_key_prefixes_keep_installations_apart() {
    let Some(one) = redis().await else { return };
    let Some(other) = redis().await else { return };
    one.store.put_session(&session("s", 600)).await.unwrap();
    one.store
        .put_ephemeral("k", b"v", Duration::from_secs(60))
        .await
        .unwrap();

    assert_eq!(other.store.get_session("s").await.unwrap(), None);
    assert_eq!(other.store.take_ephemeral("k").await.unwrap(), None);
    other.store.delete_session("s").await.unwrap();
    assert!(one.store.get_session("s").await.unwrap().is_some());
    assert_eq!(
        one.store.get_ephemeral("k").await.unwrap().as_deref(),
        Some(&b"v"[..])
    );
    one.clean_up().await;
    other.clean_up().await;
}

#[tokio::test]
async fn r_op_5_an_unreachable_redis_is_reported_unavailable() {
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    let err = RedisStore::connect("redis://127.0.0.1:1", "pforte")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_1_the_key_expires_at_the_idle_end_when_that_comes_first() {
    let Some(redis) = redis().await else { return };
    let mut stored = session("s", 8 * 3_600);
    stored.idle_timeout_secs = Some(900);
    redis.store.put_session(&stored).await.unwrap();
    assert_ttl_close(redis.pttl("session:s").await, 900_000);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_1_a_touch_moves_the_ttl_to_the_new_idle_end_capped_by_the_absolute_end() {
    let Some(redis) = redis().await else { return };
    let store = &redis.store;
    // Started 10 minutes ago, last used then: 5 minutes of the idle window left.
    let mut stored = session("s", 8 * 3_600);
    let started = stored.created_at - TimeDelta::minutes(10);
    stored.created_at = started;
    stored.last_seen_at = Some(started);
    stored.idle_timeout_secs = Some(900);
    store.put_session(&stored).await.unwrap();
    assert_ttl_close(redis.pttl("session:s").await, 300_000);

    let at = now();
    let touched = store.touch_session("s", at).await.unwrap().unwrap();
    assert_eq!(touched.last_seen_at, Some(at));
    assert_eq!(
        redis.pexpiretime("session:s").await,
        (at + TimeDelta::seconds(900)).timestamp_millis()
    );
    assert_eq!(store.get_session("s").await.unwrap(), Some(touched));

    // Near the absolute end the TTL stops there, whatever the idle window.
    let mut late = session("late", 120);
    late.idle_timeout_secs = Some(900);
    store.put_session(&late).await.unwrap();
    store.touch_session("late", now()).await.unwrap().unwrap();
    assert_eq!(
        redis.pexpiretime("session:late").await,
        late.expires_at.timestamp_millis()
    );
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_1_touching_an_ended_or_unknown_session_revives_nothing() {
    let Some(redis) = redis().await else { return };
    let mut stored = session("s", 600);
    stored.idle_timeout_secs = Some(900);
    redis.store.put_session(&stored).await.unwrap();
    let after_end = stored.expires_at + TimeDelta::seconds(1);
    assert_eq!(
        redis.store.touch_session("s", after_end).await.unwrap(),
        None
    );
    assert_ttl_close(redis.pttl("session:s").await, 600_000);
    assert_eq!(
        redis.store.touch_session("gone", now()).await.unwrap(),
        None
    );
    assert_eq!(redis.pttl("session:gone").await, -2);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_se_3_sessions_of_an_account_come_from_an_index_that_heals_itself() {
    let Some(redis) = redis().await else { return };
    let store = &redis.store;
    let erika = AccountId::new();
    let mut short = session("a", 600);
    short.account_id = erika;
    let mut long = session("b", 3_600);
    long.account_id = erika;
    store.put_session(&short).await.unwrap();
    store.put_session(&long).await.unwrap();
    store.put_session(&session("other", 600)).await.unwrap();

    let index = format!("account-sessions:{erika}");
    assert_eq!(
        redis.pexpiretime(&index).await,
        long.expires_at.timestamp_millis(),
        "the index lives as long as its longest session"
    );
    let mut sids: Vec<String> = store
        .sessions_of_account(erika)
        .await
        .unwrap()
        .into_iter()
        .map(|session| session.sid)
        .collect();
    sids.sort();
    assert_eq!(sids, ["a", "b"]);

    // Deleting removes the entry; a session that vanished by expiry leaves a
    // stale entry, which listing filters and removes.
    store.delete_session("a").await.unwrap();
    let _: i64 = ::redis::cmd("DEL")
        .arg(format!("{}:session:b", redis.prefix))
        .query_async(&mut redis.raw.clone())
        .await
        .unwrap();
    assert!(store.sessions_of_account(erika).await.unwrap().is_empty());
    let left: i64 = ::redis::cmd("ZCARD")
        .arg(format!("{}:{index}", redis.prefix))
        .query_async(&mut redis.raw.clone())
        .await
        .unwrap();
    assert_eq!(left, 0);
    redis.clean_up().await;
}
