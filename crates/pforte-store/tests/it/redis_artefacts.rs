//! The one-time artefacts in Redis against a real Redis: the same suite as the
//! SQL store for codes, PAR requests, assertion `jti`s and code challenges
//! (`redis_suite!` in `main.rs`), and what only Redis does: lifetimes from the
//! artefact's own expiry (checked through `PTTL`, never by waiting), tombstones
//! of redeemed codes, and nothing of it in the SQL tables (R-OP-5, DESIGN.md
//! §3).
//!
//! Redis comes from `PFORTE_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`).
//! Each test works under a random key prefix and deletes its keys at the end.
//! When Redis cannot be reached the tests are skipped with a message, except
//! under `CI=true`, where that is a failure.

use crate::fixtures::{client_with_grant, code, pushed_request, secs, t0};
use crate::redis::{delete_keys_under, redis_url, unreachable_reason};
use pforte_identity::factor::{ChallengeAttempt, CodeChallenge, FactorId};
use pforte_identity::ports::ChallengeStore;
use pforte_oauth::model::CodeConsumption;
use pforte_oauth::ports::GrantStore;
use pforte_store::{
    CHALLENGE_RETENTION, CODE_RETENTION, RedisChallengeStore, RedisConnection, RedisGrantStore,
    RedisThrottleStore, SqlStore,
};
use pforte_types::{AccountId, ManualClock, Method};
use std::sync::Arc;

/// Redis under a fresh prefix, with the clock the stores compute lifetimes
/// from (at the suite's `t0`).
pub struct RedisArtefacts {
    pub connection: RedisConnection,
    pub clock: ManualClock,
    prefix: String,
    raw: ::redis::aio::MultiplexedConnection,
}

impl RedisArtefacts {
    pub fn grants(&self, sql: SqlStore) -> RedisGrantStore<SqlStore> {
        RedisGrantStore::new(sql, self.connection.clone(), Arc::new(self.clock.clone()))
    }

    pub fn challenges(&self) -> RedisChallengeStore {
        RedisChallengeStore::new(self.connection.clone(), Arc::new(self.clock.clone()))
    }

    pub fn throttle(&self) -> RedisThrottleStore {
        RedisThrottleStore::new(self.connection.clone())
    }

    /// The remaining TTL of a key in milliseconds (-2: no key, -1: no TTL).
    pub async fn pttl(&self, key: &str) -> i64 {
        ::redis::cmd("PTTL")
            .arg(format!("{}:{key}", self.prefix))
            .query_async(&mut self.raw.clone())
            .await
            .unwrap()
    }

    /// One field of a hash.
    async fn hget(&self, key: &str, field: &str) -> Option<String> {
        ::redis::cmd("HGET")
            .arg(format!("{}:{key}", self.prefix))
            .arg(field)
            .query_async(&mut self.raw.clone())
            .await
            .unwrap()
    }

    /// Deletes every key under the test's prefix. A failed test leaves them
    /// behind; the prefix is unique, so they never disturb another run.
    pub async fn clean_up(self) {
        delete_keys_under(&self.raw, &self.prefix).await;
    }
}

/// Redis under a fresh prefix, or `None` (with a message) when it is not
/// reachable outside CI; under `CI=true` that is a panic.
pub async fn redis() -> Option<RedisArtefacts> {
    let prefix = format!("pforte-it-{}", uuid::Uuid::new_v4().simple());
    match try_redis(&prefix).await {
        Ok(backend) => Some(backend),
        Err(reason) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("Redis artefact store tests cannot run under CI: {reason}")
        }
        Err(reason) => {
            eprintln!("skipping Redis artefact store tests: {reason}; install/start redis-server");
            None
        }
    }
}

async fn try_redis(prefix: &str) -> Result<RedisArtefacts, String> {
    let url = redis_url();
    if let Some(reason) = unreachable_reason(&url) {
        return Err(reason);
    }
    let connection = RedisConnection::connect(&url, prefix)
        .await
        .map_err(|err| format!("cannot connect to {url}: {err}"))?;
    let raw = ::redis::Client::open(url.as_str())
        .map_err(|err| err.to_string())?
        .get_multiplexed_async_connection()
        .await
        .map_err(|err| format!("cannot connect to {url}: {err}"))?;
    Ok(RedisArtefacts {
        connection,
        clock: ManualClock::new(t0()),
        prefix: prefix.to_owned(),
        raw,
    })
}

