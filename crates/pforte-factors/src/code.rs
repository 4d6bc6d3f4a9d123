//! Numeric one-time codes sent by SMS or e-mail, and the keyed digest under
//! which they (and recovery codes) are stored (R-MF-3).
//!
//! A code is short, so a plain hash of it could be reversed by trying all
//! 10^6 values; an HMAC keyed with a subkey of the master key cannot be, as long
//! as the key stays out of the database. The purpose (login transaction or
//! action) is part of the MAC input, so a code issued for one purpose never
//! matches a challenge of another (R-MF-3 "bound to the login or the one action
//! they were issued for").

use hmac::{Hmac, Mac};
use pforte_crypto::MasterKey;
use rand::distr::{Distribution, Uniform};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Why user input is not a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("no code was entered")]
    Empty,
    #[error("the code may contain only digits")]
    NotDigits,
    #[error("the code must have {expected} digits")]
    WrongLength { expected: u8 },
}

/// The lengths [`generate_numeric`] produces.
pub const CODE_LENGTHS: std::ops::RangeInclusive<u8> = 4..=12;

/// A code of `length` uniformly random decimal digits. Each digit is drawn
/// from a uniform distribution over 0..10 (rand's `Uniform` samples by
/// rejection, so there is no modulo bias), from the thread-local CSPRNG that
/// the operating system seeds.
///
/// `length` is clamped to 4..=12 ([`CODE_LENGTHS`]): shorter codes are
/// guessable within the allowed attempts, longer ones nobody types from an
/// SMS. The policy validates the configured length; the clamp only keeps a
/// bad value from producing an empty or absurd code.
pub fn generate_numeric(length: u8) -> String {
    let length = length.clamp(*CODE_LENGTHS.start(), *CODE_LENGTHS.end());
    let mut rng = rand::rng();
    match Uniform::new(0u8, 10) {
        Ok(digits) => (0..length)
            .map(|_| char::from(b'0' + digits.sample(&mut rng)))
            .collect(),
        // Unreachable: 0..10 is a valid range.
        Err(_) => String::new(),
    }
}

/// Cleans what a user typed or pasted: spaces (also non-breaking ones) and
/// dashes are dropped, as codes are often shown as "123 456" or "123-456";
/// anything else but ASCII digits is refused. With `expected_len` the result
/// must have exactly that many digits.
pub fn normalise_digits(input: &str, expected_len: Option<u8>) -> Result<String, CodeError> {
    let mut cleaned = String::with_capacity(input.len());
    for character in input.chars() {
        if character.is_whitespace() || is_dash(character) {
            continue;
        }
        if !character.is_ascii_digit() {
            return Err(CodeError::NotDigits);
        }
        cleaned.push(character);
    }
    if cleaned.is_empty() {
        return Err(CodeError::Empty);
    }
    if let Some(expected) = expected_len
        && cleaned.len() != usize::from(expected)
    {
        return Err(CodeError::WrongLength { expected });
    }
    Ok(cleaned)
}

/// Hyphen-minus and the dashes a phone keyboard or a copy from a PDF produces.
pub(crate) fn is_dash(character: char) -> bool {
    matches!(
        character,
        '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}'
    )
}

/// HMAC-SHA-256 digests of one-time and recovery codes. Only the digest is
/// stored (`CodeChallenge::code_digest`, the recovery code list).
#[derive(Clone)]
pub struct CodeDigester {
    key: [u8; 32],
}

impl std::fmt::Debug for CodeDigester {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("CodeDigester(<redacted>)")
    }
}

/// The label of the master key's subkey for code digests.
const SUBKEY_PURPOSE: &str = "pforte one-time code digest v1";

impl CodeDigester {
    /// A digester with an explicit key (tests, or a key from elsewhere).
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// The digester every node derives from the configured master key, so all
    /// nodes agree on digests without another secret to manage.
    pub fn from_master(master: &MasterKey) -> Self {
        Self::new(master.derive_subkey(SUBKEY_PURPOSE))
    }

