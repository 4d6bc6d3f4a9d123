//! [`ProcessRequestIds`]: the `x-request-id` of requests that arrive without one.
//!
//! Why not UUIDs: tower-http's `MakeRequestUuid` draws a version 4 UUID from the
//! operating system (a `getrandom` system call) for every request, a noticeable
//! share of the cost of the cheapest endpoints (discovery, JWKS;
//! docs/performance.md). A request id only has to tell requests apart in the
//! logs and on error pages, so a random prefix drawn once per process plus a
//! counter does: ids stay unique across restarts and nodes (64 random bits per
//! process) and cost one atomic increment.
//!
//! The counter reveals how many requests this process has served before; that is
//! no secret worth a system call per request, and the prefix keeps it from being
//! compared across processes.

use axum::http::{HeaderValue, Request};
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tower_http::request_id::{MakeRequestId, RequestId};

/// Makes ids `PREFIX-COUNTER`: 16 hex digits drawn at start-up, a dash, and
/// the hexadecimal number of the request in this process. Clones share the
/// counter.
#[derive(Debug, Clone)]
pub struct ProcessRequestIds {
    prefix: Arc<str>,
    counter: Arc<AtomicU64>,
}

impl ProcessRequestIds {
    pub fn new() -> Self {
        let random: [u8; 8] = pforte_crypto::random::random_bytes();
        let mut prefix = String::with_capacity(16);
        for byte in random {
            let _ = write!(prefix, "{byte:02x}");
        }
        Self {
            prefix: prefix.into(),
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    fn next(&self) -> String {
        let number = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{number:x}", self.prefix)
    }
}

impl Default for ProcessRequestIds {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeRequestId for ProcessRequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&self.next()).ok().map(RequestId::new)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn id(maker: &mut ProcessRequestIds) -> String {
        let request = Request::new(());
        let id = maker.make_request_id(&request).unwrap();
        id.header_value().to_str().unwrap().to_owned()
    }

    #[test]
    fn request_ids_are_distinct_and_share_the_counter_between_clones() {
        let mut maker = ProcessRequestIds::new();
        let mut clone = maker.clone();
        let first = id(&mut maker);
        let second = id(&mut clone);
        assert_ne!(first, second);
        let (prefix, number) = first.split_once('-').unwrap();
        assert_eq!(prefix.len(), 16);
        assert!(prefix.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(number, "0");
        assert_eq!(second, format!("{prefix}-1"));
    }

    #[test]
    fn each_process_draws_its_own_prefix() {
        let one = id(&mut ProcessRequestIds::new());
        let other = id(&mut ProcessRequestIds::new());
        assert_ne!(one.split_once('-'), other.split_once('-'));
    }
}
