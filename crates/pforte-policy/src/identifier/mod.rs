//! Which login names a tenant accepts and how an entered name is classified
//! before any lookup (R-ID-1, R-ID-2).
//!
//! A tenant enables one or more [`UsernameKind`]s. Classification is purely
//! syntactic: an input containing `@` is an e-mail address, an input shaped like
//! a KVNR (a letter followed by digits) is validated as a KVNR, anything else is
//! a username. Because a username must never be mistaken for a KVNR or an
//! e-mail, [`IdentifierPolicy::check_new_username`] refuses such usernames when
//! those kinds are enabled.

pub mod kvnr;

pub use kvnr::{Kvnr, KvnrError, KvnrInputRules, KvnrLowercase, KvnrSuffix};

use crate::lang::Language;
use serde::{Deserialize, Serialize};

/// A kind of login name (R-ID-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsernameKind {
    /// Chosen by the user at registration.
    SelfChosen,
    /// Assigned by the insurer and sent by letter.
    Assigned,
    /// The ten-character health insurance number.
    Kvnr,
    /// The verified e-mail address.
    VerifiedEmail,
}

/// The resolved identifier rules of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierPolicy {
    /// Enabled kinds, sorted and without duplicates; never empty.
    pub accepted: Vec<UsernameKind>,
    pub kvnr: KvnrInputRules,
    /// Usernames (self-chosen or assigned) are compared case-insensitively and
    /// stored lower-cased when true.
    pub usernames_case_insensitive: bool,
    pub username_min_length: usize,
    pub username_max_length: usize,
}

impl Default for IdentifierPolicy {
    fn default() -> Self {
        Self {
            accepted: vec![UsernameKind::SelfChosen],
            kvnr: KvnrInputRules::default(),
            usernames_case_insensitive: true,
            username_min_length: 3,
            username_max_length: 64,
        }
    }
}

/// An entered login name, normalised and classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    /// A valid KVNR in canonical form.
    Kvnr(Kvnr),
    /// An e-mail address, lower-cased; only verified addresses may match.
    Email(String),
    /// A self-chosen or assigned username (both live in one namespace).
    Username(String),
}

impl Identifier {
    /// The normalised value to look the account up by.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Kvnr(kvnr) => kvnr.as_str(),
            Self::Email(value) | Self::Username(value) => value,
        }
    }
}

/// Why an entered login name cannot be used. These are about the input's shape
/// only and reveal nothing about whether an account exists (R-LO-4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("no login name entered")]
    Empty,
    #[error(transparent)]
    Kvnr(#[from] KvnrError),
    #[error("the e-mail address is not well formed")]
    MalformedEmail,
    #[error("login with an e-mail address is not enabled")]
    EmailNotAccepted,
    #[error("login with a username is not enabled; use the insurance number")]
    UsernameNotAccepted,
    #[error("the username must have at least {min} characters")]
    UsernameTooShort { min: usize },
    #[error("the username must have at most {max} characters")]
    UsernameTooLong { max: usize },
    #[error("the username must not contain spaces or control characters")]
    UsernameInvalidCharacter,
    #[error("the username must not look like an insurance number")]
    UsernameLooksLikeKvnr,
    #[error("the username must not contain '@'")]
    UsernameLooksLikeEmail,
}

impl IdentifierError {
    /// The message for the user.
    pub fn render(&self, language: Language) -> String {
        match (language, self) {
            (_, Self::Kvnr(error)) => error.render(language),
            (Language::De, Self::Empty) => "Bitte geben Sie Ihren Benutzernamen ein.".into(),
            (Language::En, Self::Empty) => "Please enter your username.".into(),
            (Language::De, Self::MalformedEmail) => {
                "Die E-Mail-Adresse ist nicht vollständig.".into()
            }
            (Language::En, Self::MalformedEmail) => "The e-mail address is incomplete.".into(),
            (Language::De, Self::EmailNotAccepted) => {
                "Die Anmeldung mit E-Mail-Adresse ist hier nicht möglich.".into()
            }
            (Language::En, Self::EmailNotAccepted) => {
                "You cannot log in with an e-mail address here.".into()
            }
            (Language::De, Self::UsernameNotAccepted) => {
                "Bitte melden Sie sich mit Ihrer Versichertennummer an.".into()
            }
            (Language::En, Self::UsernameNotAccepted) => {
                "Please log in with your insurance number.".into()
            }
            (Language::De, Self::UsernameTooShort { min }) => {
                format!("Der Benutzername muss mindestens {min} Zeichen haben.")
            }
            (Language::En, Self::UsernameTooShort { min }) => {
                format!("The username must have at least {min} characters.")
            }
            (Language::De, Self::UsernameTooLong { max }) => {
                format!("Der Benutzername darf höchstens {max} Zeichen haben.")
            }
            (Language::En, Self::UsernameTooLong { max }) => {
                format!("The username must have at most {max} characters.")
            }
            (Language::De, Self::UsernameInvalidCharacter) => {
                "Der Benutzername darf keine Leerzeichen enthalten.".into()
            }
            (Language::En, Self::UsernameInvalidCharacter) => {
                "The username must not contain spaces.".into()
            }
            (Language::De, Self::UsernameLooksLikeKvnr) => {
                "Der Benutzername darf nicht wie eine Versichertennummer aussehen.".into()
            }
            (Language::En, Self::UsernameLooksLikeKvnr) => {
                "The username must not look like an insurance number.".into()
            }
            (Language::De, Self::UsernameLooksLikeEmail) => {
                "Der Benutzername darf kein „@“ enthalten.".into()
            }
            (Language::En, Self::UsernameLooksLikeEmail) => {
                "The username must not contain “@”.".into()
            }
        }
    }

