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

impl HashingParams {
    /// The parameter segment of a PHC string made with these parameters,
    /// e.g. `m=19456,t=2,p=1`.
    pub fn phc_segment(&self) -> String {
        format!(
            "m={},t={},p={}",
            self.memory_kib, self.iterations, self.parallelism
        )
    }

    /// Whether a stored PHC hash should be replaced at the next successful
    /// login (R-PW-1): it is not Argon2id, or was made with other parameters.
    /// An unreadable string also needs a rehash.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let mut fields = phc.split('$').skip(1);
        let algorithm = fields.next();
        let mut parameters = fields.next();
        if parameters.is_some_and(|field| field.starts_with("v=")) {
            parameters = fields.next();
        }
        algorithm != Some("argon2id") || parameters.and_then(parse_parameters) != Some(*self)
    }
}

/// Reads `m=…,t=…,p=…` in any order; other keys (such as `keyid`) make it unreadable.
fn parse_parameters(field: &str) -> Option<HashingParams> {
    let (mut memory_kib, mut iterations, mut parallelism) = (None, None, None);
    for pair in field.split(',') {
        let (key, value) = pair.split_once('=')?;
        let value: u32 = value.parse().ok()?;
        match key {
            "m" => memory_kib = Some(value),
            "t" => iterations = Some(value),
            "p" => parallelism = Some(value),
            _ => return None,
        }
    }
    Some(HashingParams {
        memory_kib: memory_kib?,
        iterations: iterations?,
        parallelism: parallelism?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORED: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo";

    #[test]
    fn r_pw_1_same_parameters_need_no_rehash() {
        let params = HashingParams::default();
        assert_eq!(params.phc_segment(), "m=19456,t=2,p=1");
        assert!(!params.needs_rehash(STORED));
        assert!(!params.needs_rehash("$argon2id$v=19$t=2,p=1,m=19456$c2FsdA$aGFzaA"));
    }

    #[test]
    fn r_pw_1_changed_parameters_or_algorithms_need_a_rehash() {
        let stronger = HashingParams {
            memory_kib: 65_536,
            iterations: 3,
            parallelism: 1,
        };
        assert!(stronger.needs_rehash(STORED));
        let params = HashingParams::default();
        assert!(params.needs_rehash("$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"));
        assert!(params.needs_rehash("$2b$12$abcdefghijklmnopqrstuv"));
        assert!(params.needs_rehash("plain"));
        assert!(params.needs_rehash("$argon2id$v=19$m=19456,t=2$c2FsdA$aGFzaA"));
    }
}
