//! A broken password rule as data (R-PW-2): the UI lists every violation in
//! the user's language, via [`PasswordViolation::message_key`] and the
//! parameters for a message catalog, or via the built-in German and English
//! texts of [`PasswordViolation::render`].

use super::CharClass;
use super::blocklist::BlocklistSource;
use crate::lang::Language;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PasswordViolation {
    TooShort {
        min: usize,
        actual: usize,
    },
    TooLong {
        max: usize,
        actual: usize,
    },
    /// A class required by an "all of" rule is absent.
    MissingClass {
        class: CharClass,
    },
    /// Fewer than `required` of the classes `of` occur ("N of M").
    TooFewClasses {
        required: usize,
        found: usize,
        of: Vec<CharClass>,
    },
    /// Characters outside letters, digits and the allowed special characters.
    DisallowedCharacters {
        characters: Vec<char>,
    },
    EqualsUsername,
    ContainsUsername,
    EqualsEmail,
    ContainsEmail,
    /// On the common-password list or containing a tenant term.
    Blocklisted {
        source: BlocklistSource,
    },
    /// Equal to one of the last `history` passwords.
    RecentlyUsed {
        history: usize,
    },
}

impl PasswordViolation {
    /// Stable key for message catalogs (`password.<rule>`).
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "password.too_short",
            Self::TooLong { .. } => "password.too_long",
            Self::MissingClass { .. } => "password.missing_class",
            Self::TooFewClasses { .. } => "password.too_few_classes",
            Self::DisallowedCharacters { .. } => "password.disallowed_characters",
            Self::EqualsUsername => "password.equals_username",
            Self::ContainsUsername => "password.contains_username",
            Self::EqualsEmail => "password.equals_email",
            Self::ContainsEmail => "password.contains_email",
            Self::Blocklisted { .. } => "password.blocklisted",
            Self::RecentlyUsed { .. } => "password.recently_used",
        }
    }

    /// The message for the user.
    pub fn render(&self, language: Language) -> String {
        match language {
            Language::De => self.render_de(),
            Language::En => self.render_en(),
        }
    }

    fn render_de(&self) -> String {
        match self {
            Self::TooShort { min, actual } => {
                format!("Das Passwort muss mindestens {min} Zeichen lang sein (es hat {actual}).")
            }
            Self::TooLong { max, actual } => {
                format!("Das Passwort darf höchstens {max} Zeichen lang sein (es hat {actual}).")
            }
            Self::MissingClass { class } => {
                format!(
                    "Das Passwort muss mindestens {} enthalten.",
                    class_de(*class, true)
                )
            }
            Self::TooFewClasses { required, of, .. } => format!(
                "Das Passwort muss Zeichen aus mindestens {required} dieser {} Gruppen enthalten: {}.",
                of.len(),
                join(of.iter().map(|class| class_de(*class, false)), "und")
            ),
            Self::DisallowedCharacters { characters } => format!(
                "Diese Zeichen sind im Passwort nicht erlaubt: {}.",
                quote_characters(characters, ('„', '“'))
            ),
            Self::EqualsUsername => {
                "Das Passwort darf nicht Ihrem Benutzernamen entsprechen.".into()
            }
            Self::ContainsUsername => {
                "Das Passwort darf Ihren Benutzernamen nicht enthalten.".into()
            }
            Self::EqualsEmail => "Das Passwort darf nicht Ihrer E-Mail-Adresse entsprechen.".into(),
            Self::ContainsEmail => "Das Passwort darf Ihre E-Mail-Adresse nicht enthalten.".into(),
            Self::Blocklisted {
                source: BlocklistSource::Common,
            } => "Dieses Passwort ist zu bekannt und leicht zu erraten.".into(),
            Self::Blocklisted {
                source: BlocklistSource::Tenant,
            } => "Das Passwort enthält einen Begriff, der leicht zu erraten ist.".into(),
            Self::RecentlyUsed { history } => {
                format!(
                    "Das Passwort muss sich von Ihren letzten {history} Passwörtern unterscheiden."
                )
            }
        }
    }

    fn render_en(&self) -> String {
        match self {
            Self::TooShort { min, actual } => {
                format!("The password must have at least {min} characters (it has {actual}).")
            }
            Self::TooLong { max, actual } => {
                format!("The password must have at most {max} characters (it has {actual}).")
            }
            Self::MissingClass { class } => {
                format!(
                    "The password must contain at least {}.",
                    class_en(*class, true)
                )
            }
            Self::TooFewClasses { required, of, .. } => format!(
                "The password must contain characters from at least {required} of these {} groups: {}.",
                of.len(),
                join(of.iter().map(|class| class_en(*class, false)), "and")
            ),
            Self::DisallowedCharacters { characters } => format!(
                "These characters are not allowed in the password: {}.",
                quote_characters(characters, ('“', '”'))
            ),
            Self::EqualsUsername => "The password must not be your username.".into(),
            Self::ContainsUsername => "The password must not contain your username.".into(),
            Self::EqualsEmail => "The password must not be your e-mail address.".into(),
            Self::ContainsEmail => "The password must not contain your e-mail address.".into(),
            Self::Blocklisted {
                source: BlocklistSource::Common,
            } => "This password is too common and easy to guess.".into(),
            Self::Blocklisted {
                source: BlocklistSource::Tenant,
            } => "The password contains a term that is easy to guess.".into(),
            Self::RecentlyUsed { history } => {
                format!("The password must differ from your last {history} passwords.")
            }
        }
    }
}

/// Renders every violation, one message each, in order.
pub fn render_all(violations: &[PasswordViolation], language: Language) -> Vec<String> {
    violations
        .iter()
        .map(|violation| violation.render(language))
        .collect()
}

fn class_de(class: CharClass, with_article: bool) -> &'static str {
    match (class, with_article) {
        (CharClass::Upper, true) => "einen Großbuchstaben",
        (CharClass::Lower, true) => "einen Kleinbuchstaben",
        (CharClass::Digit, true) => "eine Ziffer",
        (CharClass::Special, true) => "ein Sonderzeichen",
        (CharClass::Upper, false) => "Großbuchstaben",
        (CharClass::Lower, false) => "Kleinbuchstaben",
        (CharClass::Digit, false) => "Ziffern",
        (CharClass::Special, false) => "Sonderzeichen",
    }
}

fn class_en(class: CharClass, with_article: bool) -> &'static str {
    match (class, with_article) {
        (CharClass::Upper, true) => "one upper-case letter",
        (CharClass::Lower, true) => "one lower-case letter",
        (CharClass::Digit, true) => "one digit",
        (CharClass::Special, true) => "one special character",
        (CharClass::Upper, false) => "upper-case letters",
        (CharClass::Lower, false) => "lower-case letters",
        (CharClass::Digit, false) => "digits",
        (CharClass::Special, false) => "special characters",
    }
}

/// "a, b und c" / "a, b and c".
fn join<'a>(items: impl Iterator<Item = &'a str>, conjunction: &str) -> String {
    let items: Vec<&str> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// Quotes each character; a space is shown as `␣` so it can be seen.
fn quote_characters(characters: &[char], (open, close): (char, char)) -> String {
    characters
        .iter()
        .map(|character| match character {
            ' ' => format!("{open}␣{close}"),
            other => format!("{open}{other}{close}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
