//! The health insurance number (Krankenversichertennummer, KVNR) as a login name
//! (R-ID-1) and its validation before any lookup (R-ID-2).
//!
//! The unchangeable part printed on the health card is ten characters: one
//! capital letter A–Z, eight digits and a check digit. The check digit is a
//! modulus-10 sum with weights 1, 2, 1, 2, … over ten digits: the letter's
//! position in the alphabet as two digits (A = 01 … Z = 26) followed by the eight
//! digits; each product is replaced by its digit sum and the check digit is the
//! total modulo 10 (not ten minus it, as in Luhn). Some cards print a hyphen and
//! a further number after the ten characters; portals ask users to leave it out.

use crate::lang::Language;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Number of characters of the unchangeable KVNR part.
pub const KVNR_LENGTH: usize = 10;

/// What to do with a lower-case first letter (`x110411675`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvnrLowercase {
    /// Upper-case it; the canonical form is always upper case.
    #[default]
    Normalise,
    /// Refuse it with [`KvnrError::LowercaseLetter`].
    Reject,
}

/// What to do with a trailing `-N` after the ten characters (`X110411675-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvnrSuffix {
    /// Drop the hyphen and what follows it.
    #[default]
    Strip,
    /// Refuse it with [`KvnrError::SuffixNotAllowed`].
    Reject,
}

/// How KVNR input is normalised before it is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KvnrInputRules {
    pub lowercase: KvnrLowercase,
    pub suffix: KvnrSuffix,
}

/// Which part of an entered KVNR is wrong. Each variant names one part so the
/// message can tell the user what to fix (R-ID-2). None of them reveals whether
/// an account exists: they are about the shape of the input only (R-LO-4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvnrError {
    #[error("the insurance number is empty")]
    Empty,
    #[error("the insurance number must start with a capital letter A-Z, found {found:?}")]
    FirstCharacterNotLetter { found: char },
    #[error("the first letter of the insurance number must be a capital letter")]
    LowercaseLetter,
    #[error("character {position} of the insurance number must be a digit, found {found:?}")]
    NonDigit { position: usize, found: char },
    #[error("the insurance number has {found} characters, it must have {KVNR_LENGTH}")]
    WrongLength { found: usize },
    #[error("enter the insurance number without the hyphen and the number after it")]
    SuffixNotAllowed,
    #[error("after the hyphen only a number may follow")]
    MalformedSuffix,
    #[error("the check digit (last digit) of the insurance number does not match")]
    CheckDigit { expected: u8, found: u8 },
}

impl KvnrError {
    /// The message for the user, naming the wrong part (R-ID-2).
    pub fn render(&self, language: Language) -> String {
        match (language, self) {
            (Language::De, Self::Empty) => "Bitte geben Sie Ihre Versichertennummer ein.".into(),
            (Language::En, Self::Empty) => "Please enter your insurance number.".into(),
            (Language::De, Self::FirstCharacterNotLetter { .. }) => {
                "Die Versichertennummer beginnt mit einem Großbuchstaben (A–Z).".into()
            }
            (Language::En, Self::FirstCharacterNotLetter { .. }) => {
                "The insurance number starts with a capital letter (A–Z).".into()
            }
            (Language::De, Self::LowercaseLetter) => {
                "Bitte schreiben Sie den Buchstaben am Anfang der Versichertennummer groß.".into()
            }
            (Language::En, Self::LowercaseLetter) => {
                "Please enter the first letter of the insurance number in upper case.".into()
            }
            (Language::De, Self::NonDigit { position, .. }) => format!(
                "Nach dem Buchstaben folgen nur Ziffern; Zeichen {position} ist keine Ziffer."
            ),
            (Language::En, Self::NonDigit { position, .. }) => format!(
                "Only digits follow the letter; character {position} is not a digit."
            ),
            (Language::De, Self::WrongLength { found }) => format!(
                "Die Versichertennummer hat {KVNR_LENGTH} Zeichen (ein Buchstabe und neun Ziffern), eingegeben wurden {found}."
            ),
            (Language::En, Self::WrongLength { found }) => format!(
                "The insurance number has {KVNR_LENGTH} characters (one letter and nine digits); you entered {found}."
            ),
            (Language::De, Self::SuffixNotAllowed) => {
                "Bitte geben Sie die Versichertennummer ohne Bindestrich und ohne die Zahl danach ein.".into()
            }
            (Language::En, Self::SuffixNotAllowed) => {
                "Please enter the insurance number without the hyphen and the number after it.".into()
            }
            (Language::De, Self::MalformedSuffix) => {
                "Die Versichertennummer enthält einen Bindestrich an falscher Stelle.".into()
            }
            (Language::En, Self::MalformedSuffix) => {
                "The insurance number contains a hyphen in the wrong place.".into()
            }
            (Language::De, Self::CheckDigit { .. }) => {
                "Die Versichertennummer ist nicht gültig: Bitte prüfen Sie die Ziffern, die letzte Ziffer passt nicht zu den übrigen.".into()
            }
            (Language::En, Self::CheckDigit { .. }) => {
                "The insurance number is not valid: please check the digits, the last digit does not match the others.".into()
            }
        }
    }

