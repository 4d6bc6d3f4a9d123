//! Client secret digests (ADR 0002). Secrets are 256-bit random values generated
//! by the server, so a keyed HMAC-SHA-256 is as strong as a slow hash against
//! offline guessing and costs microseconds instead of the tens of milliseconds an
//! Argon2 check would add to every token request.

use crate::MasterKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "hmac-sha256:";

#[derive(Clone)]
pub struct SecretDigester {
    key: [u8; 32],
}

impl std::fmt::Debug for SecretDigester {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecretDigester")
    }
}

impl SecretDigester {
    pub fn new(master: &MasterKey) -> Self {
        Self {
            key: master.derive_subkey("pforte client secret digest v1"),
        }
    }

    fn mac(&self) -> Option<Hmac<Sha256>> {
        Hmac::<Sha256>::new_from_slice(&self.key).ok()
    }

    pub fn digest(&self, secret: &str) -> String {
        let tag = self
            .mac()
            .map(|mut mac| {
                mac.update(secret.as_bytes());
                mac.finalize().into_bytes().to_vec()
            })
            .unwrap_or_default();
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// Constant-time comparison (the MAC's own `verify_slice`).
    pub fn verify(&self, secret: &str, digest: &str) -> bool {
        let Some(encoded) = digest.strip_prefix(PREFIX) else {
            return false;
        };
        let Ok(expected) = URL_SAFE_NO_PAD.decode(encoded) else {
            return false;
        };
        match self.mac() {
            Some(mut mac) => {
                mac.update(secret.as_bytes());
                mac.verify_slice(&expected).is_ok()
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_verifies_only_the_same_secret_under_the_same_master_key() {
        let master = MasterKey::generate();
        let digester = SecretDigester::new(&master);
        let digest = digester.digest("s3cret");
        assert!(digest.starts_with(PREFIX));
        assert!(!digest.contains("s3cret"));
        assert!(digester.verify("s3cret", &digest));
        assert!(!digester.verify("s3cret ", &digest));
        assert!(!digester.verify("s3cret", "hmac-sha256:AAAA"));
        assert!(!digester.verify("s3cret", "plain"));
        let other = SecretDigester::new(&MasterKey::generate());
        assert!(!other.verify("s3cret", &digest));
    }
}
