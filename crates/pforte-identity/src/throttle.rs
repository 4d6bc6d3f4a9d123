//! Per-IP and per-network throttling of failed logins (R-LO-5).
//!
//! The rules are [`pforte_policy::ThrottlePolicy`]'s fixed windows; the
//! counters live behind the [`ThrottleStore`] port. [`MemoryThrottleStore`]
//! keeps them in process: one node sees only its own traffic, so with several
//! nodes behind a load balancer each would enforce the limit on its share.
//! With `session.store = "redis"` the server uses the Redis store of
//! pforte-store instead, and all nodes count together.

use crate::ports::ThrottleStore;
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use pforte_policy::lockout::throttle::{check, record_failure};
use pforte_policy::{ThrottleDecision, ThrottleKey, ThrottleLimit, ThrottlePolicy, WindowCounter};
use pforte_types::StoreError;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Counters kept at most; beyond it, expired windows are dropped first, so an
/// attacker rotating addresses cannot grow the map without bound.
const MAX_TRACKED_KEYS: usize = 100_000;

/// Applies the throttling policy to a source address over a counter store.
#[derive(Clone)]
pub struct SourceThrottle {
    store: Arc<dyn ThrottleStore>,
}

impl std::fmt::Debug for SourceThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceThrottle").finish_non_exhaustive()
    }
}

impl Default for SourceThrottle {
    /// Counters in process (one node).
    fn default() -> Self {
        Self::new(Arc::new(MemoryThrottleStore::default()))
    }
}

impl SourceThrottle {
    pub fn new(store: Arc<dyn ThrottleStore>) -> Self {
        Self { store }
    }

    /// Whether `address` may try now; `Throttle` names the longest wait of
    /// the keys that apply (R-LO-5).
    pub async fn check(
        &self,
        policy: &ThrottlePolicy,
        address: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<ThrottleDecision, StoreError> {
        let mut longest: Option<TimeDelta> = None;
        for (key, limit) in policy.keys(address) {
            let counter = self.store.throttle_counter(&key).await?;
            if let ThrottleDecision::Throttle { retry_after } = check(counter.as_ref(), now, &limit)
            {
                longest = Some(longest.map_or(retry_after, |known| known.max(retry_after)));
            }
        }
        Ok(match longest {
            Some(retry_after) => ThrottleDecision::Throttle { retry_after },
            None => ThrottleDecision::Allow,
        })
    }

    /// Counts one failed login from `address` under every key that applies.
    pub async fn record_failure(
        &self,
        policy: &ThrottlePolicy,
        address: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for (key, limit) in policy.keys(address) {
            self.store.count_throttle_failure(&key, &limit, now).await?;
        }
        Ok(())
    }

    /// Counts one event under `key` alone (e.g. a recovery request) and
    /// returns the counter after.
    pub async fn count_key(
        &self,
        key: &ThrottleKey,
        limit: &ThrottleLimit,
        now: DateTime<Utc>,
    ) -> Result<WindowCounter, StoreError> {
        self.store.count_throttle_failure(key, limit, now).await
    }
}

/// Throttle counters in process, for a single node.
#[derive(Debug, Default)]
pub struct MemoryThrottleStore {
    counters: Mutex<HashMap<ThrottleKey, (WindowCounter, TimeDelta)>>,
}

fn poisoned() -> StoreError {
    StoreError::Unavailable("throttle counters: lock poisoned".to_owned())
}

#[async_trait]
impl ThrottleStore for MemoryThrottleStore {
    async fn throttle_counter(
        &self,
        key: &ThrottleKey,
    ) -> Result<Option<WindowCounter>, StoreError> {
        let counters = self.counters.lock().map_err(|_| poisoned())?;
        Ok(counters.get(key).map(|(counter, _)| *counter))
    }

    /// One critical section per failure, so parallel failures are each
    /// counted once.
    async fn count_throttle_failure(
        &self,
        key: &ThrottleKey,
        limit: &ThrottleLimit,
        now: DateTime<Utc>,
    ) -> Result<WindowCounter, StoreError> {
        let mut counters = self.counters.lock().map_err(|_| poisoned())?;
        if counters.len() >= MAX_TRACKED_KEYS && !counters.contains_key(key) {
            counters.retain(|_, (counter, window)| now < counter.window_start + *window);
        }
        let current = counters.get(key).map(|(counter, _)| *counter);
        let counted = record_failure(current, now, limit);
        counters.insert(*key, (counted, limit.window));
        Ok(counted)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            per_ip: Some(ThrottleLimit {
                max_failures: 3,
                window: TimeDelta::minutes(1),
            }),
            per_network: Some(ThrottleLimit {
                max_failures: 4,
                window: TimeDelta::minutes(1),
            }),
            ..ThrottlePolicy::default()
        }
    }