    /// Stable key for message catalogs (`kvnr.<part>`).
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Empty => "kvnr.empty",
            Self::FirstCharacterNotLetter { .. } => "kvnr.letter",
            Self::LowercaseLetter => "kvnr.letter_lowercase",
            Self::NonDigit { .. } => "kvnr.non_digit",
            Self::WrongLength { .. } => "kvnr.length",
            Self::SuffixNotAllowed => "kvnr.suffix",
            Self::MalformedSuffix => "kvnr.suffix_malformed",
            Self::CheckDigit { .. } => "kvnr.check_digit",
        }
    }
}

/// A validated KVNR in canonical form (upper-case letter, ten characters).
///
/// Deserialising validates again (with the default input rules), so a stored
/// value can never yield an invalid `Kvnr`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Kvnr(String);

impl TryFrom<String> for Kvnr {
    type Error = KvnrError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Kvnr> for String {
    fn from(kvnr: Kvnr) -> Self {
        kvnr.0
    }
}

impl Kvnr {
    /// Validates with the default input rules (lower case normalised, `-N` stripped).
    pub fn parse(input: &str) -> Result<Self, KvnrError> {
        Self::parse_with(input, KvnrInputRules::default())
    }

    /// Validates `input`: surrounding whitespace is trimmed, then the suffix and
    /// case rules apply, then letter, digits, length and check digit are checked
    /// in that order so the first reported error is the leftmost wrong part.
    pub fn parse_with(input: &str, rules: KvnrInputRules) -> Result<Self, KvnrError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(KvnrError::Empty);
        }
        let body = match trimmed.split_once('-') {
            None => trimmed,
            Some((body, suffix)) => {
                let suffix_is_number = !suffix.is_empty()
                    && suffix.len() <= 2
                    && suffix.bytes().all(|b| b.is_ascii_digit());
                if !suffix_is_number {
                    return Err(KvnrError::MalformedSuffix);
                }
                if rules.suffix == KvnrSuffix::Reject {
                    return Err(KvnrError::SuffixNotAllowed);
                }
                body.trim_end()
            }
        };

        let mut chars = body.chars();
        let first = chars.next().ok_or(KvnrError::Empty)?;
        let letter = if first.is_ascii_uppercase() {
            first
        } else if first.is_ascii_lowercase() {
            match rules.lowercase {
                KvnrLowercase::Normalise => first.to_ascii_uppercase(),
                KvnrLowercase::Reject => return Err(KvnrError::LowercaseLetter),
            }
        } else {
            return Err(KvnrError::FirstCharacterNotLetter { found: first });
        };

        let mut digits = Vec::with_capacity(KVNR_LENGTH - 1);
        for (index, character) in chars.enumerate() {
            match character.to_digit(10) {
                Some(digit) if character.is_ascii_digit() => digits.push(digit as u8),
                _ => {
                    return Err(KvnrError::NonDigit {
                        position: index + 2,
                        found: character,
                    });
                }
            }
        }
        let length = digits.len() + 1;
        if length != KVNR_LENGTH {
            return Err(KvnrError::WrongLength { found: length });
        }

        let mut serial = [0u8; 8];
        serial.copy_from_slice(&digits[..8]);
        let expected = check_digit(letter, &serial);
        let found = digits[8];
        if expected != found {
            return Err(KvnrError::CheckDigit { expected, found });
        }