/// Asserts a TTL lies in `(expected - 10 s, expected]`: the slack covers the
/// time the test itself takes (the lifetime is computed from the manual
/// clock, so the only drift is Redis's own countdown).
fn assert_ttl_close(pttl: i64, expected_ms: i64) {
    assert!(
        pttl <= expected_ms && pttl > expected_ms - 10_000,
        "TTL {pttl} ms is not close to {expected_ms} ms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rfc6749_4_1_2_a_redeemed_code_leaves_a_tombstone_with_only_its_grant() {
    let Some(redis) = redis().await else { return };
    let sql = crate::backends::sqlite().await;
    let store = redis.grants(sql.store.clone());
    let grant = client_with_grant(&store, "web", "g-1").await;
    let issued = code("code-1", &grant);
    store.insert_code(&issued).await.unwrap();
    let lifetime = (issued.expires_at - t0() + CODE_RETENTION).num_milliseconds();
    assert_ttl_close(redis.pttl("code:code-1").await, lifetime);

    assert_eq!(
        store.consume_code("code-1").await.unwrap(),
        CodeConsumption::Fresh(issued)
    );
    assert_eq!(redis.hget("code:code-1", "record").await, None);
    assert_eq!(
        redis.hget("code:code-1", "grant").await.as_deref(),
        Some("g-1")
    );
    assert_ttl_close(redis.pttl("code:code-1").await, lifetime);
    assert_eq!(
        store.consume_code("code-1").await.unwrap(),
        CodeConsumption::AlreadyUsed {
            grant_id: "g-1".to_owned()
        }
    );
    assert_eq!(
        sql.store.consume_code("code-1").await.unwrap(),
        CodeConsumption::Unknown,
        "the code never reaches the SQL store"
    );
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_digest_is_never_stored_twice() {
    let Some(redis) = redis().await else { return };
    let sql = crate::backends::sqlite().await;
    let store = redis.grants(sql.store.clone());
    let grant = client_with_grant(&store, "web", "g-1").await;
    store.insert_code(&code("code-1", &grant)).await.unwrap();
    store.consume_code("code-1").await.unwrap();
    let again = store.insert_code(&code("code-1", &grant)).await;
    assert!(
        matches!(again, Err(pforte_types::StoreError::Conflict(_))),
        "{again:?}"
    );
    assert!(matches!(
        store.consume_code("code-1").await.unwrap(),
        CodeConsumption::AlreadyUsed { .. }
    ));
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rfc9126_pushed_requests_and_rfc7523_jtis_live_until_their_expiry() {
    let Some(redis) = redis().await else { return };
    let sql = crate::backends::sqlite().await;
    let store = redis.grants(sql.store.clone());
    let request = pushed_request("par-1", "web");
    store.insert_pushed_request(&request).await.unwrap();
    assert_ttl_close(
        redis.pttl("par:par-1").await,
        (request.expires_at - t0()).num_milliseconds(),
    );
    assert!(
        store
            .remember_assertion_jti("web", "jti-1", t0() + secs(120))
            .await
            .unwrap()
    );
    assert_ttl_close(redis.pttl("jti:3:web:jti-1").await, 120_000);
    assert_eq!(
        sql.store.take_pushed_request("par-1").await.unwrap(),
        None,
        "the request never reaches the SQL store"
    );
    assert!(
        sql.store
            .remember_assertion_jti("web", "jti-1", t0() + secs(120))
            .await
            .unwrap()
    );

    assert_eq!(
        store.take_pushed_request("par-1").await.unwrap(),
        Some(request.clone())
    );

    // An artefact that has expired by the clock is not kept at all.
    redis.clock.advance(secs(3_600));
    store.insert_pushed_request(&request).await.unwrap();
    assert_eq!(redis.pttl("par:par-1").await, -2);
    assert_eq!(store.take_pushed_request("par-1").await.unwrap(), None);
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rfc7523_jtis_of_clients_whose_ids_contain_colons_stay_apart() {
    let Some(redis) = redis().await else { return };
    let sql = crate::backends::sqlite().await;
    let store = redis.grants(sql.store.clone());
    let expires = t0() + secs(300);
    assert!(
        store
            .remember_assertion_jti("a:b", "c", expires)
            .await
            .unwrap()
    );
    assert!(
        store
            .remember_assertion_jti("a", "b:c", expires)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remember_assertion_jti("a", "b:c", expires)
            .await
            .unwrap()
    );
    redis.clean_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn durable_records_and_revocations_stay_in_the_sql_store() {
    let Some(redis) = redis().await else { return };
    let sql = crate::backends::sqlite().await;
    let store = redis.grants(sql.store.clone());
    let grant = client_with_grant(&store, "web", "g-1").await;
    assert_eq!(sql.store.get_grant("g-1").await.unwrap(), Some(grant));
    store
        .revoke_access_token("at-1", t0() + secs(600))
        .await
        .unwrap();
    assert!(sql.store.is_access_token_revoked("at-1").await.unwrap());
    let mut old_request = pushed_request("par-old", "web");
    old_request.expires_at = t0() + secs(1);
    store.insert_pushed_request(&old_request).await.unwrap();
    assert_eq!(
        store.purge_expired(t0() + secs(1_000)).await.unwrap(),
        1,
        "only the SQL store's revocation entry is purged; Redis expires its own"
    );
    redis.clean_up().await;
}

fn challenge(account: AccountId) -> CodeChallenge {
    CodeChallenge {
        id: "ch-1".to_owned(),
        account_id: account,
        purpose: "login:tx:1".to_owned(),
        method: Method::SmsTan,
        factor_id: Some(FactorId::new()),
        code_digest: "digest-right".to_owned(),
        sent_at: t0(),
        expires_at: t0() + secs(300),
        attempts_left: 3,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_mf_3_a_challenge_is_kept_until_its_expiry_and_the_retention() {
    let Some(redis) = redis().await else { return };
    let store = redis.challenges();
    let erika = AccountId::new();
    let sent = challenge(erika);
    store.put_challenge(&sent).await.unwrap();
    let key = format!("challenge:{}:login:tx:1", erika.0);
    assert_ttl_close(
        redis.pttl(&key).await,
        (secs(300) + CHALLENGE_RETENTION).num_milliseconds(),
    );
    assert_eq!(
        store
            .attempt_challenge(erika, "login:tx:1", "digest-wrong", t0())
            .await
            .unwrap(),
        ChallengeAttempt::Wrong { attempts_left: 2 }
    );
    let expired = sent.expires_at + secs(1);
    assert_eq!(
        store.current_challenge(erika, "login:tx:1").await.unwrap(),
        Some(CodeChallenge {
            attempts_left: 2,
            ..sent.clone()
        }),
        "an expired challenge is still seen, as in the SQL store"
    );
    assert_eq!(
        store
            .attempt_challenge(erika, "login:tx:1", "digest-right", expired)
            .await
            .unwrap(),
        ChallengeAttempt::Expired
    );
    assert_eq!(
        redis.pttl(&key).await,
        -2,
        "an expired challenge is deleted"
    );
    assert_eq!(
        store.purge_expired_challenges(expired).await.unwrap(),
        0,
        "Redis expires challenges by itself"
    );
    redis.clean_up().await;
}

/// Two nodes (two connections) see one challenge and count its tries
/// together.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_op_5_two_nodes_share_one_challenge_and_its_tries() {
    let Some(redis) = redis().await else { return };
    let one = redis.challenges();
    let other = RedisChallengeStore::new(
        RedisConnection::connect(&redis_url(), &redis.prefix)
            .await
            .unwrap(),
        Arc::new(redis.clock.clone()),
    );
    let erika = AccountId::new();
    one.put_challenge(&challenge(erika)).await.unwrap();
    assert_eq!(
        other
            .attempt_challenge(erika, "login:tx:1", "digest-wrong", t0())
            .await
            .unwrap(),
        ChallengeAttempt::Wrong { attempts_left: 2 }
    );
    assert_eq!(
        one.attempt_challenge(erika, "login:tx:1", "digest-right", t0())
            .await
            .unwrap(),
        ChallengeAttempt::Matched
    );
    assert_eq!(
        other
            .attempt_challenge(erika, "login:tx:1", "digest-right", t0())
            .await
            .unwrap(),
        ChallengeAttempt::Unknown
    );
    redis.clean_up().await;
}
