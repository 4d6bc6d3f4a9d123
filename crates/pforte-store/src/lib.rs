//! Storage for Pforte: implementations of the ports that `pforte-oauth` and
//! `pforte-identity` define (DESIGN.md §2).
//!
//! * [`SqlStore`]: sea-orm on SQLite or PostgreSQL for everything durable —
//!   clients, accounts, signing keys, grants, codes, refresh tokens, PAR requests,
//!   assertion `jti`s and revoked access tokens, lockout counters and the audit
//!   trail, second factors, recovery codes, one-time code challenges and terms
//!   acceptance, and the dev outbox of `pforte-notify`. One-time artefacts are consumed by a single conditional
//!   statement, so two nodes racing on the same code, refresh token, TOTP step or
//!   recovery code never both win (DESIGN.md §3, R-MF-3).
//! * [`MemoryStore`]: provider sessions and short-lived flow state in process,
//!   expiring by the injected [`pforte_types::Clock`].
//! * [`RedisStore`]: the same two ports in Redis, shared by several nodes
//!   (R-OP-5).
//! * [`RedisGrantStore`], [`RedisChallengeStore`], [`RedisThrottleStore`]:
//!   the one-time artefacts in Redis when several nodes share it —
//!   authorization codes, PAR requests and assertion `jti`s (everything else
//!   of the [`pforte_oauth::ports::GrantStore`] stays in the SQL store), code
//!   challenges and the login throttling counters. Each is consumed or counted
//!   by one command or Lua script on one key.
//!
//! This is the only crate that knows table names (`entities`). The schema itself
//! lives in `pforte-migrations`. Errors are reported as [`pforte_types::StoreError`].

mod client_cache;
mod entities;
mod error;
mod memory;
mod redis_artefacts;
mod redis_challenges;
mod redis_connection;
mod redis_store;
mod redis_throttle;
mod sql;

pub use client_cache::CachedClientStore;
pub use memory::MemoryStore;
pub use pforte_migrations::Migrator;
pub use redis_artefacts::{CODE_RETENTION, RedisGrantStore};
pub use redis_challenges::{CHALLENGE_RETENTION, RedisChallengeStore};
pub use redis_connection::RedisConnection;
pub use redis_store::RedisStore;
pub use redis_throttle::RedisThrottleStore;
pub use sql::SqlStore;
