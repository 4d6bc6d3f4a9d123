//! [`RedisStore`]: provider sessions and short-lived flow state in Redis, so
//! that several Pforte nodes share them (R-SE, R-OP-5, DESIGN.md §6, §8). It
//! behaves like [`MemoryStore`](crate::MemoryStore), with Redis expiring the
//! entries instead of the in-process clock.
//!
//! # What is stored
//!
//! * `{prefix}:session:{sid}`: one provider session as JSON. Written with
//!   `SET … PXAT <expires_at>`, so Redis drops it at the session's own end and
//!   no sweeper is needed. A session whose end has already passed is never
//!   visible.
//! * `{prefix}:eph:{key}`: one short-lived value (a pending authorization
//!   request while the user logs in), written with `SET … PX <ttl>`.
//!
//! Every key names exactly one value and no operation touches two keys, so the
//! layout works unchanged on Redis Cluster (no hash tags needed). The prefix
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

use async_trait::async_trait;
use pforte_identity::ports::{EphemeralStore, SessionStore};
use pforte_identity::session::ProviderSession;
use pforte_types::StoreError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script};
use std::time::Duration;

/// How long one connection attempt or one command may take before the store
/// reports itself unavailable, so a stalled Redis fails a login quickly.
const TIMEOUT: Duration = Duration::from_secs(5);

/// How often a reconnect is retried (with growing delays) before a command
/// fails.
const RECONNECT_RETRIES: usize = 3;

/// Upper bound of an ephemeral TTL. Redis refuses expiry times that overflow;
/// flow state never needs anywhere near this long.
const MAX_TTL_MS: u64 = 365 * 24 * 60 * 60 * 1000;

/// How often [`SessionStore::add_session_client`] retries a lost
/// compare-and-set. Each round lets at least one racing writer through, so this
/// is far more than the number of clients a session ever receives at once.
const MAX_CAS_ATTEMPTS: usize = 64;

/// Replaces `KEYS[1]` by `ARGV[2]` if it still holds `ARGV[1]`, keeping its TTL.
/// Returns 1 when replaced, 0 when the key is gone, -1 when it changed.
const COMPARE_AND_SET: &str = r"
local current = redis.call('GET', KEYS[1])
if not current then
  return 0
end
if current ~= ARGV[1] then
  return -1
end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
";

/// Redis-backed [`SessionStore`] and [`EphemeralStore`].
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    key_prefix: String,
    compare_and_set: Script,
}

impl std::fmt::Debug for RedisStore {
    /// Leaves out the connection, whose URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("key_prefix", &self.key_prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://` or `rediss://` for TLS) and checks that
    /// Redis answers. The connection reconnects by itself when Redis restarts.
    /// Every key starts with `key_prefix` followed by `:`.
    pub async fn connect(url: &str, key_prefix: &str) -> Result<Self, StoreError> {
        let client = Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(RECONNECT_RETRIES);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
        Ok(Self {
            connection,
            key_prefix: key_prefix.to_owned(),
            compare_and_set: Script::new(COMPARE_AND_SET),
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
        format!("{}:session:{sid}", self.key_prefix)
    }

    fn ephemeral_key(&self, key: &str) -> String {
        format!("{}:eph:{key}", self.key_prefix)
    }

    /// A handle on the shared multiplexed connection (cheap to clone).
    fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

fn unavailable(err: RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {err}"))
}

fn decode_session(raw: &[u8]) -> Result<ProviderSession, StoreError> {
    serde_json::from_slice(raw).map_err(|err| StoreError::Corrupt(format!("session: {err}")))
}

fn encode_session(session: &ProviderSession) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(session).map_err(|err| StoreError::Corrupt(format!("session: {err}")))
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
    /// Stores the session until its `expires_at` (R-SE). An end in the past
    /// makes Redis drop the key at once.
    async fn put_session(&self, session: &ProviderSession) -> Result<(), StoreError> {
        let value = encode_session(session)?;
        // PXAT must be positive; any time at or before the epoch has passed.
        let expires_at_ms = session.expires_at.timestamp_millis().max(1);
        let _: () = redis::cmd("SET")
            .arg(self.session_key(&session.sid))
            .arg(value)
            .arg("PXAT")
            .arg(expires_at_ms)
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_session(&self, sid: &str) -> Result<Option<ProviderSession>, StoreError> {
        let raw: Option<Vec<u8>> = redis::cmd("GET")
            .arg(self.session_key(sid))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        raw.as_deref().map(decode_session).transpose()
    }

    async fn delete_session(&self, sid: &str) -> Result<(), StoreError> {
        let _: i64 = redis::cmd("DEL")
            .arg(self.session_key(sid))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Adds the client once, keeping the session's expiry; a session that has
    /// ended is left alone (as in the memory store).
    async fn add_session_client(&self, sid: &str, client_id: &str) -> Result<(), StoreError> {
        let key = self.session_key(sid);
        let mut connection = self.connection();
        for _ in 0..MAX_CAS_ATTEMPTS {
            let raw: Option<Vec<u8>> = redis::cmd("GET")
                .arg(&key)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            let Some(raw) = raw else {
                return Ok(());
            };
            let mut session = decode_session(&raw)?;
            if session.clients.iter().any(|known| known == client_id) {
                return Ok(());
            }
            session.clients.push(client_id.to_owned());
            let updated = encode_session(&session)?;
            let outcome: i64 = self
                .compare_and_set
                .key(&key)
                .arg(raw)
                .arg(updated)
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)?;
            if outcome >= 0 {
                return Ok(());
            }
        }
        Err(StoreError::Unavailable(format!(
            "redis: session kept changing while adding client {client_id}"
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
        let _: () = redis::cmd("SET")
            .arg(self.ephemeral_key(key))
            .arg(value)
            .arg("PX")
            .arg(ttl_millis(ttl))
            .query_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        redis::cmd("GET")
            .arg(self.ephemeral_key(key))
            .query_async(&mut self.connection())
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
