//! The print batch of letters by post (R-RG-4 activation letters, R-PW-3
//! initial-password letters): every pending letter becomes one A4 page of one
//! PDF ([`crate::pdf`]) laid out for a window envelope, plus a CSV manifest
//! for the print service.
//!
//! The page follows DIN 5008 form B: folding marks at 105 mm and 210 mm and a
//! hole mark at 148.5 mm; the address field starts 20 mm from the left and
//! 45 mm from the top (the window of a DL or C6/5 envelope), with the sender's
//! return line at the foot of its 17.7 mm note zone and up to six address
//! lines in the 27.3 mm below; text starts 25 mm from the left (the left
//! margin); the information block (date, letter number) at 125 mm; the
//! subject below the address field; the body at 11 pt, the code or the
//! access data in large monospaced type. The letter id is printed small at
//! the foot so that a returned or queried letter leads to its manifest line.
//!
//! The wording is not in the code: each template has a text file per
//! language in the theme (`letters/<template>.<de|en>.txt`, see
//! [`LetterTemplate::parse`]), so a brand changes it without a rebuild.

use crate::pdf::{Document, Font, PT_PER_MM, Page, wrap};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use pforte_identity::letters::Letter;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Left edge of the text (DIN 5008 left margin), mm.
const LEFT: f32 = 25.0;
/// Right edge of the text (20 mm right margin), mm.
const RIGHT: f32 = 190.0;
/// Baseline of the sender's return line, at the foot of the note zone, mm.
const SENDER_LINE_TOP: f32 = 60.5;
/// Baseline of the first address line (the address zone begins at 62.7 mm), mm.
const ADDRESS_TOP: f32 = 67.0;
/// Left edge of the information block (DIN 5008 form B), mm.
const INFO_LEFT: f32 = 125.0;
const SUBJECT_TOP: f32 = 103.5;
const BODY_TOP: f32 = 114.0;
/// The body must end above the foot line.
const BODY_BOTTOM: f32 = 275.0;
const FOOT_TOP: f32 = 287.0;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error("letter template {file}: {reason}")]
    Template { file: String, reason: String },
    #[error("no letter template {template:?} in the theme (letters/{template}.{language}.txt)")]
    NoTemplate { template: String, language: String },
    #[error("letter {letter}: the template needs the parameter {param:?}")]
    MissingParam { letter: String, param: String },
    #[error("letter {letter}: the text does not fit on one page")]
    TooLong { letter: String },
}

/// One line of a template body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum BodyLine {
    /// A paragraph line, wrapped at the right margin.
    Text(String),
    /// A line in large monospaced type (`!big …`): the code, the password.
    Big(String),
    Blank,
}

/// A letter's text in one language, read from the theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterTemplate {
    /// The sender's name at the top of the page.
    letterhead: String,
    /// The sender's return line above the address (`Name · Street · Town`).
    sender: String,
    subject: String,
    body: Vec<BodyLine>,
}

impl LetterTemplate {
    /// Reads a template file: header lines `key: value` (`letterhead`,
    /// `sender`, `subject`; all required), a line `---`, then the body.
    /// In the body a line starting with `!big ` is set in large monospaced
    /// type, an empty line is a paragraph break, and `{name}` is replaced by
    /// the letter's parameter `name` (`{name|date}` prints an ISO date as
    /// the language writes it). Lines starting with `#` are comments.
    pub fn parse(file: &str, text: &str) -> Result<Self, PrintError> {
        let invalid = |reason: &str| PrintError::Template {
            file: file.to_owned(),
            reason: reason.to_owned(),
        };
        let mut header: HashMap<&str, String> = HashMap::new();
        let mut lines = text.lines();
        let mut separated = false;
        for line in lines.by_ref() {
            let line = line.trim_end();
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if line == "---" {
                separated = true;
                break;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(invalid("a header line needs the form `key: value`"));
            };
            let key = key.trim();
            if !["letterhead", "sender", "subject"].contains(&key) {
                return Err(invalid(&format!("unknown header {key:?}")));
            }
            header.insert(key, value.trim().to_owned());
        }
        if !separated {
            return Err(invalid("the line `---` between header and body is missing"));
        }
        let mut take = |key: &str| {
            header
                .remove(key)
                .ok_or_else(|| invalid(&format!("the header {key:?} is missing")))
        };
        let letterhead = take("letterhead")?;
        let sender = take("sender")?;
        let subject = take("subject")?;
        let mut body: Vec<BodyLine> = lines
            .filter(|line| !line.starts_with('#'))
            .map(|line| {
                let line = line.trim_end();
                if let Some(big) = line.strip_prefix("!big ") {
                    BodyLine::Big(big.trim().to_owned())
                } else if line.trim().is_empty() {
                    BodyLine::Blank
                } else {
                    BodyLine::Text(line.to_owned())
                }
            })
            .collect();
        while body.last() == Some(&BodyLine::Blank) {
            body.pop();
        }
        if body.is_empty() {
            return Err(invalid("the body is empty"));
        }
        Ok(Self {
            letterhead,
            sender,
            subject,
            body,
        })
    }
}

