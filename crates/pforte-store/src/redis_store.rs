//! [`RedisStore`]: provider sessions and short-lived flow state in Redis, so
//! that several Pforte nodes share them (R-SE, R-OP-5, DESIGN.md §6, §8). It
//! behaves like [`MemoryStore`](crate::MemoryStore), with Redis expiring the
//! entries instead of the in-process clock.
//!
//! # What is stored
//!
//! * `{prefix}:session:{sid}`: one provider session as JSON. Written with
//!   `SET … PXAT <end>`, where the end is [`ProviderSession::ends_at`], the
//!   earlier of the absolute end and the idle end (R-SE-1), so Redis drops it
//!   at the session's own end and no sweeper is needed. A use of the session
//!   ([`SessionStore::touch_session`]) rewrites it with the new end. A session
//!   whose end has already passed is never visible.
//! * `{prefix}:account-sessions:{account_id}`: the per-account index (R-SE-3),
//!   a sorted set of session ids scored by their absolute end in
//!   milliseconds. The key expires with the latest absolute end among its
//!   members. Entries may be stale (a session that ended idle, or was deleted
//!   on another node between two commands); listing reads each session and
//!   removes the entries whose session is gone.
//! * `{prefix}:eph:{key}`: one short-lived value (a pending authorization
//!   request while the user logs in), written with `SET … PX <ttl>`.
//!
//! Every key names exactly one value and no command or script touches two
//! keys, so the layout works unchanged on Redis Cluster (no hash tags needed):
//! a session and its index entry live in different slots and are written by
//! separate commands, which is why the index tolerates stale entries. The prefix
//! keeps several installations (or test runs) on one Redis apart.
//!
//! # Atomicity
//!
//! * [`EphemeralStore::take_ephemeral`] is a single `GETDEL`: of many parallel
//!   takers exactly one receives the value (single use, DESIGN.md §3).
//! * [`SessionStore::add_session_client`] must not lose a client when two
//!   token responses of one session race. It reads the session, appends the
//!   client in Rust and writes it back through a small Lua script that replaces
//!   the value only if it is still the one read (compare-and-set) and keeps the
//!   remaining TTL (`SET … KEEPTTL`). A lost race is retried. The JSON is
//!   decoded in Rust rather than in Lua because Lua's `cjson` turns empty
//!   arrays into objects, which would corrupt the session.
//!
//! # What a flushed Redis loses
//!
//! Nothing durable lives here. When Redis is flushed or restarted without
//! persistence, every provider session ends (users must log in again and
//! relying parties see no session at the next authorization request), and
//! logins that were in progress restart from the client's authorization
//! request. Grants, refresh tokens and accounts stay in the SQL store.

use crate::redis_connection::{RedisConnection, unavailable};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::ports::{EphemeralStore, SessionStore};
use pforte_identity::session::ProviderSession;
use pforte_types::{AccountId, StoreError};
use redis::Script;
use redis::aio::ConnectionManager;
use std::time::Duration;

/// Upper bound of an ephemeral TTL. Redis refuses expiry times that overflow;
/// flow state never needs anywhere near this long.
const MAX_TTL_MS: u64 = 365 * 24 * 60 * 60 * 1000;

/// How often [`SessionStore::add_session_client`] retries a lost
/// compare-and-set. Each round lets at least one racing writer through, so this
/// is far more than the number of clients a session ever receives at once.
const MAX_CAS_ATTEMPTS: usize = 64;

/// Replaces `KEYS[1]` by `ARGV[2]` if it still holds `ARGV[1]`; keeps its TTL,
/// or, when `ARGV[3]` is given, makes it expire at that Unix time in ms.
/// Returns 1 when replaced, 0 when the key is gone, -1 when it changed.
const COMPARE_AND_SET: &str = r"
local current = redis.call('GET', KEYS[1])
if not current then
  return 0
end
if current ~= ARGV[1] then
  return -1
end
if ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
return 1
";

/// Adds member `ARGV[2]` with score `ARGV[1]` (an end in Unix ms) to the
/// sorted set `KEYS[1]` and lets the set live at least until that end
/// (`PEXPIRETIME`, Redis 7.0).
const INDEX_ADD: &str = r"
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local current = redis.call('PEXPIRETIME', KEYS[1])
if current < tonumber(ARGV[1]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[1])
end
return 1
";

