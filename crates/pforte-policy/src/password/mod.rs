//! Password rules of one tenant (R-PW-1 … R-PW-4) and their evaluation.
//!
//! [`PasswordPolicy::evaluate`] checks a candidate against every rule and returns
//! *all* violations at once as [`PasswordViolation`] values, so the page can list
//! everything the user has to change in one go (R-PW-2). The check is pure: the
//! password history is reached through the [`PasswordHistory`] trait, which the
//! caller implements by verifying the candidate against stored hashes; this
//! crate never sees a hash or a clear-text old password.

pub mod blocklist;
pub mod hashing;
pub mod violation;

pub use blocklist::Blocklist;
pub use hashing::HashingParams;
pub use violation::PasswordViolation;

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A character class of composition rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CharClass {
    Upper,
    Lower,
    Digit,
    Special,
}

impl CharClass {
    pub const ALL: [CharClass; 4] = [Self::Upper, Self::Lower, Self::Digit, Self::Special];
}

/// Composition rule over character classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassRule {
    /// No composition rule (NIST 800-63B-4 §3.1.1.2 forbids them).
    None,
    /// Every listed class must occur at least once.
    AllOf(Vec<CharClass>),
    /// At least `required` of the listed classes must occur ("3 of 4").
    AtLeast { required: usize, of: Vec<CharClass> },
}

/// Which non-alphanumeric characters a password may contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecialCharacters {
    /// Any printable character that is not a letter or digit counts as special.
    Any,
    /// Only these; any other character outside letters and digits is a violation.
    Only(BTreeSet<char>),
}

/// How a password may relate to an identifier of its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierRule {
    /// No check.
    Allow,
    /// The password must not equal it (case-insensitive).
    NotEqual,
    /// The password must not contain it (case-insensitive).
    #[default]
    NotContained,
}

/// The resolved password policy of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in Unicode code points when the password is the only factor.
    pub min_length: usize,
    /// Lower minimum when the account always uses a second factor (NIST
    /// 800-63B-4 allows 8 instead of 15); `None` = same as `min_length`.
    pub min_length_with_second_factor: Option<usize>,
    pub max_length: usize,
    pub classes: ClassRule,
    pub special_characters: SpecialCharacters,
    /// Only the letters A–Z and a–z count as letters; other letters are refused.
    pub ascii_letters_only: bool,
    pub username_rule: IdentifierRule,
    pub email_rule: IdentifierRule,
    pub blocklist: Blocklist,
    /// How many previous passwords a new one must differ from; 0 = no history.
    pub history: usize,
    /// An initial password set by an operator must be changed at first login (R-PW-3).
    pub initial_must_change: bool,
    pub hashing: HashingParams,
}

impl Default for PasswordPolicy {
    /// NIST 800-63B-4 defaults: 15 characters (8 with a second factor), up to
    /// 128, no composition rules, common-password block list.
    fn default() -> Self {
        Self {
            min_length: 15,
            min_length_with_second_factor: Some(8),
            max_length: 128,
            classes: ClassRule::None,
            special_characters: SpecialCharacters::Any,
            ascii_letters_only: false,
            username_rule: IdentifierRule::NotContained,
            email_rule: IdentifierRule::NotContained,
            blocklist: Blocklist::common(),
            history: 0,
            initial_must_change: true,
            hashing: HashingParams::default(),
        }
    }
}

/// Verifies a candidate against the owner's stored password hashes.
///
/// Implemented by the login layer (which owns storage and hashing); `depth` is
/// the policy's history length, so the implementation checks the current and
/// the `depth` most recent previous hashes.
pub trait PasswordHistory {
    fn was_used_recently(&self, candidate: &str, depth: usize) -> bool;
}

impl<F> PasswordHistory for F
where
    F: Fn(&str, usize) -> bool,
{
    fn was_used_recently(&self, candidate: &str, depth: usize) -> bool {
        self(candidate, depth)
    }
}

/// What the evaluation needs to know about the owner of the password.
#[derive(Default, Clone, Copy)]
pub struct PasswordContext<'a> {
    /// Login names of the account (self-chosen or assigned username, KVNR).
    pub usernames: &'a [&'a str],
    pub email: Option<&'a str>,
    /// The account always signs in with a second factor.
    pub second_factor: bool,
    /// The stored history; `None` when there is none yet (registration).
    pub history: Option<&'a dyn PasswordHistory>,
}

/// Identifiers shorter than this are not searched for inside a password: a
/// two-letter name would forbid a large share of all passwords for no gain.
const MIN_CONTAINED_IDENTIFIER: usize = 3;

impl PasswordPolicy {
    /// The minimum length that applies to an account.
    pub fn effective_min_length(&self, second_factor: bool) -> usize {
        match self.min_length_with_second_factor {
            Some(lower) if second_factor => lower,
            _ => self.min_length,
        }
    }

    /// Whether the user must choose a new password before the login completes
    /// (R-PW-3): the password is an initial one set by an operator and the
    /// policy demands the change. Changed hashing parameters are no reason; they
    /// only cause a transparent rehash (R-PW-1, [`HashingParams::needs_rehash`]).
    pub fn must_change_at_login(&self, password_is_initial: bool) -> bool {
        self.initial_must_change && password_is_initial
    }

