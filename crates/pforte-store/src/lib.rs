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
//!
//! This is the only crate that knows table names (`entities`). The schema itself
//! lives in `pforte-migrations`. Errors are reported as [`pforte_types::StoreError`].

mod client_cache;
mod entities;
mod error;
mod memory;
mod redis_store;
mod sql;

pub use client_cache::CachedClientStore;
pub use memory::MemoryStore;
pub use pforte_migrations::Migrator;
pub use redis_store::RedisStore;
pub use sql::SqlStore;