/// Redis-backed [`SessionStore`] and [`EphemeralStore`].
#[derive(Clone)]
pub struct RedisStore {
    redis: RedisConnection,
    compare_and_set: Script,
    index_add: Script,
}

impl std::fmt::Debug for RedisStore {
    /// Leaves out the connection, whose URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("redis", &self.redis)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://` or `rediss://` for TLS) and checks that
    /// Redis answers. The connection reconnects by itself when Redis restarts.
    /// Every key starts with `key_prefix` followed by `:`.
    pub async fn connect(url: &str, key_prefix: &str) -> Result<Self, StoreError> {
        Ok(Self {
            redis: RedisConnection::connect(url, key_prefix).await?,
            compare_and_set: Script::new(COMPARE_AND_SET),
            index_add: Script::new(INDEX_ADD),
        })
    }

    /// `PING`, for the readiness check (R-OP-3). The connection's response
    /// timeout bounds it; a Redis that is gone reports an error.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.connection();
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    fn session_key(&self, sid: &str) -> String {
        self.redis.key("session", sid)
    }

    fn account_index_key(&self, account: AccountId) -> String {
        self.redis.key("account-sessions", &account.to_string())
    }

    fn ephemeral_key(&self, key: &str) -> String {
        self.redis.key("eph", key)
    }

    /// The connection, for the Redis stores of one-time artefacts, so that a
    /// node keeps one connection to Redis (R-OP-5).
    pub fn shared_connection(&self) -> RedisConnection {
        self.redis.clone()
    }

    /// A handle on the shared multiplexed connection (cheap to clone).
    fn connection(&self) -> ConnectionManager {
        self.redis.handle()
    }
}

fn decode_session(raw: &[u8]) -> Result<ProviderSession, StoreError> {
    serde_json::from_slice(raw).map_err(|err| StoreError::Corrupt(format!("session: {err}")))
}

fn encode_session(session: &ProviderSession) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(session).map_err(|err| StoreError::Corrupt(format!("session: {err}")))
}

/// The session's end as `PXAT` takes it. PXAT must be positive; any time at
/// or before the epoch has passed.
fn end_millis(session: &ProviderSession) -> i64 {
    session.ends_at().timestamp_millis().max(1)
}

/// The TTL in milliseconds as Redis accepts it: at least 1 (`PX 0` is an
/// error) and at most [`MAX_TTL_MS`].
fn ttl_millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_TTL_MS)
}

