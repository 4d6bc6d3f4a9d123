//! The master key: encrypts secrets at rest (signing keys, TOTP seeds; R-OP-4)
//! with AES-256-GCM and derives purpose-bound subkeys (client secret digests,
//! CSRF tokens) so that one configured secret is all an operator manages.

use crate::CryptoError;
use crate::random::random_bytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use sha2::Sha256;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// Parses 32 bytes given as standard base64 (as `pforte.example.toml` shows).
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let decoded = STANDARD
            .decode(text.trim())
            .map_err(|error| CryptoError::MasterKey(format!("not base64: {error}")))?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|wrong: Vec<u8>| {
            CryptoError::MasterKey(format!("must be 32 bytes, got {}", wrong.len()))
        })?;
        Ok(Self { bytes })
    }

    pub fn generate() -> Self {
        Self {
            bytes: random_bytes::<32>(),
        }
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.bytes)
    }

    /// Encrypts `plaintext`; `context` is authenticated but not stored (e.g. the
    /// key id), so a sealed value copied to another row does not decrypt.
    /// Output: nonce ‖ ciphertext ‖ tag.
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = random_bytes::<NONCE_LEN>();
        let mut tag = [0u8; TAG_LEN];
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.bytes,
            Some(&nonce),
            context,
            plaintext,
            &mut tag,
        )
        .map_err(|error| CryptoError::Key(error.to_string()))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len() + TAG_LEN);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed.extend_from_slice(&tag);
        Ok(sealed)
    }

    pub fn decrypt(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Decryption);
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.bytes,
            Some(nonce),
            context,
            ciphertext,
            tag,
        )
        .map_err(|_| CryptoError::Decryption)
    }

    /// HMAC-SHA-256(master, purpose): independent keys for independent uses.
    pub fn derive_subkey(&self, purpose: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.bytes) {
            mac.update(purpose.as_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_round_trip_only_with_the_same_context() {
        let key = MasterKey::generate();
        let sealed = key.encrypt(b"seed", b"kid-1").unwrap();
        assert_eq!(key.decrypt(&sealed, b"kid-1").unwrap(), b"seed");
        assert!(key.decrypt(&sealed, b"kid-2").is_err());
        assert!(MasterKey::generate().decrypt(&sealed, b"kid-1").is_err());
        assert!(key.decrypt(&sealed[..10], b"kid-1").is_err());
    }

    #[test]
    fn base64_form_round_trips_and_length_is_checked() {
        let key = MasterKey::generate();
        let again = MasterKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(key.derive_subkey("x"), again.derive_subkey("x"));
        assert_ne!(key.derive_subkey("x"), key.derive_subkey("y"));
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("%%%").is_err());
        assert!(!format!("{key:?}").contains(&key.to_base64()));
    }
}
