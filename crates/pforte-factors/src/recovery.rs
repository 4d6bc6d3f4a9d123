//! Recovery codes: single-use codes the user prints or stores when enrolling a
//! second factor, to get in when the phone is lost (R-MF-1, R-RC).
//!
//! Ten characters from a 31-character alphabet give about 49.5 bits each;
//! with the attempt limits of the login that is far beyond guessing, and since
//! only keyed digests ([`CodeDigester`]) are stored, a database leak reveals
//! none of them. The alphabet leaves out 0/O, 1/I/L, which people confuse
//! when they read a printout aloud or type it from paper.

use crate::code::{CodeDigester, is_dash};
use rand::distr::{Distribution, Uniform};

/// Digits 2–9 and the Latin capitals without I, L and O.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Characters per code (without the dash).
pub const CODE_LEN: usize = 10;

/// The purpose under which recovery codes are digested, distinct from every
/// one-time code's purpose.
pub const PURPOSE: &str = "recovery-code";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    #[error("a recovery code has 10 characters")]
    WrongLength,
    #[error("the recovery code contains a character that never occurs in one")]
    InvalidCharacter,
}

/// `count` distinct fresh codes, shown as `XXXXX-XXXXX`. The caller stores
/// [`digest`]s of them and shows the codes once.
pub fn generate(count: usize) -> Vec<String> {
    let Ok(index) = Uniform::new(0usize, ALPHABET.len()) else {
        return Vec::new();
    };
    let mut rng = rand::rng();
    let mut codes: Vec<String> = Vec::with_capacity(count);
    while codes.len() < count {
        let raw: String = (0..CODE_LEN)
            .map(|_| char::from(ALPHABET[index.sample(&mut rng)]))
            .collect();
        let code = display(&raw);
        // A repeat is astronomically unlikely; skipping it keeps the list's
        // promise of `count` usable codes.
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// `ABCDE23456` → `ABCDE-23456`.
fn display(raw: &str) -> String {
    let (first, second) = raw.split_at(CODE_LEN / 2);
    format!("{first}-{second}")
}

/// The canonical form of what a user typed: upper case, without spaces and
/// dashes (`abcde 23456`, `ABCDE-23456` → `ABCDE23456`).
pub fn normalise(input: &str) -> Result<String, RecoveryError> {
    let mut cleaned = String::with_capacity(CODE_LEN);
    for character in input.chars() {
        if character.is_whitespace() || is_dash(character) {
            continue;
        }
        let upper = character.to_ascii_uppercase();
        if !upper.is_ascii() || !ALPHABET.contains(&(upper as u8)) {
            return Err(RecoveryError::InvalidCharacter);
        }
        cleaned.push(upper);
    }
    if cleaned.len() != CODE_LEN {
        return Err(RecoveryError::WrongLength);
    }
    Ok(cleaned)
}

/// The digest to store for a code (given in any form [`normalise`] accepts).
pub fn digest(digester: &CodeDigester, code: &str) -> Result<String, RecoveryError> {
    Ok(digester.digest(PURPOSE, &normalise(code)?))
}

/// Whether `input` is the code behind `stored_digest`; malformed input is
/// simply not a match.
pub fn verify(digester: &CodeDigester, input: &str, stored_digest: &str) -> bool {
    normalise(input).is_ok_and(|code| digester.verify(PURPOSE, &code, stored_digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_mf_1_recovery_codes_are_distinct_and_unambiguous() {
        let codes = generate(10);
        assert_eq!(codes.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(code.as_bytes()[5], b'-');
            assert!(
                code.bytes()
                    .filter(|byte| *byte != b'-')
                    .all(|byte| ALPHABET.contains(&byte))
            );
            assert_eq!(codes.iter().filter(|other| *other == code).count(), 1);
        }
        for ambiguous in ["0", "O", "1", "I", "L"] {
            assert!(!codes.iter().any(|code| code.contains(ambiguous)));
            assert!(!ALPHABET.contains(&ambiguous.as_bytes()[0]));
        }
        assert!(generate(0).is_empty());
    }

    #[test]
    fn r_mf_1_recovery_input_is_normalised() {
        let table: [(&str, Result<&str, RecoveryError>); 8] = [
            ("ABCDE-23456", Ok("ABCDE23456")),
            ("abcde-23456", Ok("ABCDE23456")),
            (" abcde 23456 ", Ok("ABCDE23456")),
            ("ABCDE23456", Ok("ABCDE23456")),
            ("ABCDE-2345", Err(RecoveryError::WrongLength)),
            ("ABCDE-234567", Err(RecoveryError::WrongLength)),
            ("ABCDE-O3456", Err(RecoveryError::InvalidCharacter)),
            ("ÄBCDE-23456", Err(RecoveryError::InvalidCharacter)),
        ];
        for (input, expected) in table {
            assert_eq!(normalise(input), expected.map(str::to_owned), "{input:?}");
        }
    }

    #[test]
    fn r_mf_3_recovery_code_digest_matches_any_spelling_of_the_code() {
        let digester = CodeDigester::new([3u8; 32]);
        let code = generate(1).remove(0);
        let stored = digest(&digester, &code).unwrap();
        let lower = code.to_lowercase().replace('-', " ");
        assert!(verify(&digester, &code, &stored));
        assert!(verify(&digester, &lower, &stored));
        assert!(!verify(&digester, &generate(1)[0], &stored));
        assert!(!verify(&digester, "garbage", &stored));
        // The same characters as a one-time code of another purpose differ.
        let normalised = normalise(&code).unwrap();
        assert_ne!(digester.digest("login:tx", &normalised), stored);
    }
}
