//! [`RedisConnection`]: one multiplexed, self-reconnecting connection to Redis
//! and the key prefix, shared by the Redis stores of one-time artefacts
//! ([`RedisGrantStore`](crate::RedisGrantStore),
//! [`RedisChallengeStore`](crate::RedisChallengeStore),
//! [`RedisThrottleStore`](crate::RedisThrottleStore)). Connecting the same way
//! as [`RedisStore`](crate::RedisStore): a stalled Redis fails a request after
//! a few seconds instead of hanging it.

use chrono::{DateTime, Utc};
use pforte_types::StoreError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError};
use std::time::Duration;

/// How long one connection attempt or one command may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// How often a reconnect is retried (with growing delays) before a command
/// fails.
const RECONNECT_RETRIES: usize = 3;

/// Upper bound of a TTL. Redis refuses expiry times that overflow; no
/// one-time artefact lives anywhere near this long.
const MAX_TTL_MS: i64 = 365 * 24 * 60 * 60 * 1000;

/// A connection to Redis and the prefix every key starts with.
#[derive(Clone)]
pub struct RedisConnection {
    connection: ConnectionManager,
    key_prefix: String,
}

impl std::fmt::Debug for RedisConnection {
    /// Leaves out the connection, whose URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnection")
            .field("key_prefix", &self.key_prefix)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// Connects to `url` (`redis://`, or `rediss://` for TLS) and checks that
    /// Redis answers. Every key starts with `key_prefix` followed by `:`.
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
        })
    }

    /// `{prefix}:{kind}:{id}`.
    pub(crate) fn key(&self, kind: &str, id: &str) -> String {
        format!("{}:{kind}:{id}", self.key_prefix)
    }

    /// A handle on the shared multiplexed connection (cheap to clone).
    pub(crate) fn handle(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// Runs an idempotent command (a read, or a `SET` of a whole value) once
    /// more when the first try found the connection dropped. After Redis
    /// restarts, the connection manager notices only when a command fails and
    /// then reconnects; retrying on the fresh connection spares the user an
    /// error page for the first request after the restart. Other writes are
    /// not retried: a lost answer would leave it open whether they ran.
    pub(crate) async fn idempotent<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, RedisError> {
        match command.query_async(&mut self.handle()).await {
            Err(error) if error.is_connection_dropped() || error.is_io_error() => {
                command.query_async(&mut self.handle()).await
            }
            other => other,
        }
    }
}

pub(crate) fn unavailable(err: RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {err}"))
}

/// Milliseconds from `now` until `until`, as Redis accepts them for `PX`;
/// `None` when `until` is not after `now` (nothing to keep).
pub(crate) fn millis_until(until: DateTime<Utc>, now: DateTime<Utc>) -> Option<i64> {
    let millis = (until - now).num_milliseconds();
    (millis > 0).then(|| millis.min(MAX_TTL_MS))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn ttls_are_positive_and_bounded() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(millis_until(now, now), None);
        assert_eq!(millis_until(now - TimeDelta::seconds(1), now), None);
        assert_eq!(millis_until(now + TimeDelta::milliseconds(1), now), Some(1));
        assert_eq!(
            millis_until(now + TimeDelta::seconds(90), now),
            Some(90_000)
        );
        assert_eq!(
            millis_until(DateTime::<Utc>::MAX_UTC, now),
            Some(MAX_TTL_MS)
        );
    }
}
