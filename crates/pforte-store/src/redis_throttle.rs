//! [`RedisThrottleStore`]: the per-IP and per-network failure counters of
//! login throttling (R-LO-5) in Redis, so that all nodes count the failures of
//! a source together instead of each enforcing the limit on its share.
//!
//! # What is stored
//!
//! * `{prefix}:throttle:{storage key}` (e.g. `…:throttle:ip:192.0.2.7`,
//!   `…:throttle:net:192.0.2.0/24`): a hash with `start` (the window's first
//!   failure, Unix milliseconds) and `failures`. Its TTL is the window, set
//!   when the window opens, so Redis drops a counter when its window ends.
//!
//! Every key names exactly one counter and no operation touches two keys, so
//! the layout works unchanged on Redis Cluster.
//!
//! # Atomicity
//!
//! Counting a failure is one Lua script on the counter's key: inside the open
//! window it increments `failures` (`HINCRBY`); otherwise it starts a new
//! window at the caller's `now` with one failure and sets the TTL (`PEXPIRE`)
//! in the same script. This is the rule of
//! `pforte_policy::lockout::throttle::record_failure`, which the store suite
//! checks on this store and the in-process one alike. Whether a source is
//! refused is still decided by the policy from the counter read back.
//!
//! # What a flushed Redis loses
//!
//! The counters: a source that was being throttled may try again at once,
//! up to the limit of a new window. The per-account lockout (R-LO-1 …
//! R-LO-4) is in the SQL store and unaffected.

use crate::redis_connection::{RedisConnection, unavailable};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::ports::ThrottleStore;
use pforte_policy::{ThrottleKey, ThrottleLimit, WindowCounter};
use pforte_types::StoreError;
use redis::Script;

/// Counts one failure. `ARGV`: now (Unix ms), window (ms). Returns
/// `{window start, failures}` after counting.
const COUNT_FAILURE: &str = r"
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local start = tonumber(redis.call('HGET', KEYS[1], 'start'))
if start and now < start + window then
  local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
  return {start, failures}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'start', ARGV[1], 'failures', 1)
redis.call('PEXPIRE', KEYS[1], window)
return {now, 1}
";

/// [`ThrottleStore`] in Redis (see the module documentation).
#[derive(Clone)]
pub struct RedisThrottleStore {
    redis: RedisConnection,
    count_failure: Script,
}

impl std::fmt::Debug for RedisThrottleStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisThrottleStore")
            .field("redis", &self.redis)
            .finish_non_exhaustive()
    }
}

impl RedisThrottleStore {
    pub fn new(redis: RedisConnection) -> Self {
        Self {
            redis,
            count_failure: Script::new(COUNT_FAILURE),
        }
    }

    fn key(&self, key: &ThrottleKey) -> String {
        self.redis.key("throttle", &key.storage_key())
    }
}

fn counter(start_ms: i64, failures: i64) -> Result<WindowCounter, StoreError> {
    let window_start = DateTime::<Utc>::from_timestamp_millis(start_ms).ok_or_else(|| {
        StoreError::Corrupt(format!("throttle counter: bad window start {start_ms}"))
    })?;
    Ok(WindowCounter {
        window_start,
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
    })
}

#[async_trait]
impl ThrottleStore for RedisThrottleStore {
    async fn throttle_counter(
        &self,
        key: &ThrottleKey,
    ) -> Result<Option<WindowCounter>, StoreError> {
        let (start, failures): (Option<i64>, Option<i64>) = redis::cmd("HMGET")
            .arg(self.key(key))
            .arg("start")
            .arg("failures")
            .query_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        match (start, failures) {
            (Some(start), Some(failures)) => counter(start, failures).map(Some),
            _ => Ok(None),
        }
    }

    async fn count_throttle_failure(
        &self,
        key: &ThrottleKey,
        limit: &ThrottleLimit,
        now: DateTime<Utc>,
    ) -> Result<WindowCounter, StoreError> {
        let window_ms = limit.window.num_milliseconds().max(1);
        let (start, failures): (i64, i64) = self
            .count_failure
            .key(self.key(key))
            .arg(now.timestamp_millis())
            .arg(window_ms)
            .invoke_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        counter(start, failures)
    }
}
