//! [`RedisChallengeStore`]: one-time code challenges (SMS-TAN, e-mail codes)
//! in Redis, shared by all nodes (R-MF-3, R-OP-5).
//!
//! # What is stored
//!
//! * `{prefix}:challenge:{account id}:{purpose}`: a hash with `record` (the
//!   challenge as JSON, as sent), `digest` (the code's keyed digest),
//!   `expires` (its `expires_at` in Unix milliseconds) and `left` (the tries
//!   that remain). The account id has a fixed length, so the purpose (which may
//!   contain `:`) cannot blur two keys together. The key is kept until
//!   `expires_at` plus [`CHALLENGE_RETENTION`] (from the injected clock), so
//!   that a code entered just after its expiry is answered `Expired` as in the
//!   SQL store, and the resend throttle still sees when it was sent.
//!
//! Every key names exactly one value and no operation touches two keys, so the
//! layout works unchanged on Redis Cluster.
//!
//! # Atomicity
//!
//! * Storing replaces the whole hash in one `MULTI` block (`DEL`, `HSET`,
//!   `PEXPIRE`): the old code stops working the moment the new one is stored,
//!   and the new one comes with a full set of tries.
//! * An attempt is one Lua script: it checks expiry against the caller's
//!   `now`, then the tries left, then compares the digest without an early
//!   exit, and either deletes the challenge (match, expired) or counts the try
//!   down. Redis runs a script without interleaving, so parallel attempts from
//!   any number of nodes are decided one after the other: of a challenge with
//!   three tries exactly three wrong codes are answered `Wrong`, every later
//!   one `Exhausted`, and a right code matches at most once. The attempt that
//!   uses the last try is answered `Wrong { attempts_left: 0 }`.
//!
//! # What a flushed Redis loses
//!
//! Codes sent and not yet entered: the user is told the code is no longer
//! valid and asks for a new one (the resend wait starts afresh).

use crate::redis_connection::{RedisConnection, millis_until, unavailable};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use pforte_identity::factor::{ChallengeAttempt, CodeChallenge};
use pforte_identity::ports::ChallengeStore;
use pforte_types::{AccountId, Clock, StoreError};
use redis::Script;
use std::sync::Arc;

/// How long a challenge's key outlives the challenge (see the module
/// documentation).
pub const CHALLENGE_RETENTION: TimeDelta = TimeDelta::minutes(10);

/// One attempt. `ARGV`: now (Unix ms), entered digest. Returns 0 unknown,
/// 1 expired, 2 exhausted, 3 matched, or `{4, tries left}` for a wrong code.
const ATTEMPT: &str = r"
local found = redis.call('HMGET', KEYS[1], 'expires', 'left', 'digest')
if not found[1] or not found[2] or not found[3] then
  return 0
end
if tonumber(ARGV[1]) >= tonumber(found[1]) then
  redis.call('DEL', KEYS[1])
  return 1
end
local left = tonumber(found[2])
if left <= 0 then
  return 2
end
local stored, entered = found[3], ARGV[2]
local differences = 0
if #stored ~= #entered then
  differences = 1
end
for i = 1, #stored do
  if string.byte(stored, i) ~= string.byte(entered, i) then
    differences = differences + 1
  end
end
if differences == 0 then
  redis.call('DEL', KEYS[1])
  return 3
end
left = left - 1
redis.call('HSET', KEYS[1], 'left', left)
return {4, left}
";

/// [`ChallengeStore`] in Redis (see the module documentation).
#[derive(Clone)]
pub struct RedisChallengeStore {
    redis: RedisConnection,
    clock: Arc<dyn Clock>,
    attempt: Script,
}

impl std::fmt::Debug for RedisChallengeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisChallengeStore")
            .field("redis", &self.redis)
            .finish_non_exhaustive()
    }
}

impl RedisChallengeStore {
    /// `clock` must be the one challenges are stamped with.
    pub fn new(redis: RedisConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            redis,
            clock,
            attempt: Script::new(ATTEMPT),
        }
    }

    fn key(&self, account: AccountId, purpose: &str) -> String {
        self.redis
            .key("challenge", &format!("{}:{purpose}", account.0))
    }
}

