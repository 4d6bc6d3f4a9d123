//! Phone numbers for SMS-TAN (R-MF-1, R-MF-4) and masking of contact data for
//! display.
//!
//! Users type numbers the way they read them: `0171 1234567`,
//! `+49 (0)171 123 45 67`, `0049 171/1234567`. SMS gateways want E.164
//! (ITU-T E.164 §6: `+`, country code, national significant number, at most
//! 15 digits). This module turns the first into the second, assuming Germany
//! for numbers written with the national trunk prefix `0`, and masks numbers
//! and e-mail addresses so that a page or a log can name the destination of a
//! code without disclosing it.

use serde::{Deserialize, Serialize};

/// The country assumed for numbers written nationally (`0171 …`).
pub const DEFAULT_COUNTRY_CODE: &str = "49";

/// ITU-T E.164 §6.1: at most 15 digits, country code included.
pub const MAX_DIGITS: usize = 15;

/// E.164 sets no minimum; the shortest numbers in use have seven digits with
/// the country code (small island states). Shorter input is a typo.
pub const MIN_DIGITS: usize = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no phone number was entered")]
    Empty,
    #[error("a phone number may contain only digits, spaces, + - / . ( )")]
    InvalidCharacter,
    #[error("the number needs a country code (+49 …) or a leading 0")]
    MissingPrefix,
    #[error("a country code never starts with 0")]
    InvalidCountryCode,
    #[error("the number is too short")]
    TooShort,
    #[error("the number is too long (E.164 allows at most 15 digits)")]
    TooLong,
}

/// A phone number in E.164 form, e.g. `+491711234567`. Only
/// [`normalise_phone`] (and deserialising, which re-checks) makes one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

impl E164 {
    /// `+491711234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digits(&self) -> &str {
        self.0.get(1..).unwrap_or_default()
    }

    /// The country calling code without `+`, e.g. `49`.
    pub fn country_code(&self) -> &str {
        let digits = self.digits();
        digits.get(..country_code_len(digits)).unwrap_or_default()
    }

    /// The number for display with only the country code and the last two
    /// digits: `+49 ••• ••• 78`. The shape does not depend on the length, so
    /// it does not leak that either.
    pub fn masked(&self) -> String {
        let digits = self.digits();
        let tail = digits
            .get(digits.len().saturating_sub(2)..)
            .unwrap_or_default();
        format!("+{} ••• ••• {tail}", self.country_code())
    }
}

impl std::fmt::Display for E164 {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl TryFrom<String> for E164 {
    type Error = PhoneError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        if !text.starts_with('+') {
            return Err(PhoneError::MissingPrefix);
        }
        normalise_phone(&text)
    }
}

impl From<E164> for String {
    fn from(number: E164) -> Self {
        number.0
    }
}

/// [`normalise_phone_in`] with Germany as the default country.
pub fn normalise_phone(input: &str) -> Result<E164, PhoneError> {
    normalise_phone_in(input, DEFAULT_COUNTRY_CODE)
}

