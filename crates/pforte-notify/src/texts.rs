//! The texts of outbound messages: a template name, a language and the
//! message's parameters become a subject and a body (R-MF-3: one-time codes
//! for login, enrolment and step-up; R-RG-7: verifying a contact at login).
//!
//! German is the primary language (the users are German insured persons);
//! any language other than `en` gets the German text, so a message is never
//! left untranslated. SMS and push bodies are short (under 160 characters, one
//! SMS segment, with any code of up to ten digits); e-mail and letter bodies
//! are longer and explain what to do when the user did not ask for the code.
//!
//! Parameters are inserted as plain text with every control character (line
//! breaks included) replaced by a space, so that a parameter can neither add
//! lines to the body nor headers to an e-mail. A template that does not exist
//! or a parameter it needs that is missing is an error: a message is never
//! sent empty or with a placeholder in it.

use pforte_identity::factor::{Channel, OutboundMessage};
use std::collections::BTreeMap;

/// The rendered text of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The e-mail subject (also the heading of a letter); empty for SMS and
    /// push, which have none.
    pub subject: String,
    pub body: String,
}

/// Why a message could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("unknown message template {0:?}")]
    UnknownTemplate(String),
    #[error("message template {template:?} needs the parameter {param:?}")]
    MissingParam {
        template: &'static str,
        param: String,
    },
}

/// The names of the templates this crate knows.
pub const TEMPLATES: [&str; 4] = ["login_code", "enrol_code", "step_up_code", "contact_code"];

/// One template in one language. `{name}` is replaced by the parameter
/// `name`; `optional` lines are appended to the long body only when their
/// parameter is given.
struct Text {
    subject: &'static str,
    /// SMS and push.
    short: &'static str,
    /// E-mail and letter.
    long: &'static str,
    optional: &'static [(&'static str, &'static str)],
}

const DE_FOOTER: &str = "\n\nGeben Sie den Code an niemanden weiter. Wir fragen Sie nie \
danach, weder am Telefon noch per E-Mail.\n\nDiese Nachricht wurde automatisch erstellt; \
bitte antworten Sie nicht darauf.\n";

const EN_FOOTER: &str = "\n\nDo not share the code with anyone. We will never ask you for \
it, neither by phone nor by e-mail.\n\nThis message was sent automatically; please do not \
reply to it.\n";

