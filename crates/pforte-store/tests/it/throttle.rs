//! ThrottleStore: the per-source failure counters of login throttling
//! (R-LO-5) count every failure exactly once, also when many arrive at once,
//! and follow the fixed-window rule of `pforte_policy` (a window that has
//! ended starts anew). Run on the in-process store and on Redis.

use crate::fixtures::{secs, t0};
use pforte_identity::ports::ThrottleStore;
use pforte_identity::throttle::{MemoryThrottleStore, SourceThrottle};
use pforte_policy::lockout::throttle::record_failure;
use pforte_policy::{ThrottleDecision, ThrottleKey, ThrottleLimit, ThrottlePolicy, WindowCounter};
use std::net::IpAddr;
use std::sync::Arc;
use tokio::sync::Barrier;

const PARALLEL_FAILURES: u32 = 50;

fn limit() -> ThrottleLimit {
    ThrottleLimit {
        max_failures: 5,
        window: secs(60),
    }
}

fn ip(text: &str) -> ThrottleKey {
    ThrottleKey::Ip {
        address: text.parse().unwrap(),
    }
}

pub async fn r_lo_5_failures_count_up_in_a_window_and_restart_after_it<S: ThrottleStore>(
    store: Arc<S>,
) {
    let key = ip("192.0.2.1");
    assert_eq!(store.throttle_counter(&key).await.unwrap(), None);
    let mut expected = None;
    for at in [
        t0(),
        t0() + secs(10),
        t0() + secs(59),
        t0() + secs(60),
        t0() + secs(61),
    ] {
        expected = Some(record_failure(expected, at, &limit()));
        assert_eq!(
            Some(
                store
                    .count_throttle_failure(&key, &limit(), at)
                    .await
                    .unwrap()
            ),
            expected,
            "the store counts as pforte_policy's rule does"
        );
    }
    assert_eq!(
        store.throttle_counter(&key).await.unwrap(),
        Some(WindowCounter {
            window_start: t0() + secs(60),
            failures: 2
        })
    );
}

pub async fn r_lo_5_fifty_parallel_failures_are_counted_exactly<S: ThrottleStore + 'static>(
    store: Arc<S>,
) {
    let key = ThrottleKey::Network {
        address: "198.51.100.0".parse().unwrap(),
        prefix: 24,
    };
    let start = Arc::new(Barrier::new(PARALLEL_FAILURES as usize));
    let tasks: Vec<_> = (0..PARALLEL_FAILURES)
        .map(|_| {
            let store = Arc::clone(&store);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                store
                    .count_throttle_failure(&key, &limit(), t0())
                    .await
                    .unwrap()
                    .failures
            })
        })
        .collect();
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=PARALLEL_FAILURES).collect::<Vec<_>>(),
        "every failure is counted once and sees its own count"
    );
    assert_eq!(
        store.throttle_counter(&key).await.unwrap(),
        Some(WindowCounter {
            window_start: t0(),
            failures: PARALLEL_FAILURES
        })
    );
}

pub async fn r_lo_5_a_source_is_refused_across_the_store_after_its_limit<
    S: ThrottleStore + 'static,
>(
    store: Arc<S>,
) {
    let policy = ThrottlePolicy {
        per_ip: Some(limit()),
        per_network: None,
        ..ThrottlePolicy::default()
    };
    // Two throttles over one store: two nodes sharing the counters.
    let one = SourceThrottle::new(store.clone());
    let other = SourceThrottle::new(store);
    let address: IpAddr = "203.0.113.5".parse().unwrap();
    for n in 0..5 {
        let node = if n % 2 == 0 { &one } else { &other };
        node.record_failure(&policy, address, t0() + secs(n))
            .await
            .unwrap();
    }
    assert_eq!(
        one.check(&policy, address, t0() + secs(20)).await.unwrap(),
        ThrottleDecision::Throttle {
            retry_after: secs(40)
        }
    );
    assert_eq!(
        other
            .check(&policy, "203.0.113.6".parse().unwrap(), t0())
            .await
            .unwrap(),
        ThrottleDecision::Allow,
        "another address has its own counter"
    );
    assert_eq!(
        other
            .check(&policy, address, t0() + secs(60))
            .await
            .unwrap(),
        ThrottleDecision::Allow,
        "the window has ended"
    );
}

/// Defines `memory::<name>` and `redis::<name>` for each suite function.
macro_rules! throttle_suite {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(std::sync::Arc::new(super::MemoryThrottleStore::default())).await;
                }
            )*
        }

        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(redis) = crate::redis_artefacts::redis().await else {
                        return;
                    };
                    super::$name(std::sync::Arc::new(redis.throttle())).await;
                    redis.clean_up().await;
                }
            )*
        }
    };
}

throttle_suite! {
    r_lo_5_failures_count_up_in_a_window_and_restart_after_it,
    r_lo_5_fifty_parallel_failures_are_counted_exactly,
    r_lo_5_a_source_is_refused_across_the_store_after_its_limit,
}
