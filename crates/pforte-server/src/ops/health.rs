//! The readiness checks `/health/ready` runs (R-OP-3): the implementations of
//! `pforte_web`'s [`ReadinessCheck`] port for the stores, so that the web
//! crate never learns about sea-orm or Redis.

use pforte_store::{RedisStore, SqlStore};
use pforte_web::readiness::{CheckFuture, ReadinessCheck};
use std::sync::Arc;

/// `SELECT 1` through the connection pool.
#[derive(Debug, Clone)]
pub struct DatabaseCheck(pub SqlStore);

impl ReadinessCheck for DatabaseCheck {
    fn name(&self) -> &'static str {
        "database"
    }

    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move { self.0.ping().await.map_err(|error| error.to_string()) })
    }
}

/// `PING` on the shared Redis connection (only when `session.store =
/// "redis"`).
#[derive(Clone)]
pub struct RedisCheck(pub Arc<RedisStore>);

impl std::fmt::Debug for RedisCheck {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("RedisCheck")
    }
}

impl ReadinessCheck for RedisCheck {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn check(&self) -> CheckFuture<'_> {
        Box::pin(async move { self.0.ping().await.map_err(|error| error.to_string()) })
    }
}
