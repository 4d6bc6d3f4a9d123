//! [`HashPool`]: Argon2id runs on a fixed number of workers with a bounded
//! queue (R-OP-3, R-PW-1).
//!
//! Why: one Argon2id hash with the default parameters takes 19 MiB and tens
//! of milliseconds of one core. Run directly on the async runtime, a login
//! storm would start as many hashes in parallel as requests arrive: memory
//! grows without bound and the runtime's threads stop answering everything
//! else (health checks included). The pool admits at most `workers` hashes at
//! once; further requests wait in a queue of at most `queue_limit`, and beyond
//! that are refused at once with [`CryptoError::Busy`], which callers turn into
//! "temporarily unavailable, try again" (a readable page, or the OAuth error
//! `temporarily_unavailable`).
//!
//! A refusal happens *before* anything else of the request: the login asks
//! for an [`Admission`] before it reserves a lockout attempt, so a refused
//! login leaves no state behind and counts as no attempt.
//!
//! The jobs run on tokio's blocking threads, never on the runtime's workers;
//! the semaphore is what bounds them. Queue depth and waiting time go to the
//! `metrics` facade (no I/O here; the exporter is installed by the server,
//! docs/operations.md): `pforte_argon2_queue_depth`,
//! `pforte_argon2_wait_seconds`, `pforte_argon2_refused_total`.

use crate::CryptoError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tokio::sync::Semaphore;

/// Queue depth: admitted hash jobs that wait for a worker.
pub const METRIC_QUEUE_DEPTH: &str = "pforte_argon2_queue_depth";
/// Seconds an admitted hash job waited for a worker (histogram).
pub const METRIC_WAIT_SECONDS: &str = "pforte_argon2_wait_seconds";
/// Hash jobs refused because the queue was full.
pub const METRIC_REFUSED: &str = "pforte_argon2_refused_total";

/// The size of a [`HashPool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Hashes that run at the same time; at least 1.
    pub workers: usize,
    /// Admitted jobs that may wait for a worker beyond those running.
    pub queue_limit: usize,
}

impl Default for PoolLimits {
    /// One worker per CPU core (a hash keeps one core busy; more workers only
    /// add memory), and a queue of 32 per worker: with ~50 ms per hash, about
    /// 1.6 s of waiting before a login is refused.
    fn default() -> Self {
        let workers = std::thread::available_parallelism()
            .map(std::num::NonZeroUsize::get)
            .unwrap_or(1);
        Self {
            workers,
            queue_limit: workers * 32,
        }
    }
}

#[derive(Debug)]
struct Shared {
    permits: Arc<Semaphore>,
    limits: PoolLimits,
    /// Admitted and not finished (waiting or running).
    admitted: AtomicUsize,
    /// Running on a worker now.
    running: AtomicUsize,
}

impl Shared {
    fn publish_depth(&self) {
        let waiting = self
            .admitted
            .load(Ordering::Relaxed)
            .saturating_sub(self.running.load(Ordering::Relaxed));
        metrics::gauge!(METRIC_QUEUE_DEPTH).set(waiting as f64);
    }
}

/// A fixed number of hashing workers with a bounded queue. Clones share the
/// workers and the queue.
#[derive(Debug, Clone)]
pub struct HashPool {
    shared: Arc<Shared>,
}

impl HashPool {
    pub fn new(limits: PoolLimits) -> Self {
        let limits = PoolLimits {
            workers: limits.workers.max(1),
            ..limits
        };
        Self {
            shared: Arc::new(Shared {
                permits: Arc::new(Semaphore::new(limits.workers)),
                limits,
                admitted: AtomicUsize::new(0),
                running: AtomicUsize::new(0),
            }),
        }
    }

    pub fn limits(&self) -> PoolLimits {
        self.shared.limits
    }

    /// Jobs running on a worker now.
    pub fn running(&self) -> usize {
        self.shared.running.load(Ordering::Relaxed)
    }

    /// No job admitted: none waiting, none running.
    pub fn is_idle(&self) -> bool {
        self.shared.admitted.load(Ordering::Acquire) == 0
    }

    /// Admitted jobs waiting for a worker now.
    pub fn waiting(&self) -> usize {
        self.shared
            .admitted
            .load(Ordering::Relaxed)
            .saturating_sub(self.running())
    }

