//! Comparing an ident service's verified claims with the member record
//! (R-RG-5). Pure.
//!
//! Names are compared after folding what legitimately differs between two
//! systems that spell the same name: letter case, surrounding and repeated
//! white space, hyphens between parts of a name, German umlauts and `ß`
//! (`Müller` = `Mueller`, `Strauß` = `Strauss`) and accents on other Latin
//! letters (`José` = `Jose`). What remains must be equal: a name that differs
//! in a letter is a different name. The birth date must be the full date
//! (OIDC Core 5.1 `birthdate`, `YYYY-MM-DD`) and equal; a year alone or a
//! date without year (`0000-MM-DD`) does not prove who someone is.

use super::IdentClaims;
use crate::member::Member;
use chrono::NaiveDate;

/// A claim that is compared with the member record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    GivenName,
    FamilyName,
    Birthdate,
}

impl Field {
    /// The OIDC claim name (OIDC Core 5.1), also used in the audit detail.
    pub fn claim(self) -> &'static str {
        match self {
            Field::GivenName => "given_name",
            Field::FamilyName => "family_name",
            Field::Birthdate => "birthdate",
        }
    }
}

/// Why a field did not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// The ident service did not send the claim (or sent it in an unusable
    /// form, such as a birth year only).
    Missing,
    /// It sent a different value.
    Differs,
}

/// The result of a comparison: empty means the claims prove the member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchReport {
    pub mismatches: Vec<(Field, Mismatch)>,
}

impl MatchReport {
    pub fn is_match(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// For the audit trail: `given_name=differs,birthdate=missing`. Never the
    /// values themselves (personal data stays out of the trail).
    pub fn summary(&self) -> String {
        self.mismatches
            .iter()
            .map(|(field, why)| {
                let why = match why {
                    Mismatch::Missing => "missing",
                    Mismatch::Differs => "differs",
                };
                format!("{}={why}", field.claim())
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Compares the verified claims with the member (R-RG-5).
pub fn compare(claims: &IdentClaims, member: &Member) -> MatchReport {
    let mut report = MatchReport::default();
    let mut name = |field: Field, claimed: Option<&str>, recorded: &str| match claimed
        .map(normalise_name)
    {
        None => report.mismatches.push((field, Mismatch::Missing)),
        Some(claimed) if claimed.is_empty() => report.mismatches.push((field, Mismatch::Missing)),
        Some(claimed) if claimed != normalise_name(recorded) => {
            report.mismatches.push((field, Mismatch::Differs))
        }
        Some(_) => {}
    };
    name(
        Field::GivenName,
        claims.given_name.as_deref(),
        &member.given_name,
    );
    name(
        Field::FamilyName,
        claims.family_name.as_deref(),
        &member.family_name,
    );
    match claims.birthdate.as_deref().and_then(parse_birthdate) {
        None => report
            .mismatches
            .push((Field::Birthdate, Mismatch::Missing)),
        Some(date) if date != member.birth_date => report
            .mismatches
            .push((Field::Birthdate, Mismatch::Differs)),
        Some(_) => {}
    }
    report
}

/// A full `birthdate` claim (`YYYY-MM-DD`, OIDC Core 5.1). A year alone and
/// `0000-MM-DD` (year withheld) are not a full date.
pub fn parse_birthdate(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.len() != 10 || text.starts_with("0000") {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Folds a name for comparison: lower case, umlauts and `ß` spelled out,
/// accents removed, hyphens and runs of white space made one space.
pub fn normalise_name(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            // A combining diaeresis (a decomposed umlaut) spells out as `e`
            // like the composed one; other combining accents are dropped.
            '\u{0308}' => folded.push('e'),
            '\u{0300}'..='\u{036f}' => {}
            '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '_' => folded.push(' '),
            character => {
                for lower in character.to_lowercase() {
                    push_folded(&mut folded, lower);
                }
            }
        }
    }
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn push_folded(out: &mut String, character: char) {
    let replacement = match character {
        'ä' => "ae",
        'ö' => "oe",
        'ü' => "ue",
        'ß' | 'ẞ' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ø' | 'ō' | 'ő' => "o",
        'ř' | 'ŕ' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        other => {
            out.push(other);
            return;
        }
    };
    out.push_str(replacement);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use pforte_policy::Kvnr;

    fn member() -> Member {
        Member {
            kvnr: Kvnr::parse("A123456780").unwrap(),
            given_name: "Jürgen".into(),
            family_name: "Groß-Müller".into(),
            birth_date: NaiveDate::from_ymd_opt(1980, 4, 2).unwrap(),
            postal_code: "10115".into(),
            street: None,
            city: None,
            email: None,
            mobile: None,
            membership_start: NaiveDate::from_ymd_opt(2001, 1, 1).unwrap(),
            membership_end: None,
            main_member: None,
        }
    }

    fn claims(given: Option<&str>, family: Option<&str>, birth: Option<&str>) -> IdentClaims {
        IdentClaims {
            issuer: "https://ident.example".into(),
            subject: "u1".into(),
            given_name: given.map(str::to_owned),
            family_name: family.map(str::to_owned),
            birthdate: birth.map(str::to_owned),
        }
    }

    #[test]
    fn r_rg_5_names_match_across_case_whitespace_umlauts_and_sharp_s() {
        for (given, family) in [
            ("Jürgen", "Groß-Müller"),
            ("JUERGEN", "GROSS-MUELLER"),
            ("  jürgen ", "groß   müller"),
            // decomposed umlauts (u + U+0308)
            ("Ju\u{0308}rgen", "Gross Mu\u{0308}ller"),
            ("Jürgen", "Gross–Mueller"),
        ] {
            let report = compare(
                &claims(Some(given), Some(family), Some("1980-04-02")),
                &member(),
            );
            assert!(report.is_match(), "{given} {family}: {report:?}");
        }
    }

    #[test]
    fn r_rg_5_accents_are_folded() {
        assert_eq!(normalise_name("José  Ñúñez"), "jose nunez");
        assert_eq!(normalise_name("Łukasz"), "lukasz");
    }

    #[test]
    fn r_rg_5_a_different_letter_is_a_different_name() {
        let report = compare(
            &claims(Some("Jurgen"), Some("Groß-Müller"), Some("1980-04-02")),
            &member(),
        );
        assert_eq!(
            report.mismatches,
            vec![(Field::GivenName, Mismatch::Differs)]
        );
        let report = compare(
            &claims(Some("Jürgen"), Some("Groß"), Some("1980-04-02")),
            &member(),
        );
        assert_eq!(
            report.mismatches,
            vec![(Field::FamilyName, Mismatch::Differs)]
        );
    }

    #[test]
    fn r_rg_5_birthdate_must_be_the_full_equal_date() {
        let differs = compare(
            &claims(Some("Jürgen"), Some("Groß-Müller"), Some("1980-04-03")),
            &member(),
        );
        assert_eq!(
            differs.mismatches,
            vec![(Field::Birthdate, Mismatch::Differs)]
        );
        for partial in ["1980", "0000-04-02", "02.04.1980", ""] {
            let report = compare(
                &claims(Some("Jürgen"), Some("Groß-Müller"), Some(partial)),
                &member(),
            );
            assert_eq!(
                report.mismatches,
                vec![(Field::Birthdate, Mismatch::Missing)],
                "{partial}"
            );
        }
    }

    #[test]
    fn r_rg_5_missing_claims_are_named_without_values() {
        let report = compare(&claims(None, Some("  "), None), &member());
        assert!(!report.is_match());
        assert_eq!(
            report.summary(),
            "given_name=missing,family_name=missing,birthdate=missing"
        );
    }
}
