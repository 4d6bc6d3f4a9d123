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
pub const TEMPLATES: [&str; 6] = [
    "login_code",
    "enrol_code",
    "step_up_code",
    "contact_code",
    "reset_code",
    "contact_change_code",
];

/// The templates of notices: no code in them, a footer of their own (R-RC).
pub const NOTICES: [&str; 6] = [
    "password_reset_notice",
    "password_changed_notice",
    "email_changed_notice",
    "mobile_changed_notice",
    "account_deleted_notice",
    "username_reminder",
];

/// The templates of letters by post (R-RG-4, R-PW-3). Their printed form
/// comes from the theme (`themes/<theme>/letters/`, [`crate::print`]); the
/// texts here are what the dev outbox shows and what any other channel
/// would carry.
pub const LETTER_TEMPLATES: [&str; 2] = ["activation_letter", "initial_password_letter"];

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

const DE_NOTICE_FOOTER: &str = "\n\nWenn Sie das nicht waren, setzen Sie bitte sofort Ihr \
Passwort zurück oder wenden Sie sich an Ihre Krankenkasse.\n\nDiese Nachricht wurde automatisch \
erstellt; bitte antworten Sie nicht darauf.\n";

const EN_NOTICE_FOOTER: &str = "\n\nIf this was not you, reset your password at once or contact \
your health insurer.\n\nThis message was sent automatically; please do not reply to it.\n";

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
        ("activation_letter", false) => (
            "activation_letter",
            Text {
                subject: "Ihr Aktivierungscode",
                short: "Ihr Aktivierungscode: {code}. Gültig bis {valid_until}. Nicht weitergeben.",
                long: "Guten Tag {given_name} {family_name},\n\nmit diesem Code bestätigen Sie \
                       Ihre Identität und schalten Ihr Konto frei:\n\n    {code}\n\n\
                       Geben Sie ihn bei Ihrer nächsten Anmeldung ein. Er gilt bis \
                       {valid_until} und nur einmal. Haben Sie einen neuen Code angefordert, \
                       gilt nur noch der neueste. Wenn Sie sich nicht registriert haben, \
                       ignorieren Sie diesen Brief.",
                optional: &[],
            },
        ),
        ("activation_letter", true) => (
            "activation_letter",
            Text {
                subject: "Your activation code",
                short: "Your activation code: {code}. Valid until {valid_until}. Do not share it.",
                long: "Dear {given_name} {family_name},\n\nthis code confirms your identity \
                       and activates your account:\n\n    {code}\n\nEnter it the next \
                       time you log in. It is valid until {valid_until} and only once. If \
                       you asked for a new code, only the newest one is valid. If you did \
                       not register, ignore this letter.",
                optional: &[],
            },
        ),
        ("initial_password_letter", false) => (
            "initial_password_letter",
            Text {
                subject: "Ihre Zugangsdaten",
                short: "Ihr Benutzername: {username}. Ihr Erstpasswort: {password}. \
                        Nicht weitergeben.",
                long: "Guten Tag {given_name} {family_name},\n\nwir haben für Sie ein Konto \
                       eingerichtet. Ihre Zugangsdaten:\n\n    Benutzername: {username}\n    \
                       Erstpasswort: {password}\n\nBei der ersten Anmeldung legen Sie \
                       ein eigenes Passwort fest; das Erstpasswort gilt danach nicht mehr. \
                       Vernichten Sie diesen Brief nach der ersten Anmeldung.",
                optional: &[],
            },
        ),
        ("initial_password_letter", true) => (
            "initial_password_letter",
            Text {
                subject: "Your login details",
                short: "Your username: {username}. Your initial password: {password}. \
                        Do not share it.",
                long: "Dear {given_name} {family_name},\n\nwe have set up an account for \
                       you. Your login details:\n\n    Username: {username}\n    Initial \
                       password: {password}\n\nAt your first login you choose a password \
                       of your own; the initial password is invalid afterwards. Destroy \
                       this letter after your first login.",
                optional: &[],
            },
        ),
        ("reset_code", false) => (
            "reset_code",
            Text {
                subject: "Code zum Zurücksetzen Ihres Passworts",
                short: "Code zum Zurücksetzen Ihres Passworts: {code}. Gültig {valid_minutes} Min. \
                        Nicht weitergeben.",
                long: "Guten Tag,\n\njemand möchte das Passwort Ihres Kontos zurücksetzen. Wenn \
                       Sie das waren, geben Sie diesen Code ein:\n\n    {code}\n\nEr ist \
                       {valid_minutes} Minuten gültig und gilt nur einmal. Wenn nicht, \
                       ignorieren Sie diese Nachricht; Ihr Passwort bleibt unverändert.",
                optional: &[],
            },
        ),
        ("reset_code", true) => (
            "reset_code",
            Text {
                subject: "Code to reset your password",
                short: "Code to reset your password: {code}. Valid {valid_minutes} min. \
                        Do not share it.",
                long: "Hello,\n\nsomeone wants to reset the password of your account. If \
                       that was you, enter this code:\n\n    {code}\n\nIt is valid for \
                       {valid_minutes} minutes and once only. If not, ignore this message; \
                       your password stays as it is.",
                optional: &[],
            },
        ),
        ("contact_change_code", false) => (
            "contact_change_code",
            Text {
                subject: "Bestätigen Sie Ihre neue Adresse",
                short: "Code zur Bestätigung Ihrer neuen Kontaktdaten: {code}. Gültig \
                        {valid_minutes} Min. Nicht weitergeben.",
                long: "Guten Tag,\n\nSie möchten diese Adresse in Ihrem Konto hinterlegen. Ihr \
                       Bestätigungscode lautet:\n\n    {code}\n\nEr ist {valid_minutes} \
                       Minuten gültig. Wenn Sie das nicht veranlasst haben, ignorieren Sie \
                       diese Nachricht.",
                optional: &[],
            },
        ),
        ("contact_change_code", true) => (
            "contact_change_code",
            Text {
                subject: "Confirm your new address",
                short: "Code to confirm your new contact details: {code}. Valid \
                        {valid_minutes} min. Do not share it.",
                long: "Hello,\n\nyou want to use this address for your account. Your \
                       confirmation code is:\n\n    {code}\n\nIt is valid for {valid_minutes} \
                       minutes. If you did not ask for this, ignore this message.",
                optional: &[],
            },
        ),
        ("password_reset_notice", false) => (
            "password_reset_notice",
            Text {
                subject: "Ihr Passwort wurde zurückgesetzt",
                short: "Ihr Passwort wurde zurückgesetzt und alle Sitzungen wurden beendet.",
                long: "Guten Tag,\n\ndas Passwort Ihres Kontos wurde soeben mit einem \
                       Bestätigungscode zurückgesetzt. Alle Anmeldungen auf anderen Geräten \
                       wurden beendet.",
                optional: &[],
            },
        ),
        ("password_reset_notice", true) => (
            "password_reset_notice",
            Text {
                subject: "Your password was reset",
                short: "Your password was reset and all sessions were ended.",
                long: "Hello,\n\nthe password of your account has just been reset with a \
                       confirmation code. Every login on other devices was ended.",
                optional: &[],
            },
        ),
        ("password_changed_notice", false) => (
            "password_changed_notice",
            Text {
                subject: "Ihr Passwort wurde geändert",
                short: "Das Passwort Ihres Kontos wurde geändert.",
                long: "Guten Tag,\n\ndas Passwort Ihres Kontos wurde soeben in den \
                       Kontoeinstellungen geändert.",
                optional: &[],
            },
        ),
        ("password_changed_notice", true) => (
            "password_changed_notice",
            Text {
                subject: "Your password was changed",
                short: "The password of your account was changed.",
                long: "Hello,\n\nthe password of your account has just been changed in the \
                       account settings.",
                optional: &[],
            },
        ),
        ("email_changed_notice", false) => (
            "email_changed_notice",
            Text {
                subject: "Ihre E-Mail-Adresse wurde geändert",
                short: "Die E-Mail-Adresse Ihres Kontos wurde in {new} geändert.",
                long: "Guten Tag,\n\ndie E-Mail-Adresse Ihres Kontos wurde soeben geändert. \
                       Nachrichten gehen ab jetzt an {new}, nicht mehr an diese Adresse.",
                optional: &[],
            },
        ),
        ("email_changed_notice", true) => (
            "email_changed_notice",
            Text {
                subject: "Your e-mail address was changed",
                short: "The e-mail address of your account was changed to {new}.",
                long: "Hello,\n\nthe e-mail address of your account has just been changed. \
                       Messages now go to {new}, no longer to this address.",
                optional: &[],
            },
        ),
        ("mobile_changed_notice", false) => (
            "mobile_changed_notice",
            Text {
                subject: "Ihre Mobilnummer wurde geändert",
                short: "Die Mobilnummer Ihres Kontos wurde in {new} geändert. Waren Sie das \
                        nicht, setzen Sie Ihr Passwort zurück.",
                long: "Guten Tag,\n\ndie Mobilnummer Ihres Kontos wurde soeben in {new} \
                       geändert.",
                optional: &[],
            },
        ),
        ("mobile_changed_notice", true) => (
            "mobile_changed_notice",
            Text {
                subject: "Your mobile number was changed",
                short: "The mobile number of your account was changed to {new}. If this was \
                        not you, reset your password.",
                long: "Hello,\n\nthe mobile number of your account has just been changed to \
                       {new}.",
                optional: &[],
            },
        ),
        ("account_deleted_notice", false) => (
            "account_deleted_notice",
            Text {
                subject: "Ihr Konto wurde gelöscht",
                short: "Ihr Konto {username} wurde gelöscht.",
                long: "Guten Tag,\n\nIhr Konto {username} wurde auf Ihren Wunsch gelöscht. \
                       Zugangsdaten, zweite Faktoren und persönliche Angaben sind entfernt; \
                       Sie können sich mit Ihrer Versichertennummer jederzeit neu \
                       registrieren.",
                optional: &[],
            },
        ),
        ("account_deleted_notice", true) => (
            "account_deleted_notice",
            Text {
                subject: "Your account was deleted",
                short: "Your account {username} was deleted.",
                long: "Hello,\n\nyour account {username} was deleted as you asked. Login \
                       data, second factors and personal details are removed; you can \
                       register again with your insurance number at any time.",
                optional: &[],
            },
        ),
        ("username_reminder", false) => (
            "username_reminder",
            Text {
                subject: "Ihr Benutzername",
                short: "Ihr Benutzername: {username}",
                long: "Guten Tag,\n\nSie haben nach Ihrem Benutzernamen gefragt. Er lautet:\n\n    \
                       {username}",
                optional: &[],
            },
        ),
        ("username_reminder", true) => (
            "username_reminder",
            Text {
                subject: "Your username",
                short: "Your username: {username}",
                long: "Hello,\n\nyou asked for your username. It is:\n\n    {username}",
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
    let footer = match (NOTICES.contains(&name), english) {
        (true, true) => EN_NOTICE_FOOTER,
        (true, false) => DE_NOTICE_FOOTER,
        (false, true) => EN_FOOTER,
        (false, false) => DE_FOOTER,
    };
    body.push_str(footer);
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
    fn r_rg_4_letter_templates_render_in_german_and_english() {
        let activation = params(&[
            ("code", "SI37-FF96-2013-0808-0903-3876"),
            ("valid_until", "2027-03-01"),
            ("given_name", "Jürgen"),
            ("family_name", "Groß"),
        ]);
        let de = render_parts("activation_letter", "de", Channel::Letter, &activation).unwrap();
        assert_eq!(de.subject, "Ihr Aktivierungscode");
        assert!(de.body.starts_with("Guten Tag Jürgen Groß,"));
        assert!(de.body.contains("SI37-FF96-2013-0808-0903-3876"));
        assert!(de.body.contains("gilt bis 2027-03-01"));
        let en = render_parts("activation_letter", "en", Channel::Letter, &activation).unwrap();
        assert_eq!(en.subject, "Your activation code");
        assert!(en.body.contains("valid until 2027-03-01"));

        let password = params(&[
            ("username", "erika.m"),
            ("password", "Xk4#mP9q"),
            ("given_name", "Erika"),
            ("family_name", "Mustermann"),
        ]);
        for language in ["de", "en"] {
            let rendered = render_parts(
                "initial_password_letter",
                language,
                Channel::Letter,
                &password,
            )
            .unwrap();
            assert!(rendered.body.contains("erika.m"), "{language}");
            assert!(rendered.body.contains("Xk4#mP9q"), "{language}");
            assert!(!rendered.body.contains('{'), "{language}");
        }
        assert_eq!(
            render_parts("activation_letter", "de", Channel::Letter, &password),
            Err(TextError::MissingParam {
                template: "activation_letter",
                param: "code".into()
            })
        );
    }

    #[test]
    fn r_rc_1_notices_render_in_both_languages_without_a_code_footer() {
        let p = params(&[("new", "n•••@example.org"), ("username", "erika")]);
        for template in NOTICES {
            for language in ["de", "en"] {
                for channel in [Channel::Sms, Channel::Email] {
                    let rendered = render_parts(template, language, channel, &p)
                        .unwrap_or_else(|e| panic!("{template}/{language}: {e}"));
                    assert!(!rendered.body.contains('{'), "{template}/{language}");
                    assert!(!rendered.body.contains("Code an niemanden"));
                    assert!(rendered.body.chars().count() < 160 || !is_short(channel));
                }
            }
        }
        let reminder = render_parts("username_reminder", "en", Channel::Email, &p).unwrap();
        assert!(reminder.body.contains("erika"));
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
