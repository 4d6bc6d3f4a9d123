//! Per-IP and per-network throttling of failed logins (R-LO-5), separate from
//! the per-account lockout: it slows down one source trying many usernames
//! (password spraying) and makes locking out many accounts from one network
//! expensive.
//!
//! The counter is a fixed window per key: failures are counted from the first
//! failure of the window; once `max_failures` are reached, further attempts from
//! that key are refused until the window ends. A store keeps one counter per
//! [`ThrottleKey`] (`pforte_identity::ports::ThrottleStore`: in process, or on
//! Redis one key per counter, incremented atomically and expiring with the
//! window); the decisions stay here.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One limit: at most `max_failures` failed logins per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimit {
    pub max_failures: u32,
    pub window: TimeDelta,
}

/// The resolved throttling rules of one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Limit per single client address; `None` disables it.
    pub per_ip: Option<ThrottleLimit>,
    /// Limit per network (`ipv4_prefix` / `ipv6_prefix`); `None` disables it.
    pub per_network: Option<ThrottleLimit>,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            per_ip: Some(ThrottleLimit {
                max_failures: 20,
                window: TimeDelta::minutes(15),
            }),
            per_network: Some(ThrottleLimit {
                max_failures: 200,
                window: TimeDelta::minutes(15),
            }),
            ipv4_prefix: 24,
            ipv6_prefix: 64,
        }
    }
}

/// What a throttle counter is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum ThrottleKey {
    Ip {
        address: IpAddr,
    },
    Network {
        address: IpAddr,
        prefix: u8,
    },
    /// Password and username recovery requests of one address (R-RC-1):
    /// counted per request, apart from failed logins.
    Recovery {
        address: IpAddr,
    },
}

impl ThrottleKey {
    /// A stable string for the store, e.g. `ip:192.0.2.7` or `net:192.0.2.0/24`.
    pub fn storage_key(&self) -> String {
        match self {
            Self::Ip { address } => format!("ip:{address}"),
            Self::Network { address, prefix } => format!("net:{address}/{prefix}"),
            Self::Recovery { address } => format!("recovery-ip:{address}"),
        }
    }
}

/// A fixed-window failure counter of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCounter {
    pub window_start: DateTime<Utc>,
    pub failures: u32,
}

/// Whether a source may try now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "throttle", rename_all = "snake_case")]
pub enum ThrottleDecision {
    Allow,
    Throttle { retry_after: TimeDelta },
}

impl ThrottlePolicy {
    /// The keys and limits that apply to a client address.
    pub fn keys(&self, address: IpAddr) -> Vec<(ThrottleKey, ThrottleLimit)> {
        let address = canonical(address);
        let mut keys = Vec::with_capacity(2);
        if let Some(limit) = self.per_ip {
            keys.push((ThrottleKey::Ip { address }, limit));
        }
        if let Some(limit) = self.per_network {
            let prefix = match address {
                IpAddr::V4(_) => self.ipv4_prefix,
                IpAddr::V6(_) => self.ipv6_prefix,
            };
            keys.push((
                ThrottleKey::Network {
                    address: network(address, prefix),
                    prefix,
                },
                limit,
            ));
        }
        keys
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`) is counted as IPv4, so a
/// dual-stack listener cannot be used to double the budget.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// The network address of `address` with `prefix` leading bits kept.
pub fn network(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & mask))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & mask))
        }
    }
}

/// Whether the key with this counter may try at `now`.
pub fn check(
    counter: Option<&WindowCounter>,
    now: DateTime<Utc>,
    limit: &ThrottleLimit,
) -> ThrottleDecision {
    match counter {
        Some(counter)
            if now < counter.window_start + limit.window
                && counter.failures >= limit.max_failures =>
        {
            ThrottleDecision::Throttle {
                retry_after: counter.window_start + limit.window - now,
            }
        }
        _ => ThrottleDecision::Allow,
    }
}

/// The counter after one more failure at `now`; an expired window starts anew.
pub fn record_failure(
    counter: Option<WindowCounter>,
    now: DateTime<Utc>,
    limit: &ThrottleLimit,
) -> WindowCounter {
    match counter {
        Some(counter) if now < counter.window_start + limit.window => WindowCounter {
            window_start: counter.window_start,
            failures: counter.failures.saturating_add(1),
        },
        _ => WindowCounter {
            window_start: now,
            failures: 1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn r_lo_5_networks_are_masked_to_the_prefix() {
        let policy = ThrottlePolicy::default();
        let keys = policy.keys("192.0.2.77".parse().unwrap());
        assert_eq!(keys[0].0.storage_key(), "ip:192.0.2.77");
        assert_eq!(keys[1].0.storage_key(), "net:192.0.2.0/24");
        let keys = policy.keys("2001:db8:1:2:3:4:5:6".parse().unwrap());
        assert_eq!(keys[1].0.storage_key(), "net:2001:db8:1:2::/64");
        let mapped = policy.keys("::ffff:198.51.100.9".parse().unwrap());
        assert_eq!(mapped[0].0.storage_key(), "ip:198.51.100.9");
        assert_eq!(
            network("10.1.2.3".parse().unwrap(), 0),
            "0.0.0.0".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            network("10.1.2.3".parse().unwrap(), 32),
            "10.1.2.3".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn r_lo_5_disabled_limits_produce_no_keys() {
        let policy = ThrottlePolicy {
            per_ip: None,
            per_network: None,
            ..ThrottlePolicy::default()
        };
        assert!(policy.keys("192.0.2.1".parse().unwrap()).is_empty());
    }

    #[test]
    fn r_lo_5_source_is_throttled_after_its_limit_until_the_window_ends() {
        let limit = ThrottleLimit {
            max_failures: 3,
            window: TimeDelta::seconds(60),
        };
        let mut counter = None;
        for second in 0..3 {
            assert_eq!(
                check(counter.as_ref(), at(second), &limit),
                ThrottleDecision::Allow
            );
            counter = Some(record_failure(counter, at(second), &limit));
        }
        assert_eq!(
            check(counter.as_ref(), at(10), &limit),
            ThrottleDecision::Throttle {
                retry_after: TimeDelta::seconds(50)
            }
        );
        assert_eq!(
            check(counter.as_ref(), at(60), &limit),
            ThrottleDecision::Allow
        );
        let fresh = record_failure(counter, at(60), &limit);
        assert_eq!(
            fresh,
            WindowCounter {
                window_start: at(60),
                failures: 1
            }
        );
    }
}
