//! [`RedisGrantStore`]: authorization codes, pushed authorization requests
//! and client assertion `jti`s in Redis, everything durable in the store it
//! wraps (R-OP-5, DESIGN.md §3, §6).
//!
//! The one-time protocol artefacts are short-lived (seconds to minutes) and
//! written and consumed once each; Redis expires them by itself and every
//! node sees them. Grants, refresh tokens and revoked access tokens go to the
//! durable store: losing them would let a logged-out or revoked client back
//! in, so they must survive a Redis restart.
//!
//! # What is stored
//!
//! * `{prefix}:code:{code digest}`: a hash with `grant` (the grant id),
//!   `used` (`0` or `1`) and, until the code is redeemed, `record` (the code
//!   as JSON). Kept until the code's `expires_at` plus
//!   [`CODE_RETENTION`], so that a code presented again shortly after its
//!   expiry is still recognised as reused.
//! * `{prefix}:par:{request_uri digest}`: one pushed request as JSON, until
//!   its `expires_at` (RFC 9126).
//! * `{prefix}:jti:{length of client id}:{client id}:{jti}`: `1`, until the
//!   assertion's `expires_at` (RFC 7523 3). The length keeps `a:b` + `c` and
//!   `a` + `b:c` apart.
//!
//! Every key names exactly one value and no operation touches two keys, so the
//! layout works unchanged on Redis Cluster (no hash tags needed). Lifetimes
//! are computed from the injected clock (`PX`), the same clock that set the
//! artefact's `expires_at`.
//!
//! # Atomicity and the semantics of the SQL store
//!
//! * Redeeming a code is one Lua script on its key: the first call marks the
//!   hash used, removes the record and returns it (`Fresh`); every later call
//!   finds `used = 1` and returns the grant id (`AlreadyUsed`), so the caller
//!   revokes the grant (RFC 6749 4.1.2, RFC 9700 4.5). Of many parallel
//!   redemptions exactly one is fresh. Expiry stays the caller's check, as in
//!   the SQL store.
//! * A code is only stored for a grant the durable store knows (as the SQL
//!   store's foreign key demands) and never over an existing code.
//! * A PAR request is taken with `GETDEL` (single use, RFC 9126 2.2); a `jti`
//!   is remembered with `SET … NX` (a replay sets nothing).
//!
//! # What a flushed Redis loses
//!
//! Codes not yet redeemed (the relying party's token request fails with
//! `invalid_grant` and the user starts the login again), pending PAR
//! request_uris (the authorization request fails and the client pushes a new
//! one) and the `jti`s seen (an assertion captured in the few minutes before
//! could be replayed once until it expires).

use crate::redis_connection::{RedisConnection, millis_until, unavailable};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use pforte_oauth::model::{
    AuthorizationCode, CodeConsumption, Grant, PushedRequest, RefreshConsumption, RefreshToken,
};
use pforte_oauth::ports::GrantStore;
use pforte_types::{Clock, StoreError};
use redis::{Script, Value};
use std::sync::Arc;

/// How long a code's key outlives the code: reuse of a code that has just
/// expired is still detected and its grant revoked (RFC 6749 4.1.2).
pub const CODE_RETENTION: TimeDelta = TimeDelta::minutes(10);

/// Stores a code unless its key exists. `ARGV`: grant id, record, TTL in ms.
/// Returns 1 when stored, 0 when the key was taken.
const INSERT_CODE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'grant', ARGV[1], 'used', '0', 'record', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
";

/// Redeems a code. Returns `{}` when there is none, `{1, record}` the first
/// time and `{2, grant id}` every later time; the key keeps its TTL.
const CONSUME_CODE: &str = r"
local found = redis.call('HMGET', KEYS[1], 'used', 'grant', 'record')
if not found[1] then
  return {}
end
if found[1] == '1' or not found[3] then
  return {2, found[2]}
end
redis.call('HSET', KEYS[1], 'used', '1')
redis.call('HDEL', KEYS[1], 'record')
return {1, found[3]}
";

/// [`GrantStore`] with codes, PAR requests and assertion `jti`s in Redis and
/// everything else in `durable` (see the module documentation).
#[derive(Clone)]
pub struct RedisGrantStore<G> {
    durable: G,
    redis: RedisConnection,
    clock: Arc<dyn Clock>,
    insert_code: Script,
    consume_code: Script,
}

impl<G> std::fmt::Debug for RedisGrantStore<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisGrantStore")
            .field("redis", &self.redis)
            .finish_non_exhaustive()
    }
}

impl<G> RedisGrantStore<G> {
    /// `clock` must be the one the protocol core stamps `expires_at` with.
    pub fn new(durable: G, redis: RedisConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            durable,
            redis,
            clock,
            insert_code: Script::new(INSERT_CODE),
            consume_code: Script::new(CONSUME_CODE),
        }
    }

    /// The store grants and refresh tokens go to.
    pub fn durable(&self) -> &G {
        &self.durable
    }

    fn jti_key(&self, client_id: &str, jti: &str) -> String {
        self.redis
            .key("jti", &format!("{}:{client_id}:{jti}", client_id.len()))
    }
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

fn text(value: &Value, what: &str) -> Result<String, StoreError> {
    match value {
        Value::BulkString(bytes) => {
            String::from_utf8(bytes.clone()).map_err(|err| corrupt(what, err))
        }
        Value::SimpleString(text) => Ok(text.clone()),
        other => Err(corrupt(what, format!("unexpected reply {other:?}"))),
    }
}