#[async_trait]
impl SessionStore for RedisStore {
    /// Stores the session until its end (R-SE-1) and indexes it under its
    /// account (R-SE-3). An end in the past makes Redis drop the key at once.
    async fn put_session(&self, session: &ProviderSession) -> Result<(), StoreError> {
        let value = encode_session(session)?;
        let _: () = self
            .redis
            .idempotent(
                redis::cmd("SET")
                    .arg(self.session_key(&session.sid))
                    .arg(value)
                    .arg("PXAT")
                    .arg(end_millis(session)),
            )
            .await
            .map_err(unavailable)?;
        let _: i64 = self
            .index_add
            .key(self.account_index_key(session.account_id))
            .arg(session.expires_at.timestamp_millis().max(1))
            .arg(&session.sid)
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_session(&self, sid: &str) -> Result<Option<ProviderSession>, StoreError> {
        let raw: Option<Vec<u8>> = self
            .redis
            .idempotent(redis::cmd("GET").arg(self.session_key(sid)))
            .await
            .map_err(unavailable)?;
        raw.as_deref().map(decode_session).transpose()
    }

    /// `GETDEL`, so that the index entry of the deleted session can be
    /// removed as well (a second command; a lost one leaves a stale entry that
    /// listing filters out).
    async fn delete_session(&self, sid: &str) -> Result<(), StoreError> {
        let raw: Option<Vec<u8>> = redis::cmd("GETDEL")
            .arg(self.session_key(sid))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        if let Some(session) = raw.as_deref().and_then(|raw| decode_session(raw).ok()) {
            let _: i64 = redis::cmd("ZREM")
                .arg(self.account_index_key(session.account_id))
                .arg(sid)
                .query_async(&mut self.connection())
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }

    /// Records the use and moves the key's expiry to the session's new end,
    /// by compare-and-set like [`SessionStore::add_session_client`]. A
    /// session that has ended (at `at`) is left alone and `None` returned.
    async fn touch_session(
        &self,
        sid: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ProviderSession>, StoreError> {
        self.update_session(sid, true, |session| {
            if !session.is_live(at) {
                return Update::Gone;
            }
            session.last_seen_at = Some(at);
            Update::Write
        })
        .await
    }

    /// The index's members, each read with its own `GET` (never `MGET`
    /// across slots); members whose session is gone or belongs to another
    /// account are removed from the index.
    async fn sessions_of_account(
        &self,
        account: AccountId,
    ) -> Result<Vec<ProviderSession>, StoreError> {
        let index = self.account_index_key(account);
        let mut connection = self.connection();
        let sids: Vec<String> = redis::cmd("ZRANGE")
            .arg(&index)
            .arg(0)
            .arg(-1)
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        let mut sessions = Vec::with_capacity(sids.len());
        let mut stale = Vec::new();
        for sid in sids {
            match self.get_session(&sid).await? {
                Some(session) if session.account_id == account => sessions.push(session),
                _ => stale.push(sid),
            }
        }
        if !stale.is_empty() {
            let _: i64 = redis::cmd("ZREM")
                .arg(&index)
                .arg(stale)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
        }
        Ok(sessions)
    }

    /// Adds the client once, keeping the session's expiry; a session that has
    /// ended is left alone (as in the memory store).
    async fn add_session_client(&self, sid: &str, client_id: &str) -> Result<(), StoreError> {
        self.update_session(sid, false, |session| {
            if session.clients.iter().any(|known| known == client_id) {
                return Update::Unchanged;
            }
            session.clients.push(client_id.to_owned());
            Update::Write
        })
        .await
        .map(|_| ())
    }
}

/// What a change of a stored session decided.
enum Update {
    /// Write the changed session.
    Write,
    /// Nothing to write; the session as it is.
    Unchanged,
    /// Treat the session as ended.
    Gone,
}

impl RedisStore {
    /// Read, change in Rust, and write back by compare-and-set, retried when
    /// another writer came first. With `reexpire` the key then expires at
    /// the session's new end; otherwise its TTL is kept.
    async fn update_session(
        &self,
        sid: &str,
        reexpire: bool,
        change: impl Fn(&mut ProviderSession) -> Update,
    ) -> Result<Option<ProviderSession>, StoreError> {
        let key = self.session_key(sid);
        let mut connection = self.connection();
        for _ in 0..MAX_CAS_ATTEMPTS {
            let raw: Option<Vec<u8>> = redis::cmd("GET")
                .arg(&key)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            let Some(raw) = raw else {
                return Ok(None);
            };
            let mut session = decode_session(&raw)?;
            match change(&mut session) {
                Update::Write => {}
                Update::Unchanged => return Ok(Some(session)),
                Update::Gone => return Ok(None),
            }
            let updated = encode_session(&session)?;
            let mut invocation = self.compare_and_set.key(&key);
            invocation.arg(raw).arg(updated);
            if reexpire {
                invocation.arg(end_millis(&session));
            }
            let outcome: i64 = invocation
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            match outcome {
                1 => return Ok(Some(session)),
                0 => return Ok(None),
                _ => {}
            }
        }
        Err(StoreError::Unavailable(format!(
            "redis: session {} kept changing while being updated",
            pforte_identity::session::handle_of(sid)
        )))
    }
}

#[async_trait]
impl EphemeralStore for RedisStore {
    async fn put_ephemeral(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let _: () = self
            .redis
            .idempotent(
                redis::cmd("SET")
                    .arg(self.ephemeral_key(key))
                    .arg(value)
                    .arg("PX")
                    .arg(ttl_millis(ttl)),
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.redis
            .idempotent(redis::cmd("GET").arg(self.ephemeral_key(key)))
            .await
            .map_err(unavailable)
    }

    /// `GETDEL`: the value goes to exactly one caller (DESIGN.md §3).
    async fn take_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        redis::cmd("GETDEL")
            .arg(self.ephemeral_key(key))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_are_clamped_to_what_redis_accepts() {
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::from_micros(10)), 1);
        assert_eq!(ttl_millis(Duration::from_secs(600)), 600_000);
        assert_eq!(ttl_millis(Duration::from_secs(u64::MAX)), MAX_TTL_MS);
    }
}