    /// Stable key for message catalogs.
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Empty => "identifier.empty",
            Self::Kvnr(error) => error.message_key(),
            Self::MalformedEmail => "identifier.email_malformed",
            Self::EmailNotAccepted => "identifier.email_not_accepted",
            Self::UsernameNotAccepted => "identifier.username_not_accepted",
            Self::UsernameTooShort { .. } => "identifier.username_too_short",
            Self::UsernameTooLong { .. } => "identifier.username_too_long",
            Self::UsernameInvalidCharacter => "identifier.username_invalid_character",
            Self::UsernameLooksLikeKvnr => "identifier.username_like_kvnr",
            Self::UsernameLooksLikeEmail => "identifier.username_like_email",
        }
    }
}

impl IdentifierPolicy {
    pub fn accepts(&self, kind: UsernameKind) -> bool {
        self.accepted.contains(&kind)
    }

    fn accepts_usernames(&self) -> bool {
        self.accepts(UsernameKind::SelfChosen) || self.accepts(UsernameKind::Assigned)
    }

    /// Classifies and normalises an entered login name (R-ID-1). A KVNR is fully
    /// validated here, before anything is looked up (R-ID-2).
    pub fn classify(&self, input: &str) -> Result<Identifier, IdentifierError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(IdentifierError::Empty);
        }
        if trimmed.contains('@') {
            if !self.accepts(UsernameKind::VerifiedEmail) {
                return Err(if self.accepts_usernames() {
                    IdentifierError::UsernameLooksLikeEmail
                } else {
                    IdentifierError::EmailNotAccepted
                });
            }
            return normalise_email(trimmed).map(Identifier::Email);
        }
        if self.accepts(UsernameKind::Kvnr)
            && (!self.accepts_usernames() || looks_like_kvnr(trimmed))
        {
            return Ok(Identifier::Kvnr(Kvnr::parse_with(trimmed, self.kvnr)?));
        }
        if !self.accepts_usernames() {
            return Err(IdentifierError::UsernameNotAccepted);
        }
        self.normalise_username(trimmed).map(Identifier::Username)
    }

    /// Checks a username a user chooses at registration or an operator assigns:
    /// its length and characters, and that it cannot be confused with a KVNR or
    /// an e-mail address of another user. Returns the normalised form.
    pub fn check_new_username(&self, input: &str) -> Result<String, IdentifierError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(IdentifierError::Empty);
        }
        if trimmed.contains('@') {
            return Err(IdentifierError::UsernameLooksLikeEmail);
        }
        if self.accepts(UsernameKind::Kvnr) && looks_like_kvnr(trimmed) {
            return Err(IdentifierError::UsernameLooksLikeKvnr);
        }
        self.normalise_username(trimmed)
    }

    fn normalise_username(&self, trimmed: &str) -> Result<String, IdentifierError> {
        let length = trimmed.chars().count();
        if length < self.username_min_length {
            return Err(IdentifierError::UsernameTooShort {
                min: self.username_min_length,
            });
        }
        if length > self.username_max_length {
            return Err(IdentifierError::UsernameTooLong {
                max: self.username_max_length,
            });
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(IdentifierError::UsernameInvalidCharacter);
        }
        Ok(if self.usernames_case_insensitive {
            trimmed.to_lowercase()
        } else {
            trimmed.to_owned()
        })
    }
}

/// A letter followed only by digits, spaces and at most one hyphen: the shape a
/// user types when they mean their insurance number, even a mistyped one, so
/// that the KVNR error (not a generic one) tells them what is wrong.
fn looks_like_kvnr(input: &str) -> bool {
    let mut chars = input.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest: Vec<char> = chars.collect();
    starts_with_letter
        && rest.iter().filter(|c| c.is_ascii_digit()).count() >= 5
        && rest
            .iter()
            .all(|c| c.is_ascii_digit() || *c == '-' || *c == ' ')
}