    /// A place in the queue, or [`CryptoError::Busy`] when `workers +
    /// queue_limit` jobs are already admitted. Taking it changes nothing
    /// else, so a caller can ask before it does anything with side effects.
    pub fn admit(&self) -> Result<Admission, CryptoError> {
        let capacity = self.shared.limits.workers + self.shared.limits.queue_limit;
        let admitted =
            self.shared
                .admitted
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |admitted| {
                    (admitted < capacity).then_some(admitted + 1)
                });
        if admitted.is_err() {
            metrics::counter!(METRIC_REFUSED).increment(1);
            return Err(CryptoError::Busy);
        }
        self.shared.publish_depth();
        Ok(Admission {
            slot: Some(Slot {
                shared: self.shared.clone(),
            }),
            since: Instant::now(),
        })
    }

    /// Admits and runs `job` on a worker (see [`Admission::run`]).
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CryptoError> {
        self.admit()?.run(job).await
    }
}

/// Releases an admitted place when dropped: when the job finished, or when
/// the waiting request went away (the client closed the connection).
#[derive(Debug)]
struct Slot {
    shared: Arc<Shared>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.shared.admitted.fetch_sub(1, Ordering::AcqRel);
        self.shared.publish_depth();
    }
}

/// Marks a running job; ends the "running" state when dropped.
struct Running {
    shared: Arc<Shared>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shared.running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A place in the queue of a [`HashPool`], taken by [`HashPool::admit`].
#[derive(Debug)]
pub struct Admission {
    slot: Option<Slot>,
    since: Instant,
}

impl Admission {
    /// Waits for a worker, then runs `job` on a blocking thread. The job runs
    /// to its end even when the caller stops waiting: a started hash keeps
    /// its worker, so the bound holds.
    pub async fn run<T: Send + 'static>(
        mut self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CryptoError> {
        let slot = self.slot.take().ok_or(CryptoError::Busy)?;
        let permit = slot
            .shared
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| CryptoError::Busy)?;
        metrics::histogram!(METRIC_WAIT_SECONDS).record(self.since.elapsed().as_secs_f64());
        slot.shared.running.fetch_add(1, Ordering::AcqRel);
        let running = Running {
            shared: slot.shared.clone(),
        };
        slot.shared.publish_depth();
        let handle = tokio::task::spawn_blocking(move || {
            let result = job();
            // Order: the job stops counting as running before its place is
            // given back and before the next job gets the permit.
            drop(running);
            drop(slot);
            drop(permit);
            result
        });
        handle
            .await
            .map_err(|error| CryptoError::PasswordHash(format!("hashing worker failed: {error}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use std::sync::mpsc;

    /// Starts a job that reports when it runs and then blocks until released.
    fn gated(
        pool: &HashPool,
        started: tokio::sync::mpsc::UnboundedSender<()>,
        peak: Arc<AtomicUsize>,
    ) -> (tokio::task::JoinHandle<usize>, mpsc::Sender<()>) {
        let (release, gate) = mpsc::channel::<()>();
        let admission = pool.admit().unwrap();
        let observed = pool.clone();
        let handle = tokio::spawn(async move {
            admission
                .run(move || {
                    peak.fetch_max(observed.running(), Ordering::SeqCst);
                    started.send(()).unwrap();
                    gate.recv().unwrap();
                    observed.running()
                })
                .await
                .unwrap()
        });
        (handle, release)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn r_op_3_at_most_n_hashes_run_at_once_and_a_full_queue_refuses() {
        let pool = HashPool::new(PoolLimits {
            workers: 2,
            queue_limit: 3,
        });
        let peak = Arc::new(AtomicUsize::new(0));
        let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel();
        let mut jobs = Vec::new();
        for _ in 0..5 {
            jobs.push(gated(&pool, started_tx.clone(), peak.clone()));
        }
        // Two jobs start; the other three wait for a worker.
        for _ in 0..2 {
            started.recv().await.unwrap();
        }
        assert_eq!(pool.running(), 2);
        assert_eq!(pool.waiting(), 3);
        assert!(
            matches!(pool.admit(), Err(CryptoError::Busy)),
            "workers + queue_limit admitted: the next one is refused"
        );
        // Release them all: the waiting ones find their release when a
        // worker takes them, in whatever order the queue hands them out
        // (releasing one by one in creation order could wait on a job that
        // is still queued behind two blocked ones). Never more than two run.
        let (handles, releases): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
        for release in releases {
            release.send(()).unwrap();
        }
        for handle in handles {
            let running_inside = handle.await.unwrap();
            assert!(running_inside <= 2);
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(pool.running(), 0);
        assert_eq!(pool.waiting(), 0);
        assert!(pool.admit().is_ok(), "places are given back");
    }

    #[tokio::test]
    async fn r_op_3_a_dropped_admission_gives_its_place_back() {
        let pool = HashPool::new(PoolLimits {
            workers: 1,
            queue_limit: 0,
        });
        let admission = pool.admit().unwrap();
        assert!(matches!(pool.admit(), Err(CryptoError::Busy)));
        drop(admission);
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }
}