        let mut canonical = String::with_capacity(KVNR_LENGTH);
        canonical.push(letter);
        canonical.extend(digits.iter().map(|digit| char::from(b'0' + digit)));
        Ok(Self(canonical))
    }

    /// Builds a valid KVNR from a letter and eight digits, for test fixtures.
    /// Returns `None` for a letter outside A–Z or a digit above 9.
    pub fn from_parts(letter: char, serial: [u8; 8]) -> Option<Self> {
        if !letter.is_ascii_uppercase() || serial.iter().any(|digit| *digit > 9) {
            return None;
        }
        let mut canonical = String::with_capacity(KVNR_LENGTH);
        canonical.push(letter);
        canonical.extend(serial.iter().map(|digit| char::from(b'0' + digit)));
        canonical.push(char::from(b'0' + check_digit(letter, &serial)));
        Some(Self(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Kvnr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// The check digit for a capital `letter` (A–Z) and the eight serial digits.
///
/// The letter becomes its two-digit alphabet position; the ten digits are
/// weighted 1, 2, 1, 2, …; each product is replaced by its digit sum; the check
/// digit is the total modulo 10.
pub fn check_digit(letter: char, serial: &[u8; 8]) -> u8 {
    let position = (u32::from(letter) - u32::from('A') + 1) as u8;
    let mut weighted = [0u8; 10];
    weighted[0] = position / 10;
    weighted[1] = position % 10;
    weighted[2..].copy_from_slice(serial);
    let total: u32 = weighted
        .iter()
        .enumerate()
        .map(|(index, digit)| {
            let product = u32::from(*digit) * if index % 2 == 0 { 1 } else { 2 };
            product / 10 + product % 10
        })
        .sum();
    (total % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Public test numbers of gematik (reference/standards.md §7.4).
    #[test]
    fn r_id_2_public_valid_test_numbers_are_accepted() {
        for number in [
            "X110411675",
            "X110435031",
            "A000500015",
            "X764228538",
            "K220645122",
            "T012345678",
            "C000500021",
            "A123456780",
            "Q123456784",
            "Z123456783",
        ] {
            let kvnr = Kvnr::parse(number).unwrap_or_else(|error| panic!("{number}: {error}"));
            assert_eq!(kvnr.as_str(), number);
        }
    }

    #[test]
    fn r_id_2_public_invalid_test_numbers_fail_on_the_check_digit() {
        for (number, expected) in [
            ("K220645129", 2),
            ("X114428530", 5),
            ("T012345679", 8),
            ("A005000112", 0),
            ("C000500020", 1),
        ] {
            let found = number[9..].parse::<u8>().unwrap();
            assert_eq!(
                Kvnr::parse(number),
                Err(KvnrError::CheckDigit { expected, found }),
                "{number}"
            );
        }
    }

    #[test]
    fn r_id_2_only_one_check_digit_is_valid_for_a_serial() {
        let valid: Vec<char> = ('0'..='9')
            .filter(|last| Kvnr::parse(&format!("Q12345678{last}")).is_ok())
            .collect();
        assert_eq!(valid, vec!['4']);
    }

    /// Worked example X110411675: X = 24, digits 2 4 1 1 0 4 1 1 6 7, weighted
    /// products 2 8 1 2 0 8 1 2 6 14→5, sum 35, check digit 5.
    #[test]
    fn r_id_2_check_digit_matches_the_worked_example() {
        assert_eq!(check_digit('X', &[1, 1, 0, 4, 1, 1, 6, 7]), 5);
        assert_eq!(check_digit('A', &[2, 3, 4, 5, 6, 7, 8, 0]), 4);
        assert_eq!(check_digit('A', &[1, 2, 3, 4, 5, 6, 7, 8]), 0);
    }

    #[test]
    fn r_id_2_lowercase_letter_is_normalised_or_rejected_by_rule() {
        assert_eq!(Kvnr::parse("x110411675").unwrap().as_str(), "X110411675");
        let strict = KvnrInputRules {
            lowercase: KvnrLowercase::Reject,
            ..KvnrInputRules::default()
        };
        assert_eq!(
            Kvnr::parse_with("x110411675", strict),
            Err(KvnrError::LowercaseLetter)
        );
    }

    #[test]
    fn r_id_2_hyphen_suffix_is_stripped_or_rejected_by_rule() {
        assert_eq!(Kvnr::parse("X110411675-1").unwrap().as_str(), "X110411675");
        assert_eq!(
            Kvnr::parse(" X110411675-12 ").unwrap().as_str(),
            "X110411675"
        );
        let strict = KvnrInputRules {
            suffix: KvnrSuffix::Reject,
            ..KvnrInputRules::default()
        };
        assert_eq!(
            Kvnr::parse_with("X110411675-1", strict),
            Err(KvnrError::SuffixNotAllowed)
        );
        assert_eq!(Kvnr::parse("X110411675-"), Err(KvnrError::MalformedSuffix));
        assert_eq!(Kvnr::parse("X110411675-a"), Err(KvnrError::MalformedSuffix));
        assert_eq!(Kvnr::parse("X1104-11675"), Err(KvnrError::MalformedSuffix));
        // A suffix does not rescue a wrong body.
        assert_eq!(
            Kvnr::parse("X11041167-5"),
            Err(KvnrError::WrongLength { found: 9 })
        );
    }

    #[test]
    fn r_id_2_errors_name_the_wrong_part() {
        let cases = [
            ("", KvnrError::Empty),
            ("   ", KvnrError::Empty),
            (
                "1110411675",
                KvnrError::FirstCharacterNotLetter { found: '1' },
            ),
            (
                "Ä110411675",
                KvnrError::FirstCharacterNotLetter { found: 'Ä' },
            ),
            ("X11041167", KvnrError::WrongLength { found: 9 }),
            ("X1104116755", KvnrError::WrongLength { found: 11 }),
            ("X", KvnrError::WrongLength { found: 1 }),
            (
                "X11041167A",
                KvnrError::NonDigit {
                    position: 10,
                    found: 'A',
                },
            ),
            (
                "X110 411675",
                KvnrError::NonDigit {
                    position: 5,
                    found: ' ',
                },
            ),
            (
                "X11041167٥",
                KvnrError::NonDigit {
                    position: 10,
                    found: '٥',
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Kvnr::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn r_id_2_error_keys_are_distinct_per_part() {
        assert_eq!(
            KvnrError::LowercaseLetter.message_key(),
            "kvnr.letter_lowercase"
        );
        assert_eq!(
            KvnrError::CheckDigit {
                expected: 1,
                found: 2
            }
            .message_key(),
            "kvnr.check_digit"
        );
        assert_eq!(
            KvnrError::WrongLength { found: 3 }.message_key(),
            "kvnr.length"
        );
    }

    #[test]
    fn r_id_2_errors_render_in_german_and_english() {
        let errors = [
            KvnrError::Empty,
            KvnrError::FirstCharacterNotLetter { found: '1' },
            KvnrError::LowercaseLetter,
            KvnrError::NonDigit {
                position: 4,
                found: 'x',
            },
            KvnrError::WrongLength { found: 9 },
            KvnrError::SuffixNotAllowed,
            KvnrError::MalformedSuffix,
            KvnrError::CheckDigit {
                expected: 5,
                found: 0,
            },
        ];
        for error in &errors {
            assert_ne!(error.render(Language::De), error.render(Language::En));
        }
        assert_eq!(
            errors[4].render(Language::De),
            "Die Versichertennummer hat 10 Zeichen (ein Buchstabe und neun Ziffern), eingegeben wurden 9."
        );
        assert_eq!(
            errors[3].render(Language::En),
            "Only digits follow the letter; character 4 is not a digit."
        );
    }

    #[test]
    fn r_id_2_stored_kvnr_is_validated_when_read_back() {
        let kvnr: Kvnr = serde_json::from_str("\"X110435031\"").unwrap();
        assert_eq!(serde_json::to_string(&kvnr).unwrap(), "\"X110435031\"");
        assert!(serde_json::from_str::<Kvnr>("\"X114428530\"").is_err());
    }

    #[test]
    fn r_id_2_generated_numbers_validate() {
        let kvnr = Kvnr::from_parts('X', [1, 1, 0, 4, 1, 1, 6, 7]).unwrap();
        assert_eq!(kvnr.as_str(), "X110411675");
        for letter in 'A'..='Z' {
            let generated = Kvnr::from_parts(letter, [9, 8, 7, 6, 5, 4, 3, 2]).unwrap();
            assert_eq!(Kvnr::parse(generated.as_str()), Ok(generated));
        }
        assert!(Kvnr::from_parts('a', [0; 8]).is_none());
        assert!(Kvnr::from_parts('A', [10, 0, 0, 0, 0, 0, 0, 0]).is_none());
    }

    proptest! {
        /// The weights 1, 2 with digit sums map every digit to a distinct
        /// value, so changing any single digit, including the check digit,
        /// breaks the check (R-ID-2).
        #[test]
        fn r_id_2_every_single_digit_change_is_detected(
            letter in proptest::char::range('A', 'Z'),
            serial in proptest::array::uniform8(0u8..=9),
            position in 1usize..10,
            replacement in 0u8..=9,
        ) {
            let valid = Kvnr::from_parts(letter, serial).unwrap();
            prop_assert_eq!(Kvnr::parse(valid.as_str()), Ok(valid.clone()));
            let mut characters: Vec<char> = valid.as_str().chars().collect();
            let original = characters[position];
            let replacement = char::from(b'0' + replacement);
            prop_assume!(original != replacement);
            characters[position] = replacement;
            let altered: String = characters.into_iter().collect();
            let is_check_digit_error = matches!(Kvnr::parse(&altered), Err(KvnrError::CheckDigit { .. }));
            prop_assert!(is_check_digit_error, "{} accepted", altered);
        }
    }
}