/// Reads the reply of [`CONSUME_CODE`].
fn code_consumption(reply: &[Value]) -> Result<CodeConsumption, StoreError> {
    match reply {
        [] => Ok(CodeConsumption::Unknown),
        [Value::Int(1), record] => {
            let record = text(record, "code")?;
            serde_json::from_str(&record)
                .map(CodeConsumption::Fresh)
                .map_err(|err| corrupt("code", err))
        }
        [Value::Int(2), grant] => Ok(CodeConsumption::AlreadyUsed {
            grant_id: text(grant, "code grant")?,
        }),
        other => Err(corrupt("code", format!("unexpected reply {other:?}"))),
    }
}

#[async_trait]
impl<G: GrantStore + Send + Sync> GrantStore for RedisGrantStore<G> {
    async fn insert_grant(&self, grant: &Grant) -> Result<(), StoreError> {
        self.durable.insert_grant(grant).await
    }

    async fn get_grant(&self, grant_id: &str) -> Result<Option<Grant>, StoreError> {
        self.durable.get_grant(grant_id).await
    }

    async fn revoke_grant(&self, grant_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.durable.revoke_grant(grant_id, at).await
    }

    /// Refuses a code of an unknown grant and a code whose digest is taken
    /// with [`StoreError::Conflict`], like the SQL store's keys.
    async fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        if self.durable.get_grant(&code.grant_id).await?.is_none() {
            return Err(StoreError::Conflict(format!(
                "authorization code of unknown grant {}",
                code.grant_id
            )));
        }
        let now = self.clock.now();
        let Some(ttl) = millis_until(code.expires_at + CODE_RETENTION, now) else {
            // Past its retention already: it could only ever be refused.
            return Ok(());
        };
        let record = serde_json::to_string(code).map_err(|err| corrupt("code", err))?;
        let stored: i64 = self
            .insert_code
            .key(self.redis.key("code", &code.code_digest))
            .arg(&code.grant_id)
            .arg(record)
            .arg(ttl)
            .invoke_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        if stored == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict("authorization code exists".to_owned()))
        }
    }

    async fn consume_code(&self, code_digest: &str) -> Result<CodeConsumption, StoreError> {
        let reply: Vec<Value> = self
            .consume_code
            .key(self.redis.key("code", code_digest))
            .invoke_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        code_consumption(&reply)
    }

    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError> {
        self.durable.insert_refresh_token(token).await
    }

    async fn consume_refresh_token(
        &self,
        token_digest: &str,
        at: DateTime<Utc>,
    ) -> Result<RefreshConsumption, StoreError> {
        self.durable.consume_refresh_token(token_digest, at).await
    }

    async fn find_active_refresh_token(
        &self,
        token_digest: &str,
    ) -> Result<Option<RefreshToken>, StoreError> {
        self.durable.find_active_refresh_token(token_digest).await
    }

    /// `SET … NX PX`: a request_uri digest is never overwritten.
    async fn insert_pushed_request(&self, request: &PushedRequest) -> Result<(), StoreError> {
        let Some(ttl) = millis_until(request.expires_at, self.clock.now()) else {
            return Ok(());
        };
        let value = serde_json::to_vec(request).map_err(|err| corrupt("pushed request", err))?;
        let stored: Option<String> = redis::cmd("SET")
            .arg(self.redis.key("par", &request.uri_digest))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl)
            .query_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        match stored {
            Some(_) => Ok(()),
            None => Err(StoreError::Conflict("pushed request exists".to_owned())),
        }
    }

    /// `GETDEL`: the request goes to exactly one caller (RFC 9126 2.2).
    async fn take_pushed_request(
        &self,
        uri_digest: &str,
    ) -> Result<Option<PushedRequest>, StoreError> {
        let raw: Option<Vec<u8>> = redis::cmd("GETDEL")
            .arg(self.redis.key("par", uri_digest))
            .query_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        raw.map(|raw| serde_json::from_slice(&raw).map_err(|err| corrupt("pushed request", err)))
            .transpose()
    }

    /// `SET … NX PX`: `true` only for the first use of the `jti` by this
    /// client. An assertion that has already expired is refused by its `exp`
    /// before it gets here, so there is nothing to remember for it.
    async fn remember_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(ttl) = millis_until(expires_at, self.clock.now()) else {
            return Ok(true);
        };
        let stored: Option<String> = redis::cmd("SET")
            .arg(self.jti_key(client_id, jti))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl)
            .query_async(&mut self.redis.handle())
            .await
            .map_err(unavailable)?;
        Ok(stored.is_some())
    }

    /// Revocations stay durable: a flushed Redis must not make a revoked
    /// access token valid again (RFC 7009).
    async fn revoke_access_token(
        &self,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.durable.revoke_access_token(jti, expires_at).await
    }

    async fn is_access_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        self.durable.is_access_token_revoked(jti).await
    }

    /// Redis expires its artefacts by itself; the durable store purges its
    /// own.
    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.durable.purge_expired(now).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn consume_replies_are_read_as_the_sql_store_answers() {
        assert_eq!(code_consumption(&[]).unwrap(), CodeConsumption::Unknown);
        assert_eq!(
            code_consumption(&[Value::Int(2), Value::BulkString(b"g-1".to_vec())]).unwrap(),
            CodeConsumption::AlreadyUsed {
                grant_id: "g-1".to_owned()
            }
        );
        assert!(matches!(
            code_consumption(&[Value::Int(1), Value::BulkString(b"{".to_vec())]),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            code_consumption(&[Value::Int(7)]),
            Err(StoreError::Corrupt(_))
        ));
    }
}