/// Whether a letter's language is English (as in [`crate::texts`]); every
/// other language prints in German.
pub fn is_english(language: &str) -> bool {
    language.eq_ignore_ascii_case("en") || language.starts_with("en-")
}

/// The file name of a template in a theme's `letters/` folder.
pub fn template_file(template: &str, english: bool) -> String {
    format!("{template}.{}.txt", if english { "en" } else { "de" })
}

/// The templates an export uses, by template name and language.
#[derive(Debug, Clone, Default)]
pub struct LetterTemplates {
    templates: HashMap<(String, bool), LetterTemplate>,
}

impl LetterTemplates {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, template: &str, english: bool, text: LetterTemplate) {
        self.templates.insert((template.to_owned(), english), text);
    }

    fn get(&self, template: &str, english: bool) -> Result<&LetterTemplate, PrintError> {
        self.templates
            .get(&(template.to_owned(), english))
            .ok_or_else(|| PrintError::NoTemplate {
                template: template.to_owned(),
                language: if english { "en" } else { "de" }.to_owned(),
            })
    }
}

/// A rendered batch.
#[derive(Debug, Clone)]
pub struct PrintBatch {
    /// The PDF, one page per letter in the order given.
    pub pdf: Vec<u8>,
    /// The CSV manifest (RFC 4180, `,`, UTF-8): one line per letter.
    pub manifest: String,
    pub pages: usize,
}