fn text(template: &str, english: bool) -> Option<(&'static str, Text)> {
    let found = match (template, english) {
        ("login_code", false) => (
            "login_code",
            Text {
                subject: "Ihr Anmeldecode",
                short: "Ihr Anmeldecode: {code}. Gültig {valid_minutes} Min. Geben Sie ihn nicht weiter.",
                long: "Guten Tag,\n\nIhr Code für die Anmeldung lautet:\n\n    {code}\n\n\
                       Er ist {valid_minutes} Minuten gültig und gilt nur für eine Anmeldung. \
                       Wenn Sie sich gerade nicht anmelden, ignorieren Sie diese Nachricht; \
                       ohne den Code kann sich niemand mit Ihrem Passwort anmelden.",
                optional: &[],
            },
        ),
        ("login_code", true) => (
            "login_code",
            Text {
                subject: "Your login code",
                short: "Your login code: {code}. Valid {valid_minutes} min. Do not share it.",
                long: "Hello,\n\nyour code for logging in is:\n\n    {code}\n\n\
                       It is valid for {valid_minutes} minutes and for one login only. \
                       If you are not logging in right now, ignore this message; without \
                       the code nobody can log in with your password.",
                optional: &[],
            },
        ),
        ("enrol_code", false) => (
            "enrol_code",
            Text {
                subject: "Bestätigen Sie Ihren zweiten Faktor",
                short: "Code zur Bestätigung dieser Nummer als zweiter Faktor: {code}. \
                        Gültig {valid_minutes} Min. Nicht weitergeben.",
                long: "Guten Tag,\n\nSie möchten diese Adresse als zweiten Faktor für Ihre \
                       Anmeldung hinterlegen. Ihr Bestätigungscode lautet:\n\n    {code}\n\n\
                       Er ist {valid_minutes} Minuten gültig. Wenn Sie das nicht veranlasst \
                       haben, ignorieren Sie diese Nachricht und ändern Sie Ihr Passwort.",
                optional: &[],
            },
        ),
        ("enrol_code", true) => (
            "enrol_code",
            Text {
                subject: "Confirm your second factor",
                short: "Code to confirm this number as your second factor: {code}. \
                        Valid {valid_minutes} min. Do not share it.",
                long: "Hello,\n\nyou want to add this address as a second factor for \
                       logging in. Your confirmation code is:\n\n    {code}\n\n\
                       It is valid for {valid_minutes} minutes. If you did not ask for \
                       this, ignore this message and change your password.",
                optional: &[],
            },
        ),
        ("step_up_code", false) => (
            "step_up_code",
            Text {
                subject: "Bestätigen Sie Ihre Aktion",
                short: "Code zur Bestätigung Ihrer Aktion: {code}. Gültig {valid_minutes} Min. \
                        Nicht weitergeben.",
                long: "Guten Tag,\n\nmit diesem Code bestätigen Sie eine Aktion in Ihrem \
                       Konto:\n\n    {code}\n\nEr ist {valid_minutes} Minuten gültig und gilt \
                       nur für diese eine Aktion. Wenn Sie nichts bestätigen wollten, \
                       ignorieren Sie diese Nachricht und ändern Sie Ihr Passwort.",
                optional: &[("action", "\n\nZu bestätigen: {action}")],
            },
        ),
        ("step_up_code", true) => (
            "step_up_code",
            Text {
                subject: "Confirm your action",
                short: "Code to confirm your action: {code}. Valid {valid_minutes} min. \
                        Do not share it.",
                long: "Hello,\n\nthis code confirms an action in your account:\n\n    \
                       {code}\n\nIt is valid for {valid_minutes} minutes and for this one \
                       action only. If you did not want to confirm anything, ignore this \
                       message and change your password.",
                optional: &[("action", "\n\nTo be confirmed: {action}")],
            },
        ),
        ("contact_code", false) => (
            "contact_code",
            Text {
                subject: "Bestätigen Sie Ihre Kontaktdaten",
                short: "Code zur Bestätigung Ihrer Kontaktdaten: {code}. Gültig {valid_minutes} \
                        Min. Nicht weitergeben.",
                long: "Guten Tag,\n\nbitte bestätigen Sie, dass diese Adresse Ihnen gehört. \
                       Ihr Code lautet:\n\n    {code}\n\nEr ist {valid_minutes} Minuten \
                       gültig. Wenn Sie Ihre Kontaktdaten nicht angegeben haben, ignorieren \
                       Sie diese Nachricht.",
                optional: &[],
            },
        ),
        ("contact_code", true) => (
            "contact_code",
            Text {
                subject: "Confirm your contact details",
                short: "Code to confirm your contact details: {code}. Valid {valid_minutes} \
                        min. Do not share it.",
                long: "Hello,\n\nplease confirm that this address belongs to you. Your code \
                       is:\n\n    {code}\n\nIt is valid for {valid_minutes} minutes. If you \
                       did not enter your contact details, ignore this message.",
                optional: &[],
            },
        ),
        // A plain activation letter (R-RG-4); the print layout of letters is
        // the letter export's business.
        ("activation_letter", false) => (
            "activation_letter",
            Text {
                subject: "Ihr Aktivierungscode",
                short: "Ihr Aktivierungscode: {code}. Gültig bis {valid_until}.",
                long: "Guten Tag,\n\nSie haben sich für unser Online-Konto registriert. \
                       Ihr Aktivierungscode lautet:\n\n    {code}\n\nMelden Sie sich an und \
                       geben Sie den Code ein. Er ist gültig bis {valid_until} und nur einmal \
                       verwendbar. Wenn Sie sich nicht registriert haben, rufen Sie bitte \
                       unsere Hotline an.",
                optional: &[],
            },
        ),
        ("activation_letter", true) => (
            "activation_letter",
            Text {
                subject: "Your activation code",
                short: "Your activation code: {code}. Valid until {valid_until}.",
                long: "Hello,\n\nyou registered for our online account. Your activation \
                       code is:\n\n    {code}\n\nSign in and enter the code. It is valid \
                       until {valid_until} and can be used once. If you did not register, \
                       please call our hotline.",
                optional: &[],
            },
        ),
        _ => return None,
    };
    Some(found)
}

/// Whether the channel gets the short text (one SMS segment) or the long one.
pub fn is_short(channel: Channel) -> bool {
    matches!(channel, Channel::Sms | Channel::Push)
}

/// Renders a message in its language for its channel.
pub fn render(message: &OutboundMessage) -> Result<Rendered, TextError> {
    render_parts(
        &message.template,
        &message.language,
        message.channel,
        &message.params,
    )
}

/// Renders a template for a channel; `language` `en` is English, anything
/// else German.
pub fn render_parts(
    template: &str,
    language: &str,
    channel: Channel,
    params: &BTreeMap<String, String>,
) -> Result<Rendered, TextError> {
    let english = language.eq_ignore_ascii_case("en") || language.starts_with("en-");
    let (name, text) =
        self::text(template, english).ok_or_else(|| TextError::UnknownTemplate(template.into()))?;
    if is_short(channel) {
        return Ok(Rendered {
            subject: String::new(),
            body: fill(name, text.short, params)?,
        });
    }
    let mut body = fill(name, text.long, params)?;
    for (param, line) in text.optional {
        if params.contains_key(*param) {
            body.push_str(&fill(name, line, params)?);
        }
    }
    body.push_str(if english { EN_FOOTER } else { DE_FOOTER });
    Ok(Rendered {
        subject: fill(name, text.subject, params)?,
        body,
    })
}