    #[tokio::test]
    async fn r_lo_5_a_network_is_throttled_across_its_addresses() {
        let policy = policy();
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let throttle = SourceThrottle::default();
        let first: IpAddr = "192.0.2.1".parse().unwrap();
        let neighbour: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(
                throttle.check(&policy, first, now).await.unwrap(),
                ThrottleDecision::Allow
            );
            throttle.record_failure(&policy, first, now).await.unwrap();
        }
        assert!(matches!(
            throttle.check(&policy, first, now).await.unwrap(),
            ThrottleDecision::Throttle { .. }
        ));
        assert_eq!(
            throttle.check(&policy, neighbour, now).await.unwrap(),
            ThrottleDecision::Allow
        );
        throttle
            .record_failure(&policy, neighbour, now)
            .await
            .unwrap();
        assert!(matches!(
            throttle.check(&policy, neighbour, now).await.unwrap(),
            ThrottleDecision::Throttle { .. }
        ));
        let later = now + TimeDelta::minutes(1);
        assert_eq!(
            throttle.check(&policy, neighbour, later).await.unwrap(),
            ThrottleDecision::Allow
        );
    }

    #[tokio::test]
    async fn r_lo_5_the_wait_is_the_longest_of_the_keys_that_refuse() {
        let mut policy = policy();
        policy.per_network = Some(ThrottleLimit {
            max_failures: 3,
            window: TimeDelta::minutes(10),
        });
        let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let throttle = SourceThrottle::default();
        let address: IpAddr = "198.51.100.7".parse().unwrap();
        for _ in 0..3 {
            throttle
                .record_failure(&policy, address, start)
                .await
                .unwrap();
        }
        assert_eq!(
            throttle
                .check(&policy, address, start + TimeDelta::seconds(30))
                .await
                .unwrap(),
            ThrottleDecision::Throttle {
                retry_after: TimeDelta::seconds(570)
            }
        );
    }

    /// A store that cannot be reached.
    struct Unreachable;

    #[async_trait]
    impl ThrottleStore for Unreachable {
        async fn throttle_counter(
            &self,
            _key: &ThrottleKey,
        ) -> Result<Option<WindowCounter>, StoreError> {
            Err(StoreError::Unavailable("down".to_owned()))
        }

        async fn count_throttle_failure(
            &self,
            _key: &ThrottleKey,
            _limit: &ThrottleLimit,
            _now: DateTime<Utc>,
        ) -> Result<WindowCounter, StoreError> {
            Err(StoreError::Unavailable("down".to_owned()))
        }
    }

    /// An unreachable counter store is an error, never a silent "allow":
    /// otherwise an outage of the shared store would switch throttling off.
    #[tokio::test]
    async fn r_lo_5_an_unreachable_counter_store_is_reported_not_ignored() {
        let throttle = SourceThrottle::new(Arc::new(Unreachable));
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let address: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(matches!(
            throttle.check(&policy(), address, now).await,
            Err(StoreError::Unavailable(_))
        ));
        assert!(matches!(
            throttle.record_failure(&policy(), address, now).await,
            Err(StoreError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn r_lo_5_memory_counters_start_a_new_window_after_the_old_one() {
        let store = MemoryThrottleStore::default();
        let key = ThrottleKey::Ip {
            address: "192.0.2.9".parse().unwrap(),
        };
        let limit = ThrottleLimit {
            max_failures: 3,
            window: TimeDelta::seconds(60),
        };
        let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(store.throttle_counter(&key).await.unwrap(), None);
        store
            .count_throttle_failure(&key, &limit, start)
            .await
            .unwrap();
        let second = store
            .count_throttle_failure(&key, &limit, start + TimeDelta::seconds(59))
            .await
            .unwrap();
        assert_eq!(
            second,
            WindowCounter {
                window_start: start,
                failures: 2
            }
        );
        let fresh = start + TimeDelta::seconds(60);
        assert_eq!(
            store
                .count_throttle_failure(&key, &limit, fresh)
                .await
                .unwrap(),
            WindowCounter {
                window_start: fresh,
                failures: 1
            }
        );
        assert_eq!(
            store.throttle_counter(&key).await.unwrap(),
            Some(WindowCounter {
                window_start: fresh,
                failures: 1
            })
        );
    }
}
