//! Argon2id cost parameters of a tenant (R-PW-1). The login layer hashes new
//! passwords with them and rehashes a stored hash at the next successful login
//! when its parameters differ; this crate only holds and validates the numbers.

use serde::{Deserialize, Serialize};

/// Smallest memory Argon2 accepts per lane, in KiB (RFC 9106 §3.1: m ≥ 8p).
pub const MIN_MEMORY_KIB_PER_LANE: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashingParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashingParams {
    /// OWASP's first Argon2id recommendation: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}