/// Lower-cases an address and checks its rough shape: one `@`, a non-empty
/// local part, a domain with a dot, no spaces. Deliverability is proven by
/// verification, not here.
fn normalise_email(input: &str) -> Result<String, IdentifierError> {
    let (local, domain) = input
        .split_once('@')
        .ok_or(IdentifierError::MalformedEmail)?;
    let well_formed = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !input.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(input.to_lowercase())
    } else {
        Err(IdentifierError::MalformedEmail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(kinds: &[UsernameKind]) -> IdentifierPolicy {
        IdentifierPolicy {
            accepted: kinds.to_vec(),
            ..IdentifierPolicy::default()
        }
    }

    #[test]
    fn r_id_1_kvnr_or_email_tenant_classifies_both() {
        let tenant = policy(&[UsernameKind::Kvnr, UsernameKind::VerifiedEmail]);
        assert_eq!(
            tenant.classify(" x110411675 "),
            Ok(Identifier::Kvnr(Kvnr::parse("X110411675").unwrap()))
        );
        assert_eq!(
            tenant.classify("Erika.Muster@Example.DE"),
            Ok(Identifier::Email("erika.muster@example.de".into()))
        );
        // Only KVNR and e-mail: anything else is validated as a KVNR so the user
        // learns which part is wrong (R-ID-2).
        assert_eq!(
            tenant.classify("erika"),
            Err(IdentifierError::Kvnr(KvnrError::NonDigit {
                position: 2,
                found: 'r'
            }))
        );
        assert_eq!(
            tenant.classify("X114428530"),
            Err(IdentifierError::Kvnr(KvnrError::CheckDigit {
                expected: 5,
                found: 0
            }))
        );
    }

    #[test]
    fn r_id_1_kvnr_only_tenant_strips_the_card_suffix() {
        let tenant = policy(&[UsernameKind::Kvnr]);
        assert_eq!(
            tenant.classify("A000500015-1").unwrap().as_str(),
            "A000500015"
        );
        assert_eq!(
            tenant.classify("someone@example.org"),
            Err(IdentifierError::EmailNotAccepted)
        );
    }

    #[test]
    fn r_id_1_username_tenant_with_kvnr_routes_by_shape() {
        let tenant = policy(&[UsernameKind::SelfChosen, UsernameKind::Kvnr]);
        assert_eq!(
            tenant.classify("Erika.M"),
            Ok(Identifier::Username("erika.m".into()))
        );
        assert_eq!(
            tenant.classify("A00050001"),
            Err(IdentifierError::Kvnr(KvnrError::WrongLength { found: 9 }))
        );
        assert_eq!(
            tenant.classify("erika@example.org"),
            Err(IdentifierError::UsernameLooksLikeEmail)
        );
    }

    #[test]
    fn r_id_1_username_only_tenant_keeps_kvnr_shaped_input_a_username() {
        let tenant = policy(&[UsernameKind::Assigned]);
        assert_eq!(
            tenant.classify("K1234567"),
            Ok(Identifier::Username("k1234567".into()))
        );
        let case_sensitive = IdentifierPolicy {
            usernames_case_insensitive: false,
            ..tenant
        };
        assert_eq!(
            case_sensitive.classify("K1234567"),
            Ok(Identifier::Username("K1234567".into()))
        );
    }

    #[test]
    fn r_id_1_new_usernames_cannot_be_confused_with_other_kinds() {
        let tenant = policy(&[
            UsernameKind::SelfChosen,
            UsernameKind::Kvnr,
            UsernameKind::VerifiedEmail,
        ]);
        let cases = [
            ("A123456780", Err(IdentifierError::UsernameLooksLikeKvnr)),
            ("a 12345-6", Err(IdentifierError::UsernameLooksLikeKvnr)),
            (
                "me@example.org",
                Err(IdentifierError::UsernameLooksLikeEmail),
            ),
            ("ab", Err(IdentifierError::UsernameTooShort { min: 3 })),
            ("two words", Err(IdentifierError::UsernameInvalidCharacter)),
            ("Sonnenschein", Ok("sonnenschein".to_owned())),
            ("A1234", Ok("a1234".to_owned())),
        ];
        for (input, expected) in cases {
            assert_eq!(tenant.check_new_username(input), expected, "{input:?}");
        }
        let long = "x".repeat(65);
        assert_eq!(
            tenant.check_new_username(&long),
            Err(IdentifierError::UsernameTooLong { max: 64 })
        );
    }

    #[test]
    fn r_id_2_identifier_errors_render_in_both_languages() {
        let tenant = policy(&[UsernameKind::Kvnr]);
        let error = tenant.classify("X11041167").unwrap_err();
        assert_eq!(error.message_key(), "kvnr.length");
        assert!(error.render(Language::En).contains("10 characters"));
        assert_eq!(
            IdentifierError::UsernameTooShort { min: 3 }.render(Language::De),
            "Der Benutzername muss mindestens 3 Zeichen haben."
        );
    }

    #[test]
    fn r_id_1_malformed_email_is_rejected() {
        let tenant = policy(&[UsernameKind::VerifiedEmail]);
        for input in [
            "@example.org",
            "a@b",
            "a@@b.de",
            "a b@c.de",
            "a@.de",
            "a@de.",
        ] {
            assert_eq!(
                tenant.classify(input),
                Err(IdentifierError::MalformedEmail),
                "{input:?}"
            );
        }
        assert_eq!(tenant.classify(""), Err(IdentifierError::Empty));
        assert_eq!(
            tenant.classify("erika"),
            Err(IdentifierError::UsernameNotAccepted)
        );
    }
}
