//! Per-IP and per-network throttling of failed logins (R-LO-5), in process.
//!
//! The rules are [`pforte_policy::ThrottlePolicy`]'s fixed windows; this only
//! keeps the counters, in memory. One node sees only its own traffic, so with
//! several nodes behind a load balancer each enforces the limit on its share;
//! a shared counter (Redis) arrives with the multi-node session store.

use chrono::{DateTime, TimeDelta, Utc};
use pforte_policy::lockout::throttle::{check, record_failure};
use pforte_policy::{ThrottleDecision, ThrottleKey, ThrottlePolicy, WindowCounter};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Counters kept at most; beyond it, expired windows are dropped first, so an
/// attacker rotating addresses cannot grow the map without bound.
const MAX_TRACKED_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub struct SourceThrottle {
    counters: Mutex<HashMap<ThrottleKey, WindowCounter>>,
}

impl SourceThrottle {
    /// Whether `address` may try now; `Throttle` names the wait.
    pub fn check(
        &self,
        policy: &ThrottlePolicy,
        address: IpAddr,
        now: DateTime<Utc>,
    ) -> ThrottleDecision {
        let Ok(counters) = self.counters.lock() else {
            return ThrottleDecision::Allow;
        };
        let mut longest: Option<TimeDelta> = None;
        for (key, limit) in policy.keys(address) {
            if let ThrottleDecision::Throttle { retry_after } =
                check(counters.get(&key), now, &limit)
            {
                longest = Some(longest.map_or(retry_after, |known| known.max(retry_after)));
            }
        }
        match longest {
            Some(retry_after) => ThrottleDecision::Throttle { retry_after },
            None => ThrottleDecision::Allow,
        }
    }

    /// Counts one failed login from `address` under every key that applies.
    pub fn record_failure(&self, policy: &ThrottlePolicy, address: IpAddr, now: DateTime<Utc>) {
        let Ok(mut counters) = self.counters.lock() else {
            return;
        };
        if counters.len() >= MAX_TRACKED_KEYS {
            let longest = [policy.per_ip, policy.per_network]
                .into_iter()
                .flatten()
                .map(|limit| limit.window)
                .max()
                .unwrap_or_default();
            counters.retain(|_, counter| now < counter.window_start + longest);
        }
        for (key, limit) in policy.keys(address) {
            let current = counters.get(&key).copied();
            counters.insert(key, record_failure(current, now, &limit));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use pforte_policy::ThrottleLimit;

    #[test]
    fn r_lo_5_a_network_is_throttled_across_its_addresses() {
        let policy = ThrottlePolicy {
            per_ip: Some(ThrottleLimit {
                max_failures: 3,
                window: TimeDelta::minutes(1),
            }),
            per_network: Some(ThrottleLimit {
                max_failures: 4,
                window: TimeDelta::minutes(1),
            }),
            ..ThrottlePolicy::default()
        };
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let throttle = SourceThrottle::default();
        let first: IpAddr = "192.0.2.1".parse().unwrap();
        let neighbour: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(throttle.check(&policy, first, now), ThrottleDecision::Allow);
            throttle.record_failure(&policy, first, now);
        }
        assert!(matches!(
            throttle.check(&policy, first, now),
            ThrottleDecision::Throttle { .. }
        ));
        assert_eq!(
            throttle.check(&policy, neighbour, now),
            ThrottleDecision::Allow
        );
        throttle.record_failure(&policy, neighbour, now);
        assert!(matches!(
            throttle.check(&policy, neighbour, now),
            ThrottleDecision::Throttle { .. }
        ));
        let later = now + TimeDelta::minutes(1);
        assert_eq!(
            throttle.check(&policy, neighbour, later),
            ThrottleDecision::Allow
        );
    }
}