    fn tag(&self, purpose: &str, code: &str) -> Option<[u8; 32]> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        // Length-prefixing the purpose keeps ("ab", "1") and ("a", "b1") apart.
        mac.update(&(purpose.len() as u64).to_be_bytes());
        mac.update(purpose.as_bytes());
        mac.update(code.as_bytes());
        Some(mac.finalize().into_bytes().into())
    }

    /// The lowercase hex digest of `code` bound to `purpose` (e.g. the login
    /// transaction id, `enrol:<factor id>` or `recovery`). Pass the normalised
    /// code, so that "123 456" and "123456" give the same digest.
    pub fn digest(&self, purpose: &str, code: &str) -> String {
        self.tag(purpose, code)
            .map(|tag| hex(&tag))
            .unwrap_or_default()
    }

    /// Whether `code` for `purpose` has `digest`, compared in constant time.
    pub fn verify(&self, purpose: &str, code: &str, digest: &str) -> bool {
        let computed = self.digest(purpose, code);
        !computed.is_empty() && bool::from(computed.as_bytes().ct_eq(digest.as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_mf_3_codes_are_numeric_of_the_asked_length() {
        // (asked, produced)
        let table: [(u8, usize); 7] = [(4, 4), (6, 6), (8, 8), (12, 12), (0, 4), (3, 4), (13, 12)];
        for (asked, produced) in table {
            let code = generate_numeric(asked);
            assert_eq!(code.len(), produced, "asked {asked}");
            assert!(code.bytes().all(|byte| byte.is_ascii_digit()));
        }
    }

    #[test]
    fn r_mf_3_code_digits_are_roughly_uniform() {
        // 6000 digits; each of the ten should appear about 600 times. The
        // bounds are ±6 standard deviations (σ ≈ 23), so a correct generator
        // fails this about once in 10^8 runs.
        let mut counts = [0u32; 10];
        for _ in 0..1000 {
            for byte in generate_numeric(6).bytes() {
                counts[usize::from(byte - b'0')] += 1;
            }
        }
        for (digit, count) in counts.iter().enumerate() {
            assert!((460..=740).contains(count), "digit {digit}: {count}");
        }
    }

    #[test]
    fn r_mf_3_code_input_is_normalised() {
        let table: [(&str, Option<u8>, Result<&str, CodeError>); 9] = [
            ("123456", Some(6), Ok("123456")),
            ("123 456", Some(6), Ok("123456")),
            (" 123-456 ", Some(6), Ok("123456")),
            ("123\u{a0}456", Some(6), Ok("123456")),
            ("123\u{2013}456", None, Ok("123456")),
            (
                "12345",
                Some(6),
                Err(CodeError::WrongLength { expected: 6 }),
            ),
            ("12345a", Some(6), Err(CodeError::NotDigits)),
            ("١٢٣٤٥٦", Some(6), Err(CodeError::NotDigits)),
            (" - ", None, Err(CodeError::Empty)),
        ];
        for (input, expected_len, expected) in table {
            assert_eq!(
                normalise_digits(input, expected_len),
                expected.map(str::to_owned),
                "{input:?}"
            );
        }
    }

    #[test]
    fn r_mf_3_code_digest_is_bound_to_purpose_and_key() {
        let digester = CodeDigester::new([7u8; 32]);
        let digest = digester.digest("login:tx1", "123456");
        assert_eq!(digest.len(), 64);
        assert!(digest.bytes().all(|byte| byte.is_ascii_hexdigit()));
        assert!(!digest.contains("123456"));
        let table: [(&CodeDigester, &str, &str, bool); 5] = [
            (&digester, "login:tx1", "123456", true),
            (&digester, "login:tx1", "123457", false),
            (&digester, "login:tx2", "123456", false),
            (&digester, "login:tx", "1123456", false),
            (&CodeDigester::new([8u8; 32]), "login:tx1", "123456", false),
        ];
        for (which, purpose, code, expected) in table {
            assert_eq!(
                which.verify(purpose, code, &digest),
                expected,
                "{purpose} {code}"
            );
        }
        assert!(!digester.verify("login:tx1", "123456", ""));
    }

    #[test]
    fn r_mf_3_code_digester_from_master_is_stable() {
        let master = MasterKey::generate();
        let first = CodeDigester::from_master(&master).digest("p", "1");
        let second = CodeDigester::from_master(&master).digest("p", "1");
        assert_eq!(first, second);
        let other = CodeDigester::from_master(&MasterKey::generate()).digest("p", "1");
        assert_ne!(first, other);
    }
}
