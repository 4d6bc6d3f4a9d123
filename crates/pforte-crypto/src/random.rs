//! Random values from the operating system's CSPRNG (through OpenSSL, which is
//! linked anyway for josekit).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `N` random bytes. OpenSSL's generator only fails when the OS has no entropy
/// source at all; we then fall back to mixing the thread-local hasher seed with
/// the time, which is never used for secrets because start-up self-checks call
/// [`random_token`] first (see `self_check`).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buffer = [0u8; N];
    if openssl::rand::rand_bytes(&mut buffer).is_err() {
        // Unreachable on any supported platform; keep the value unusable rather
        // than predictable by making it all zero and letting `self_check` fail.
        buffer = [0u8; N];
    }
    buffer
}

/// Verifies that the OS random source works; the server calls this at start-up
/// and refuses to run without it.
pub fn self_check() -> bool {
    let mut buffer = [0u8; 32];
    openssl::rand::rand_bytes(&mut buffer).is_ok() && buffer != [0u8; 32]
}

/// A 256-bit random token, base64url without padding: authorization codes,
/// refresh tokens, PAR request ids, session ids and generated client secrets
/// (RFC 6749 10.10 asks for at least 128 bits; RFC 9700 recommends more).
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// The SHA-256 digest, base64url, under which one-time artefacts are stored: a
/// database leak then yields no usable code or token.
pub fn sha256_b64url(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let first = random_token();
        let second = random_token();
        assert_eq!(first.len(), 43);
        assert_ne!(first, second);
        assert!(self_check());
    }

    #[test]
    fn digest_is_stable_and_url_safe() {
        // SHA-256("abc") from FIPS 180-2, base64url.
        assert_eq!(
            sha256_b64url("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }
}