fn corrupt(err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("code challenge: {err}"))
}

/// Reads the reply of [`ATTEMPT`].
fn attempt_outcome(reply: &redis::Value) -> Result<ChallengeAttempt, StoreError> {
    use redis::Value;
    match reply {
        Value::Int(0) => Ok(ChallengeAttempt::Unknown),
        Value::Int(1) => Ok(ChallengeAttempt::Expired),
        Value::Int(2) => Ok(ChallengeAttempt::Exhausted),
        Value::Int(3) => Ok(ChallengeAttempt::Matched),
        Value::Array(items) => match items.as_slice() {
            [Value::Int(4), Value::Int(left)] => Ok(ChallengeAttempt::Wrong {
                attempts_left: u32::try_from(*left).unwrap_or(0),
            }),
            other => Err(corrupt(format!("unexpected reply {other:?}"))),
        },
        other => Err(corrupt(format!("unexpected reply {other:?}"))),
    }
}

#[async_trait]
impl ChallengeStore for RedisChallengeStore {
    async fn put_challenge(&self, challenge: &CodeChallenge) -> Result<(), StoreError> {
        let key = self.key(challenge.account_id, &challenge.purpose);
        let record = serde_json::to_string(challenge).map_err(corrupt)?;
        let mut pipe = redis::pipe();
        pipe.atomic().del(&key).ignore();
        if let Some(ttl) =
            millis_until(challenge.expires_at + CHALLENGE_RETENTION, self.clock.now())
        {
            pipe.hset_multiple(
                &key,
                &[
                    ("record", record),
                    ("digest", challenge.code_digest.clone()),
                    (
                        "expires",
                        challenge.expires_at.timestamp_millis().to_string(),
                    ),
                    ("left", challenge.attempts_left.to_string()),
                ],
            )
            .ignore()
            .pexpire(&key, ttl)
            .ignore();
        }
        let _: () = pipe
            .query_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The challenge as sent, with the tries that remain; also when expired
    /// (until its key's retention ends) or exhausted, as in the SQL store.
    async fn current_challenge(
        &self,
        account: AccountId,
        purpose: &str,
    ) -> Result<Option<CodeChallenge>, StoreError> {
        let (record, left): (Option<String>, Option<u32>) = redis::cmd("HMGET")
            .arg(self.key(account, purpose))
            .arg("record")
            .arg("left")
            .query_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        let (Some(record), Some(left)) = (record, left) else {
            return Ok(None);
        };
        let mut challenge: CodeChallenge = serde_json::from_str(&record).map_err(corrupt)?;
        challenge.attempts_left = left;
        Ok(Some(challenge))
    }

    async fn attempt_challenge(
        &self,
        account: AccountId,
        purpose: &str,
        code_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<ChallengeAttempt, StoreError> {
        let reply: redis::Value = self
            .attempt
            .key(self.key(account, purpose))
            .arg(now.timestamp_millis())
            .arg(code_digest)
            .invoke_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        attempt_outcome(&reply)
    }

    /// Redis expires challenges by itself; nothing to purge.
    async fn purge_expired_challenges(&self, _before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use redis::Value;

    #[test]
    fn attempt_replies_map_to_outcomes() {
        assert_eq!(
            attempt_outcome(&Value::Int(0)).unwrap(),
            ChallengeAttempt::Unknown
        );
        assert_eq!(
            attempt_outcome(&Value::Int(1)).unwrap(),
            ChallengeAttempt::Expired
        );
        assert_eq!(
            attempt_outcome(&Value::Int(2)).unwrap(),
            ChallengeAttempt::Exhausted
        );
        assert_eq!(
            attempt_outcome(&Value::Int(3)).unwrap(),
            ChallengeAttempt::Matched
        );
        assert_eq!(
            attempt_outcome(&Value::Array(vec![Value::Int(4), Value::Int(2)])).unwrap(),
            ChallengeAttempt::Wrong { attempts_left: 2 }
        );
        assert!(attempt_outcome(&Value::Int(9)).is_err());
    }
}
