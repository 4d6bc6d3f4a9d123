//! Activation codes sent by post (R-RG-4): the letter that proves a
//! registering member lives at the insurer's address for them.
//!
//! A code is 24 characters from the alphabet of the recovery codes (digits
//! 2–9 and capitals without I, L and O, which people misread on paper), shown
//! in six groups of four: `7KQ2-HXM4-9PTA-3RWC-E6NF-YB8D`. That is about 119
//! bits, so the code itself cannot be guessed, whatever the validity period.
//! Only a keyed digest is stored ([`CodeDigester`]), bound to the account it
//! was issued for, so a code from one letter never opens another account.
//! Typed input may be in lower case, with or without dashes and spaces.

use crate::code::{CodeDigester, is_dash};
use crate::recovery::ALPHABET;
use rand::distr::{Distribution, Uniform};

/// Characters per code, without the dashes.
pub const CODE_LEN: usize = 24;
/// Characters per printed group.
pub const GROUP_LEN: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivationCodeError {
    #[error("an activation code has 24 characters (six groups of four)")]
    WrongLength,
    #[error("the activation code contains a character that never occurs in one (0, O, 1, I, L)")]
    InvalidCharacter,
}

impl ActivationCodeError {
    /// The message key of the page that shows it (themes/base/i18n).
    pub fn message_key(&self) -> &'static str {
        match self {
            ActivationCodeError::WrongLength => "activation.code.wrong_length",
            ActivationCodeError::InvalidCharacter => "activation.code.invalid_character",
        }
    }
}

/// A fresh code in its printed form.
pub fn generate() -> String {
    let Ok(index) = Uniform::new(0usize, ALPHABET.len()) else {
        return String::new();
    };
    let mut rng = rand::rng();
    let raw: String = (0..CODE_LEN)
        .map(|_| char::from(ALPHABET[index.sample(&mut rng)]))
        .collect();
    printed(&raw)
}

/// `7KQ2HXM4…` → `7KQ2-HXM4-…`.
pub fn printed(canonical: &str) -> String {
    let groups: Vec<&str> = canonical
        .as_bytes()
        .chunks(GROUP_LEN)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    groups.join("-")
}

/// The canonical form of typed input: upper case, no spaces or dashes.
pub fn normalise(input: &str) -> Result<String, ActivationCodeError> {
    let mut cleaned = String::with_capacity(CODE_LEN);
    for character in input.chars() {
        if character.is_whitespace() || is_dash(character) {
            continue;
        }
        let upper = character.to_ascii_uppercase();
        if !upper.is_ascii() || !ALPHABET.contains(&(upper as u8)) {
            return Err(ActivationCodeError::InvalidCharacter);
        }
        cleaned.push(upper);
    }
    if cleaned.len() != CODE_LEN {
        return Err(ActivationCodeError::WrongLength);
    }
    Ok(cleaned)
}

fn purpose(account_scope: &str) -> String {
    format!("activation:{account_scope}")
}

/// The digest to store for `code`, issued for the account named by
/// `account_scope` (its id).
pub fn digest(
    digester: &CodeDigester,
    account_scope: &str,
    code: &str,
) -> Result<String, ActivationCodeError> {
    Ok(digester.digest(&purpose(account_scope), &normalise(code)?))
}

/// Whether `input` is the code behind `stored_digest` for this account;
/// malformed input is not a match.
pub fn verify(
    digester: &CodeDigester,
    account_scope: &str,
    input: &str,
    stored_digest: &str,
) -> bool {
    normalise(input)
        .is_ok_and(|code| digester.verify(&purpose(account_scope), &code, stored_digest))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn r_rg_4_codes_are_six_groups_of_four_unambiguous_characters() {
        let code = generate();
        assert_eq!(code.len(), CODE_LEN + 5, "{code}");
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 6);
        assert!(groups.iter().all(|group| group.len() == GROUP_LEN));
        for ambiguous in ['0', 'O', '1', 'I', 'L'] {
            assert!(!code.contains(ambiguous), "{code}");
        }
        assert_ne!(generate(), generate());
    }

    #[test]
    fn r_rg_4_typed_codes_are_normalised_or_refused() {
        let table: [(&str, Result<&str, ActivationCodeError>); 6] = [
            (
                "7KQ2-HXM4-9PTA-3RWC-E6NF-YB8D",
                Ok("7KQ2HXM49PTA3RWCE6NFYB8D"),
            ),
            (
                "7kq2 hxm4 9pta 3rwc e6nf yb8d",
                Ok("7KQ2HXM49PTA3RWCE6NFYB8D"),
            ),
            ("7KQ2HXM49PTA3RWCE6NFYB8D", Ok("7KQ2HXM49PTA3RWCE6NFYB8D")),
            (
                "7KQ2-HXM4-9PTA-3RWC-E6NF",
                Err(ActivationCodeError::WrongLength),
            ),
            (
                "7KQ2-HXM4-9PTA-3RWC-E6NF-YB8D-2",
                Err(ActivationCodeError::WrongLength),
            ),
            (
                "OKQ2-HXM4-9PTA-3RWC-E6NF-YB8D",
                Err(ActivationCodeError::InvalidCharacter),
            ),
        ];
        for (input, expected) in table {
            assert_eq!(
                normalise(input).as_deref().map_err(Clone::clone),
                expected,
                "{input}"
            );
        }
        assert_eq!(
            printed("7KQ2HXM49PTA3RWCE6NFYB8D"),
            "7KQ2-HXM4-9PTA-3RWC-E6NF-YB8D"
        );
    }

    #[test]
    fn r_rg_4_a_code_opens_only_the_account_it_was_issued_for() {
        let digester = CodeDigester::new([7; 32]);
        let code = generate();
        let stored = digest(&digester, "account-a", &code).unwrap();
        assert!(verify(
            &digester,
            "account-a",
            &code.to_lowercase(),
            &stored
        ));
        assert!(!verify(&digester, "account-b", &code, &stored));
        assert!(!verify(&digester, "account-a", &generate(), &stored));
        assert!(!verify(&digester, "account-a", "short", &stored));
    }
}
