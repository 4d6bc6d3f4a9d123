//! Operations (R-OP-3): readiness checks of the database and Redis
//! ([`health`]), the Prometheus exposition and the per-route HTTP metrics
//! ([`metrics`]), and the log output ([`logging`]). docs/operations.md
//! describes what an operator sees and what to alert on.

pub mod health;
pub mod logging;
pub mod metrics;

#[cfg(test)]
mod tests;