/// Replaces every `{name}` by the cleaned parameter `name`.
fn fill(
    template: &'static str,
    text: &str,
    params: &BTreeMap<String, String>,
) -> Result<String, TextError> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = &after[..close];
        let value = params.get(name).ok_or_else(|| TextError::MissingParam {
            template,
            param: name.to_owned(),
        })?;
        out.push_str(&clean(value));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A parameter as plain text on one line: control characters (CR, LF, tab,
/// …) become spaces, surrounding blanks are trimmed.
pub fn clean(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn code_params() -> BTreeMap<String, String> {
        params(&[("code", "4711 0815"), ("valid_minutes", "10")])
    }

    #[test]
    fn r_mf_3_every_template_renders_in_german_and_english_with_the_code() {
        for template in TEMPLATES {
            for language in ["de", "en"] {
                for channel in [Channel::Sms, Channel::Email, Channel::Letter, Channel::Push] {
                    let rendered = render_parts(template, language, channel, &code_params())
                        .unwrap_or_else(|e| panic!("{template}/{language}: {e}"));
                    assert!(rendered.body.contains("4711 0815"), "{template}/{language}");
                    assert!(rendered.body.contains("10"), "{template}/{language}");
                    assert!(!rendered.body.contains('{'), "{template}/{language}");
                    if is_short(channel) {
                        assert!(rendered.subject.is_empty());
                    } else {
                        assert!(!rendered.subject.is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn r_rg_4_the_activation_letter_carries_the_code_and_its_validity() {
        let letter = params(&[
            ("code", "7KQ2-HXM4-9PTA-3RWC-E6NF-YB8D"),
            ("valid_until", "2027-03-01"),
        ]);
        for language in ["de", "en"] {
            let rendered =
                render_parts("activation_letter", language, Channel::Letter, &letter).unwrap();
            assert!(rendered.body.contains("7KQ2-HXM4-9PTA-3RWC-E6NF-YB8D"));
            assert!(rendered.body.contains("2027-03-01"));
        }
    }

    #[test]
    fn r_mf_3_german_is_primary_and_english_is_english() {
        let de = render_parts("login_code", "de", Channel::Email, &code_params()).unwrap();
        assert_eq!(de.subject, "Ihr Anmeldecode");
        assert!(de.body.contains("Minuten gültig"));
        let en = render_parts("login_code", "en", Channel::Email, &code_params()).unwrap();
        assert_eq!(en.subject, "Your login code");
        assert!(en.body.contains("valid for 10 minutes"));
        let other = render_parts("login_code", "fr", Channel::Email, &code_params()).unwrap();
        assert_eq!(other, de, "unknown languages fall back to German");
    }

    #[test]
    fn r_mf_3_sms_bodies_fit_one_segment_with_a_ten_digit_code() {
        let long = params(&[("code", "1234567890"), ("valid_minutes", "15")]);
        for template in TEMPLATES {
            for language in ["de", "en"] {
                let rendered = render_parts(template, language, Channel::Sms, &long).unwrap();
                let length = rendered.body.chars().count();
                assert!(length < 160, "{template}/{language}: {length} characters");
            }
        }
    }

    #[test]
    fn unknown_template_is_an_error_never_an_empty_message() {
        assert_eq!(
            render_parts("welcome", "de", Channel::Email, &code_params()),
            Err(TextError::UnknownTemplate("welcome".into()))
        );
    }

    #[test]
    fn missing_parameter_is_an_error() {
        let result = render_parts("login_code", "de", Channel::Sms, &params(&[("code", "1")]));
        assert_eq!(
            result,
            Err(TextError::MissingParam {
                template: "login_code",
                param: "valid_minutes".into()
            })
        );
    }

    #[test]
    fn parameters_cannot_add_lines_or_headers() {
        let mut p = code_params();
        p.insert(
            "action".into(),
            "Konto löschen\r\nBcc: evil@example.org".into(),
        );
        let rendered = render_parts("step_up_code", "de", Channel::Email, &p).unwrap();
        assert!(
            rendered
                .body
                .contains("Zu bestätigen: Konto löschen  Bcc: evil@example.org")
        );
        assert!(!rendered.body.contains("\r"));
    }

    #[test]
    fn optional_action_line_only_when_given() {
        let without = render_parts("step_up_code", "en", Channel::Email, &code_params()).unwrap();
        assert!(!without.body.contains("To be confirmed"));
        let mut p = code_params();
        p.insert("action".into(), "change password".into());
        let with = render_parts("step_up_code", "en", Channel::Email, &p).unwrap();
        assert!(with.body.contains("To be confirmed: change password"));
    }
}