/// Prints the letters, in the order given, into one PDF with its manifest.
pub fn print_batch(
    letters: &[Letter],
    templates: &LetterTemplates,
    date: NaiveDate,
    batch: &str,
) -> Result<PrintBatch, PrintError> {
    let mut document = Document::new(&format!("Pforte letters {batch}"));
    let mut manifest =
        String::from("letter_id,page,template,recipient_name,postal_code,created_at\r\n");
    for (index, letter) in letters.iter().enumerate() {
        let english = is_english(&letter.language);
        let template = templates.get(&letter.template, english)?;
        document.push(letter_page(letter, template, date, english)?);
        let _ = write!(
            manifest,
            "{},{},{},{},{},{}\r\n",
            letter.id,
            index + 1,
            csv_field(&letter.template),
            csv_field(letter.recipient_name()),
            csv_field(letter.postal_code()),
            rfc3339(letter.created_at)
        );
    }
    Ok(PrintBatch {
        pages: document.page_count(),
        pdf: document.to_bytes(),
        manifest,
    })
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date as a letter writes it: `1. Dezember 2026`, `1 December 2026`.
pub fn long_date(date: NaiveDate, english: bool) -> String {
    let month = usize::try_from(date.month0()).unwrap_or(0);
    if english {
        format!("{} {} {}", date.day(), MONTHS_EN[month], date.year())
    } else {
        format!("{}. {} {}", date.day(), MONTHS_DE[month], date.year())
    }
}

/// Replaces the placeholders of one template line by the letter's
/// parameters (cleaned to one line each, as in [`crate::texts`]).
fn fill(
    line: &str,
    params: &BTreeMap<String, String>,
    english: bool,
    letter: &Letter,
) -> Result<String, PrintError> {
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let (name, filter) = match after[..close].split_once('|') {
            Some((name, filter)) => (name.trim(), Some(filter.trim())),
            None => (after[..close].trim(), None),
        };
        let value = params
            .get(name)
            .map(|value| crate::texts::clean(value))
            .ok_or_else(|| PrintError::MissingParam {
                letter: letter.id.to_string(),
                param: name.to_owned(),
            })?;
        match filter {
            Some("date") => match NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
                Ok(date) if english => out.push_str(&long_date(date, true)),
                Ok(date) => out.push_str(&date.format("%d.%m.%Y").to_string()),
                Err(_) => out.push_str(&value),
            },
            _ => out.push_str(&value),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Lays out one letter on one page.
pub fn letter_page(
    letter: &Letter,
    template: &LetterTemplate,
    date: NaiveDate,
    english: bool,
) -> Result<Page, PrintError> {
    let fill = |line: &str| fill(line, &letter.params, english, letter);
    let mut page = Page::new();
    // Folding marks (form B: 105 mm and 210 mm) and the hole mark.
    page.line((3.0, 105.0), (8.0, 105.0), 0.4);
    page.line((3.0, 148.5), (10.0, 148.5), 0.4);
    page.line((3.0, 210.0), (8.0, 210.0), 0.4);

    page.text(Font::HelveticaBold, 14.0, LEFT, 25.0, &template.letterhead);
    page.text(
        Font::Helvetica,
        7.0,
        LEFT,
        SENDER_LINE_TOP,
        &template.sender,
    );
    page.line(
        (LEFT, SENDER_LINE_TOP + 1.0),
        (100.0, SENDER_LINE_TOP + 1.0),
        0.3,
    );
    for (index, line) in letter.address.iter().enumerate() {
        page.text(
            Font::Helvetica,
            10.0,
            LEFT,
            ADDRESS_TOP + 4.23 * index as f32,
            line,
        );
    }
    let (date_label, number_label) = if english {
        ("Date", "Letter no.")
    } else {
        ("Datum", "Brief-Nr.")
    };
    let simple = letter.id.simple().to_string();
    let short_id = &simple[simple.len().saturating_sub(12)..];
    page.text(
        Font::Helvetica,
        9.0,
        INFO_LEFT,
        55.0,
        &format!("{date_label}: {}", long_date(date, english)),
    );
    page.text(
        Font::Helvetica,
        9.0,
        INFO_LEFT,
        60.0,
        &format!("{number_label}: {short_id}"),
    );
    page.text(
        Font::HelveticaBold,
        12.0,
        LEFT,
        SUBJECT_TOP,
        &fill(&template.subject)?,
    );

    let width = (RIGHT - LEFT) * PT_PER_MM;
    let mut top = BODY_TOP;
    for line in &template.body {
        match line {
            BodyLine::Blank => top += 5.0,
            BodyLine::Text(text) => {
                for wrapped in wrap(Font::Helvetica, 11.0, &fill(text)?, width) {
                    page.text(Font::Helvetica, 11.0, LEFT, top, &wrapped);
                    top += 5.0;
                }
            }
            BodyLine::Big(text) => {
                top += 3.0;
                for wrapped in wrap(Font::CourierBold, 16.0, &fill(text)?, width) {
                    page.text(Font::CourierBold, 16.0, LEFT + 5.0, top, &wrapped);
                    top += 8.0;
                }
            }
        }
        if top > BODY_BOTTOM {
            return Err(PrintError::TooLong {
                letter: letter.id.to_string(),
            });
        }
    }
    page.text(
        Font::Helvetica,
        7.0,
        LEFT,
        FOOT_TOP,
        &format!("{} {}", letter.template, letter.id),
    );
    Ok(page)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    const ACTIVATION_DE: &str = "# Aktivierungsbrief\n\
        letterhead: Pforte Krankenkasse\n\
        sender: Pforte Krankenkasse · Postfach 10 01 01 · 10001 Berlin\n\
        subject: Ihr Aktivierungscode\n\
        ---\n\
        Guten Tag {given_name} {family_name},\n\
        \n\
        Ihr Code:\n\
        !big {code}\n\
        \n\
        Gültig bis {valid_until|date}.\n\n\n";

    fn letter(code: &str) -> Letter {
        Letter {
            id: Uuid::now_v7(),
            account_id: None,
            template: "activation_letter".into(),
            language: "de".into(),
            address: vec![
                "Jürgen Groß".into(),
                "Hauptstraße 5".into(),
                "10115 Berlin".into(),
            ],
            params: [
                ("code", code),
                ("valid_until", "2027-03-01"),
                ("given_name", "Jürgen"),
                ("family_name", "Groß"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            created_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
            exported_at: None,
            batch_id: None,
        }
    }

    fn templates() -> LetterTemplates {
        let mut templates = LetterTemplates::new();
        templates.insert(
            "activation_letter",
            false,
            LetterTemplate::parse("activation_letter.de.txt", ACTIVATION_DE).unwrap(),
        );
        templates
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn r_rg_4_a_batch_has_one_page_per_letter_and_a_manifest_line_each() {
        let letters = [letter("SI37-FF96-2013-0808-0903-3876"), letter("AB12-CD34")];
        let batch = print_batch(&letters, &templates(), day(), "b1").unwrap();
        assert_eq!(batch.pages, 2);
        let pdf = String::from_utf8_lossy(&batch.pdf);
        assert_eq!(pdf.matches("/Type /Page /").count(), 2);
        assert!(pdf.contains("(SI37-FF96-2013-0808-0903-3876) Tj"));
        assert!(pdf.contains("/Courier-Bold"));
        // Umlauts and ß in WinAnsi octal escapes: "Jürgen Groß".
        assert!(pdf.contains("(J\\374rgen Gro\\337) Tj"));
        assert!(pdf.contains("(G\\374ltig bis 01.03.2027.) Tj"));
        assert!(pdf.contains("(Datum: 1. Dezember 2026) Tj"));
        let lines: Vec<&str> = batch.manifest.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "letter_id,page,template,recipient_name,postal_code,created_at"
        );
        assert_eq!(
            lines[1],
            format!(
                "{},1,activation_letter,Jürgen Groß,10115,2026-12-01T09:00:00Z",
                letters[0].id
            )
        );
        assert!(lines[2].starts_with(&format!("{},2,", letters[1].id)));
    }

    #[test]
    fn r_rg_4_the_address_sits_in_the_din_5008_window() {
        let page = letter_page(
            &letter("X"),
            templates().get("activation_letter", false).unwrap(),
            day(),
            false,
        )
        .unwrap();
        let batch = {
            let mut document = Document::new("t");
            document.push(page);
            String::from_utf8_lossy(&document.to_bytes()).into_owned()
        };
        // 25 mm from the left; first address line 67 mm from the top.
        let x = 25.0 * PT_PER_MM;
        let y = crate::pdf::A4_HEIGHT - 67.0 * PT_PER_MM;
        assert!(batch.contains(&format!("{x:.2} {y:.2} Td (J\\374rgen Gro\\337) Tj")));
    }

    #[test]
    fn r_rg_4_missing_parameters_and_templates_are_errors() {
        let mut without_code = letter("X");
        without_code.params.remove("code");
        assert!(matches!(
            print_batch(&[without_code], &templates(), day(), "b"),
            Err(PrintError::MissingParam { param, .. }) if param == "code"
        ));
        let mut english = letter("X");
        english.language = "en".into();
        assert!(matches!(
            print_batch(&[english], &templates(), day(), "b"),
            Err(PrintError::NoTemplate { .. })
        ));
    }

    #[test]
    fn r_rg_4_a_text_longer_than_a_page_is_refused() {
        let long = format!("{ACTIVATION_DE}{}", "Zeile\n".repeat(40));
        let template = LetterTemplate::parse("long", &long).unwrap();
        assert!(matches!(
            letter_page(&letter("X"), &template, day(), false),
            Err(PrintError::TooLong { .. })
        ));
    }

    #[test]
    fn r_rg_4_r_pw_3_the_base_theme_letters_fit_one_page_in_both_languages() {
        let files = [
            (
                "activation_letter",
                false,
                include_str!("../../../themes/base/letters/activation_letter.de.txt"),
            ),
            (
                "activation_letter",
                true,
                include_str!("../../../themes/base/letters/activation_letter.en.txt"),
            ),
            (
                "initial_password_letter",
                false,
                include_str!("../../../themes/base/letters/initial_password_letter.de.txt"),
            ),
            (
                "initial_password_letter",
                true,
                include_str!("../../../themes/base/letters/initial_password_letter.en.txt"),
            ),
        ];
        for (template, english, text) in files {
            let parsed = LetterTemplate::parse(template, text).unwrap();
            let mut sample = letter("SI37-FF96-2013-0808-0903-3876");
            sample.template = template.to_owned();
            sample
                .params
                .insert("username".into(), "juergen.gross.1980".into());
            sample
                .params
                .insert("password".into(), "Xk4#mP9qRt2!".into());
            // The longest address the window takes.
            sample.address = vec!["Ä".repeat(60); 6];
            let page = letter_page(&sample, &parsed, day(), english)
                .unwrap_or_else(|e| panic!("{template} {english}: {e}"));
            let mut document = Document::new("t");
            document.push(page);
            let pdf = String::from_utf8_lossy(&document.to_bytes()).into_owned();
            let needle = if template == "activation_letter" {
                "(SI37-FF96-2013-0808-0903-3876) Tj"
            } else {
                "(Xk4#mP9qRt2!) Tj"
            };
            assert!(pdf.contains(needle), "{template} {english}");
            assert!(!pdf.contains('{'), "{template} {english}: placeholder left");
        }
    }

    #[test]
    fn templates_without_header_or_separator_are_refused() {
        assert!(LetterTemplate::parse("a", "subject: x\nBody").is_err());
        assert!(LetterTemplate::parse("a", "subject: x\n---\nBody").is_err());
        assert!(LetterTemplate::parse("a", "colour: red\n---\nBody").is_err());
    }

    #[test]
    fn manifest_fields_with_separators_are_quoted() {
        assert_eq!(csv_field("Groß, Jürgen"), "\"Groß, Jürgen\"");
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