    /// Checks `password` against every rule and returns all violations
    /// (R-PW-2). Length is counted in Unicode code points, without trimming or
    /// truncation (NIST 800-63B §3.1.1.2).
    pub fn evaluate(
        &self,
        password: &str,
        context: &PasswordContext<'_>,
    ) -> Result<(), Vec<PasswordViolation>> {
        let mut violations = Vec::new();
        let length = password.chars().count();
        let min = self.effective_min_length(context.second_factor);
        if length < min {
            violations.push(PasswordViolation::TooShort {
                min,
                actual: length,
            });
        }
        if length > self.max_length {
            violations.push(PasswordViolation::TooLong {
                max: self.max_length,
                actual: length,
            });
        }

        let disallowed = self.disallowed_characters(password);
        if !disallowed.is_empty() {
            violations.push(PasswordViolation::DisallowedCharacters {
                characters: disallowed,
            });
        }
        self.check_classes(password, &mut violations);

        let lowered = password.to_lowercase();
        for username in context
            .usernames
            .iter()
            .filter(|name| !name.trim().is_empty())
        {
            if let Some(violation) = identifier_violation(
                &lowered,
                username,
                self.username_rule,
                PasswordViolation::EqualsUsername,
                PasswordViolation::ContainsUsername,
            ) && !violations.contains(&violation)
            {
                violations.push(violation);
            }
        }
        if let Some(email) = context.email.filter(|email| !email.trim().is_empty()) {
            let local_part = email.split('@').next().unwrap_or_default();
            let by_address = identifier_violation(
                &lowered,
                email,
                self.email_rule,
                PasswordViolation::EqualsEmail,
                PasswordViolation::ContainsEmail,
            );
            let by_local_part = if self.email_rule == IdentifierRule::NotContained {
                identifier_violation(
                    &lowered,
                    local_part,
                    self.email_rule,
                    PasswordViolation::ContainsEmail,
                    PasswordViolation::ContainsEmail,
                )
            } else {
                None
            };
            if let Some(violation) = by_address.or(by_local_part) {
                violations.push(violation);
            }
        }

        if let Some(hit) = self.blocklist.find(&lowered) {
            violations.push(PasswordViolation::Blocklisted { source: hit });
        }
        // The history is only consulted when the policy keeps one, so the
        // caller's hash verifications are not spent for nothing.
        if self.history > 0
            && let Some(history) = context.history
            && history.was_used_recently(password, self.history)
        {
            violations.push(PasswordViolation::RecentlyUsed {
                history: self.history,
            });
        }

        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }

    fn is_letter(&self, character: char) -> bool {
        if self.ascii_letters_only {
            character.is_ascii_alphabetic()
        } else {
            character.is_alphabetic()
        }
    }

    fn is_digit(character: char) -> bool {
        character.is_ascii_digit()
    }

    fn is_special(&self, character: char) -> bool {
        if self.is_letter(character) || Self::is_digit(character) || character.is_control() {
            return false;
        }
        match &self.special_characters {
            SpecialCharacters::Any => !character.is_alphabetic(),
            SpecialCharacters::Only(allowed) => allowed.contains(&character),
        }
    }

    /// Characters that are neither letters, digits nor allowed specials, in the
    /// order of first appearance. Control characters are never allowed.
    fn disallowed_characters(&self, password: &str) -> Vec<char> {
        let mut found: Vec<char> = Vec::new();
        for character in password.chars() {
            let allowed = self.is_letter(character)
                || Self::is_digit(character)
                || self.is_special(character);
            if !allowed && !found.contains(&character) {
                found.push(character);
            }
        }
        found
    }

    fn classes_present(&self, password: &str) -> BTreeSet<CharClass> {
        let mut present = BTreeSet::new();
        for character in password.chars() {
            if character.is_uppercase() && self.is_letter(character) {
                present.insert(CharClass::Upper);
            } else if character.is_lowercase() && self.is_letter(character) {
                present.insert(CharClass::Lower);
            } else if Self::is_digit(character) {
                present.insert(CharClass::Digit);
            } else if self.is_special(character) {
                present.insert(CharClass::Special);
            }
        }
        present
    }

    fn check_classes(&self, password: &str, violations: &mut Vec<PasswordViolation>) {
        let present = self.classes_present(password);
        match &self.classes {
            ClassRule::None => {}
            ClassRule::AllOf(required) => {
                for class in required.iter().filter(|class| !present.contains(class)) {
                    violations.push(PasswordViolation::MissingClass { class: *class });
                }
            }
            ClassRule::AtLeast { required, of } => {
                let found = of.iter().filter(|class| present.contains(class)).count();
                if found < *required {
                    violations.push(PasswordViolation::TooFewClasses {
                        required: *required,
                        found,
                        of: of.clone(),
                    });
                }
            }
        }
    }
}

fn identifier_violation(
    lowered_password: &str,
    identifier: &str,
    rule: IdentifierRule,
    equal: PasswordViolation,
    contained: PasswordViolation,
) -> Option<PasswordViolation> {
    let identifier = identifier.trim().to_lowercase();
    if identifier.is_empty() {
        return None;
    }
    match rule {
        IdentifierRule::Allow => None,
        _ if lowered_password == identifier => Some(equal),
        IdentifierRule::NotContained
            if identifier.chars().count() >= MIN_CONTAINED_IDENTIFIER
                && lowered_password.contains(&identifier) =>
        {
            Some(contained)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
