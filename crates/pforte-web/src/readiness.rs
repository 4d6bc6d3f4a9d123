//! The readiness port (R-OP-3): what `/health/ready` asks before a load
//! balancer sends traffic to this node.
//!
//! This crate knows neither the database nor Redis (DESIGN.md §2); the
//! composition root hands in one [`ReadinessCheck`] per dependency. Each check
//! runs with a short timeout, so a hanging dependency makes the node "not
//! ready" quickly instead of hanging the load balancer's probe. The answer
//! names each check and its state only: no connection strings, host names or
//! error texts (those go to the log).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The future a check returns; `Err` carries a detail for the log only.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// One dependency the node needs to serve requests.
pub trait ReadinessCheck: Send + Sync {
    /// The name in the answer, e.g. `database` or `redis`.
    fn name(&self) -> &'static str;
    /// A trivial round trip (a `SELECT 1`, a `PING`).
    fn check(&self) -> CheckFuture<'_>;
}

/// The checks of `/health/ready` and the time each may take.
#[derive(Clone)]
pub struct Readiness {
    pub checks: Vec<Arc<dyn ReadinessCheck>>,
    pub timeout: Duration,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.checks.iter().map(|check| check.name()).collect();
        formatter
            .debug_struct("Readiness")
            .field("checks", &names)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Default for Readiness {
    /// No checks: ready as soon as the process serves.
    fn default() -> Self {
        Self {
            checks: Vec::new(),
            timeout: Duration::from_secs(2),
        }
    }
}

/// The state of one check in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    Ok,
    Failed,
    Timeout,
}

/// The outcome of all checks, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<(&'static str, CheckState)>,
}

impl Report {
    pub fn is_ready(&self) -> bool {
        self.checks
            .iter()
            .all(|(_, state)| *state == CheckState::Ok)
    }
}

impl Readiness {
    /// Runs every check at the same time, each bounded by the timeout;
    /// failures are logged with their detail.
    pub async fn evaluate(&self) -> Report {
        let runs = self.checks.iter().map(|check| {
            let timeout = self.timeout;
            async move {
                let state = match tokio::time::timeout(timeout, check.check()).await {
                    Ok(Ok(())) => CheckState::Ok,
                    Ok(Err(detail)) => {
                        tracing::warn!(check = check.name(), %detail, "readiness check failed");
                        CheckState::Failed
                    }
                    Err(_) => {
                        tracing::warn!(
                            check = check.name(),
                            timeout_ms = timeout.as_millis() as u64,
                            "readiness check timed out"
                        );
                        CheckState::Timeout
                    }
                };
                (check.name(), state)
            }
        });
        Report {
            checks: join_all(runs).await,
        }
    }
}

/// Polls the futures together (there are two or three), in order.
async fn join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    struct Fixed(&'static str, Result<(), String>);

    impl ReadinessCheck for Fixed {
        fn name(&self) -> &'static str {
            self.0
        }
        fn check(&self) -> CheckFuture<'_> {
            let result = self.1.clone();
            Box::pin(async move { result })
        }
    }

    struct Hangs;

    impl ReadinessCheck for Hangs {
        fn name(&self) -> &'static str {
            "redis"
        }
        fn check(&self) -> CheckFuture<'_> {
            Box::pin(std::future::pending())
        }
    }

    #[tokio::test]
    async fn r_op_3_ready_only_when_every_check_passes() {
        let ready = Readiness {
            checks: vec![Arc::new(Fixed("database", Ok(())))],
            timeout: Duration::from_secs(1),
        };
        assert!(ready.evaluate().await.is_ready());
        let broken = Readiness {
            checks: vec![
                Arc::new(Fixed("database", Err("refused".into()))),
                Arc::new(Fixed("redis", Ok(()))),
            ],
            timeout: Duration::from_secs(1),
        };
        let report = broken.evaluate().await;
        assert!(!report.is_ready());
        assert_eq!(
            report.checks,
            vec![("database", CheckState::Failed), ("redis", CheckState::Ok)]
        );
    }

    /// The hanging check never completes, so the outcome does not depend on
    /// how fast the machine is; the short timeout only keeps the test quick.
    #[tokio::test]
    async fn r_op_3_a_hanging_check_times_out() {
        let readiness = Readiness {
            checks: vec![Arc::new(Hangs), Arc::new(Fixed("database", Ok(())))],
            timeout: Duration::from_millis(20),
        };
        let report = readiness.evaluate().await;
        assert_eq!(
            report.checks,
            vec![("redis", CheckState::Timeout), ("database", CheckState::Ok)]
        );
    }
}