/// Normalises typed input to E.164.
///
/// - `+CC…` and `00CC…` are international; `0…` is national and gets
///   `default_country_code`; anything else is ambiguous and refused.
/// - Spaces, dashes, `/`, `.` and parentheses are dropped; the `(0)` of
///   `+49 (0)171 …` and a stray trunk `0` after the default country code
///   (`+49 0171 …`) are dropped too, as that is how such numbers are printed.
/// - Letters (vanity numbers) are refused: an SMS gateway would not map them.
pub fn normalise_phone_in(input: &str, default_country_code: &str) -> Result<E164, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for character in rest.replace("(0)", " ").chars() {
        match character {
            '0'..='9' => digits.push(character),
            ' ' | '\u{a0}' | '\t' | '/' | '.' | '(' | ')' => {}
            other if crate::code::is_dash(other) => {}
            _ => return Err(PhoneError::InvalidCharacter),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    let international = if plus {
        digits
    } else if let Some(after) = digits.strip_prefix("00") {
        after.to_owned()
    } else if let Some(national) = digits.strip_prefix('0') {
        format!("{default_country_code}{national}")
    } else {
        return Err(PhoneError::MissingPrefix);
    };
    if international.starts_with('0') || international.is_empty() {
        return Err(PhoneError::InvalidCountryCode);
    }
    let international = match international
        .strip_prefix(default_country_code)
        .and_then(|national| national.strip_prefix('0'))
    {
        Some(national) => format!("{default_country_code}{national}"),
        None => international,
    };
    if international.len() > MAX_DIGITS {
        return Err(PhoneError::TooLong);
    }
    if international.len() < MIN_DIGITS || international.len() <= country_code_len(&international) {
        return Err(PhoneError::TooShort);
    }
    Ok(E164(format!("+{international}")))
}

/// Length of the country calling code at the start of `digits` (ITU-T E.164
/// assignments: zones 1 and 7 are one digit; the two-digit codes listed;
/// everything else three).
fn country_code_len(digits: &str) -> usize {
    const TWO_DIGIT: [&str; 44] = [
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO_DIGIT.iter().any(|code| digits.starts_with(code)) {
        2
    } else {
        3
    }
}

/// An e-mail address for display: the first character of the local part and
/// four dots, then the domain in full (`e••••@example.de`). The domain stays
/// readable so that users can tell their work address from their private one.
pub fn mask_email(address: &str) -> String {
    match address.trim().rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}••••@{domain}")
        }
        _ => "••••".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_mf_4_german_input_is_normalised_to_e164() {
        let table: [(&str, Result<&str, PhoneError>); 20] = [
            ("0171 1234567", Ok("+491711234567")),
            ("+49 171 1234567", Ok("+491711234567")),
            ("0049 171 1234567", Ok("+491711234567")),
            ("+49 (0)171 123 45 67", Ok("+491711234567")),
            ("+49 0171 1234567", Ok("+491711234567")),
            ("0171/123-45-67", Ok("+491711234567")),
            ("(0171) 1234567", Ok("+491711234567")),
            ("030 1234567", Ok("+49301234567")),
            ("+43 664 1234567", Ok("+436641234567")),
            ("+1 415 555 2671", Ok("+14155552671")),
            ("+39 06 1234 5678", Ok("+390612345678")),
            ("0171 CALL ME", Err(PhoneError::InvalidCharacter)),
            ("0171+1234567", Err(PhoneError::InvalidCharacter)),
            ("171 1234567", Err(PhoneError::MissingPrefix)),
            ("+0171 1234567", Err(PhoneError::InvalidCountryCode)),
            ("000171", Err(PhoneError::InvalidCountryCode)),
            ("0171 1", Err(PhoneError::TooShort)),
            ("+49", Err(PhoneError::TooShort)),
            ("+49 171 1234567 8901", Err(PhoneError::TooLong)),
            ("  ", Err(PhoneError::Empty)),
        ];
        for (input, expected) in table {
            assert_eq!(
                normalise_phone(input).map(String::from),
                expected.map(str::to_owned),
                "{input:?}"
            );
        }
    }

    #[test]
    fn r_mf_4_phone_is_masked_to_country_code_and_last_two_digits() {
        let table: [(&str, &str, &str); 4] = [
            ("+491711234578", "49", "+49 ••• ••• 78"),
            ("+14155552671", "1", "+1 ••• ••• 71"),
            ("+3521234567", "352", "+352 ••• ••• 67"),
            ("+436641234567", "43", "+43 ••• ••• 67"),
        ];
        for (input, country, masked) in table {
            let number = normalise_phone(input).unwrap();
            assert_eq!(number.country_code(), country);
            assert_eq!(number.masked(), masked);
        }
    }

    #[test]
    fn r_mf_4_e164_serialises_as_string_and_rechecks() {
        let number = normalise_phone("0171 1234567").unwrap();
        let json = serde_json::to_string(&number).unwrap();
        assert_eq!(json, "\"+491711234567\"");
        assert_eq!(serde_json::from_str::<E164>(&json).unwrap(), number);
        assert!(serde_json::from_str::<E164>("\"01711234567\"").is_err());
        assert!(serde_json::from_str::<E164>("\"+49abc\"").is_err());
    }

    #[test]
    fn r_mf_4_email_is_masked() {
        let table: [(&str, &str); 5] = [
            ("erika@example.de", "e••••@example.de"),
            ("e@example.de", "e••••@example.de"),
            ("Ümit.b@post.example", "Ü••••@post.example"),
            ("no-at-sign", "••••"),
            ("@example.de", "••••"),
        ];
        for (input, masked) in table {
            assert_eq!(mask_email(input), masked, "{input}");
        }
    }
}
