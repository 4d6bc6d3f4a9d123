//! Reading and checking the member import file (R-ID-4, R-RG-1), without
//! storage: text in, a plan of valid members and a list of rejected rows out.
//!
//! The columns are named in the header line, in any order, compared without
//! case (docs/members.md):
//!
//! | column | required | form |
//! |---|---|---|
//! | `kvnr` | yes | the ten-character health insurance number, check digit valid (R-ID-2) |
//! | `given_name`, `family_name` | yes | text, at most 100 characters |
//! | `birth_date` | yes | `YYYY-MM-DD` or `DD.MM.YYYY`, not in the future |
//! | `postal_code` | yes | five digits (German postal code) |
//! | `street`, `city` | no | street with house number and town of the postal address, at most 100 characters; letters by post need them (R-RG-4) |
//! | `email` | no | an e-mail address |
//! | `mobile` | no | a mobile number, national numbers as German |
//! | `membership_start` | yes | date |
//! | `membership_end` | no | date, not before the start |
//! | `main_member_kvnr` | no | for a co-insured person: the main member's KVNR |
//!
//! A co-insured person's main member must be in the same file or already in
//! the registry, and must not be co-insured itself. A KVNR that appears twice
//! is rejected at its second line. Every problem of a row is reported, not
//! only the first, so one round of corrections suffices.

use super::Member;
use super::csv::{self, CsvError, Record};
use chrono::NaiveDate;
use pforte_policy::Kvnr;
use std::collections::{BTreeMap, HashMap};

/// Longest accepted name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest accepted e-mail address (RFC 5321 §4.5.3.1.3 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Nobody alive was born before this day; earlier birth dates are typos.
const EARLIEST_BIRTH_DATE: (i32, u32, u32) = (1900, 1, 1);

/// The columns of the file, as named in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Kvnr,
    GivenName,
    FamilyName,
    BirthDate,
    PostalCode,
    Street,
    City,
    Email,
    Mobile,
    MembershipStart,
    MembershipEnd,
    MainMemberKvnr,
}

impl Column {
    pub const ALL: [Column; 12] = [
        Column::Kvnr,
        Column::GivenName,
        Column::FamilyName,
        Column::BirthDate,
        Column::PostalCode,
        Column::Street,
        Column::City,
        Column::Email,
        Column::Mobile,
        Column::MembershipStart,
        Column::MembershipEnd,
        Column::MainMemberKvnr,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::Kvnr => "kvnr",
            Column::GivenName => "given_name",
            Column::FamilyName => "family_name",
            Column::BirthDate => "birth_date",
            Column::PostalCode => "postal_code",
            Column::Street => "street",
            Column::City => "city",
            Column::Email => "email",
            Column::Mobile => "mobile",
            Column::MembershipStart => "membership_start",
            Column::MembershipEnd => "membership_end",
            Column::MainMemberKvnr => "main_member_kvnr",
        }
    }

    fn required(self) -> bool {
        !matches!(
            self,
            Column::Street
                | Column::City
                | Column::Email
                | Column::Mobile
                | Column::MembershipEnd
                | Column::MainMemberKvnr
        )
    }
}

/// Why the file as a whole was refused (nothing of it is imported).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportFileError {
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error("the header names an unknown column {0:?}; known columns: {known}", known = known_columns())]
    UnknownColumn(String),
    #[error("the header names the column {0:?} twice")]
    DuplicateColumn(String),
    #[error("the header lacks the required column {0:?}")]
    MissingColumn(&'static str),
}

fn known_columns() -> String {
    Column::ALL
        .iter()
        .map(|column| column.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row that was not accepted, with every reason found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The line of the file the row starts on.
    pub line: usize,
    pub reasons: Vec<String>,
}

/// A checked member with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMember {
    pub line: usize,
    pub member: Member,
}

/// The outcome of checking a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub members: Vec<PlannedMember>,
    pub rejected: Vec<RejectedRow>,
}

/// Checks `text` row by row. `today` is the calendar day of the import (for
/// birth dates in the future); `in_registry` answers whether a KVNR named as
/// main member is already in the registry as a main member (not co-insured).
pub fn plan(
    text: &str,
    today: NaiveDate,
    in_registry: &dyn Fn(&Kvnr) -> MainMemberState,
) -> Result<ImportPlan, ImportFileError> {
    let records = csv::records(text)?;
    let mut rows = records.into_iter();
    let header = rows.next().ok_or(ImportFileError::Csv(CsvError::Empty))?;
    let positions = header_positions(&header)?;
    let mut plan = ImportPlan::default();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for record in rows {
        match check_row(&record, &positions, today) {
            Ok(member) => {
                if let Some(first) = first_line_of.get(member.kvnr.as_str()) {
                    plan.rejected.push(RejectedRow {
                        line: record.line,
                        reasons: vec![format!(
                            "kvnr: {} already appears in line {first}",
                            member.kvnr.as_str()
                        )],
                    });
                    continue;
                }
                first_line_of.insert(member.kvnr.as_str().to_owned(), record.line);
                plan.members.push(PlannedMember {
                    line: record.line,
                    member,
                });
            }
            Err(reasons) => plan.rejected.push(RejectedRow {
                line: record.line,
                reasons,
            }),
        }
    }
    check_main_members(&mut plan, in_registry);
    plan.rejected.sort_by_key(|row| row.line);
    Ok(plan)
}

/// What the registry knows about a KVNR named as a main member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MainMemberState {
    Unknown,
    MainMember,
    CoInsured,
}

/// A co-insured person's main member must exist (in the file or the registry)
/// and be a main member itself; rows failing that move to the rejected list.
fn check_main_members(plan: &mut ImportPlan, in_registry: &dyn Fn(&Kvnr) -> MainMemberState) {
    let in_file: HashMap<String, bool> = plan
        .members
        .iter()
        .map(|planned| {
            (
                planned.member.kvnr.as_str().to_owned(),
                planned.member.main_member.is_none(),
            )
        })
        .collect();
    let mut kept = Vec::with_capacity(plan.members.len());
    for planned in std::mem::take(&mut plan.members) {
        let Some(main) = &planned.member.main_member else {
            kept.push(planned);
            continue;
        };
        let state = match in_file.get(main.as_str()) {
            Some(true) => MainMemberState::MainMember,
            Some(false) => MainMemberState::CoInsured,
            None => in_registry(main),
        };
        let problem = match state {
            MainMemberState::MainMember => None,
            MainMemberState::CoInsured => Some(format!(
                "main_member_kvnr: {} is co-insured itself",
                main.as_str()
            )),
            MainMemberState::Unknown => Some(format!(
                "main_member_kvnr: {} is neither in the file nor in the registry",
                main.as_str()
            )),
        };
        match problem {
            None => kept.push(planned),
            Some(reason) => plan.rejected.push(RejectedRow {
                line: planned.line,
                reasons: vec![reason],
            }),
        }
    }
    plan.members = kept;
}

fn header_positions(header: &Record) -> Result<BTreeMap<Column, usize>, ImportFileError> {
    let mut positions = BTreeMap::new();
    for (index, name) in header.fields.iter().enumerate() {
        let wanted = name.trim().to_ascii_lowercase();
        let column = Column::ALL
            .into_iter()
            .find(|column| column.name() == wanted)
            .ok_or_else(|| ImportFileError::UnknownColumn(name.trim().to_owned()))?;
        if positions.insert(column, index).is_some() {
            return Err(ImportFileError::DuplicateColumn(wanted));
        }
    }
    if let Some(missing) = Column::ALL
        .into_iter()
        .find(|column| column.required() && !positions.contains_key(column))
    {
        return Err(ImportFileError::MissingColumn(missing.name()));
    }
    Ok(positions)
}

/// One row into a member, or every reason it is not one.
fn check_row(
    record: &Record,
    positions: &BTreeMap<Column, usize>,
    today: NaiveDate,
) -> Result<Member, Vec<String>> {
    let mut reasons = Vec::new();
    let value = |column: Column| -> Option<&str> {
        positions
            .get(&column)
            .and_then(|index| record.fields.get(*index))
            .map(|field| field.trim())
            .filter(|field| !field.is_empty())
    };
    if record.fields.len() > positions.len() {
        reasons.push(format!(
            "the row has {} fields, the header {}",
            record.fields.len(),
            positions.len()
        ));
    }
    let required = |column: Column, reasons: &mut Vec<String>| -> Option<String> {
        let found = value(column).map(str::to_owned);
        if found.is_none() {
            reasons.push(format!("{}: missing", column.name()));
        }
        found
    };
    let kvnr = required(Column::Kvnr, &mut reasons).and_then(|text| {
        Kvnr::parse(&text)
            .map_err(|error| reasons.push(format!("kvnr: {error}")))
            .ok()
    });
    let given_name = required(Column::GivenName, &mut reasons)
        .and_then(|text| checked_name(Column::GivenName, text, &mut reasons));
    let family_name = required(Column::FamilyName, &mut reasons)
        .and_then(|text| checked_name(Column::FamilyName, text, &mut reasons));
    let birth_date = required(Column::BirthDate, &mut reasons)
        .and_then(|text| checked_date(Column::BirthDate, &text, &mut reasons))
        .and_then(|date| {
            let earliest = NaiveDate::from_ymd_opt(
                EARLIEST_BIRTH_DATE.0,
                EARLIEST_BIRTH_DATE.1,
                EARLIEST_BIRTH_DATE.2,
            );
            if date > today {
                reasons.push(format!("birth_date: {date} is in the future"));
                None
            } else if earliest.is_some_and(|earliest| date < earliest) {
                reasons.push(format!("birth_date: {date} is before 1900"));
                None
            } else {
                Some(date)
            }
        });
    let postal_code = required(Column::PostalCode, &mut reasons).and_then(|text| {
        if text.len() == 5 && text.bytes().all(|byte| byte.is_ascii_digit()) {
            Some(text)
        } else {
            reasons.push("postal_code: five digits expected".to_owned());
            None
        }
    });
    let street = value(Column::Street)
        .and_then(|text| checked_name(Column::Street, text.to_owned(), &mut reasons));
    let city = value(Column::City)
        .and_then(|text| checked_name(Column::City, text.to_owned(), &mut reasons));
    let email = value(Column::Email).and_then(|text| {
        if plausible_email(text) {
            Some(text.to_owned())
        } else {
            reasons.push("email: not an e-mail address".to_owned());
            None
        }
    });
    let mobile = value(Column::Mobile).and_then(|text| {
        pforte_factors::phone::normalise_phone(text)
            .map(|number| number.as_str().to_owned())
            .map_err(|error| reasons.push(format!("mobile: {error}")))
            .ok()
    });
    let membership_start = required(Column::MembershipStart, &mut reasons)
        .and_then(|text| checked_date(Column::MembershipStart, &text, &mut reasons));
    let membership_end = value(Column::MembershipEnd)
        .and_then(|text| checked_date(Column::MembershipEnd, text, &mut reasons));
    if let (Some(start), Some(end)) = (membership_start, membership_end)
        && end < start
    {
        reasons.push(format!(
            "membership_end: {end} is before membership_start {start}"
        ));
    }
    let main_member = value(Column::MainMemberKvnr).and_then(|text| {
        Kvnr::parse(text)
            .map_err(|error| reasons.push(format!("main_member_kvnr: {error}")))
            .ok()
    });
    if let (Some(own), Some(main)) = (&kvnr, &main_member)
        && own == main
    {
        reasons.push("main_member_kvnr: a member cannot be co-insured with itself".to_owned());
    }
    match (
        kvnr,
        given_name,
        family_name,
        birth_date,
        postal_code,
        membership_start,
    ) {
        (
            Some(kvnr),
            Some(given_name),
            Some(family_name),
            Some(birth_date),
            Some(postal_code),
            Some(membership_start),
        ) if reasons.is_empty() => Ok(Member {
            kvnr,
            given_name,
            family_name,
            birth_date,
            postal_code,
            street,
            city,
            email,
            mobile,
            membership_start,
            membership_end,
            main_member,
        }),
        _ => Err(reasons),
    }
}

fn checked_name(column: Column, text: String, reasons: &mut Vec<String>) -> Option<String> {
    if text.chars().count() > MAX_NAME_CHARS {
        reasons.push(format!(
            "{}: longer than {MAX_NAME_CHARS} characters",
            column.name()
        ));
        None
    } else if text.chars().any(char::is_control) {
        reasons.push(format!("{}: contains control characters", column.name()));
        None
    } else {
        Some(text)
    }
}

/// `YYYY-MM-DD` (ISO 8601) or `DD.MM.YYYY` (the German form spreadsheets write).
fn checked_date(column: Column, text: &str, reasons: &mut Vec<String>) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d.%m.%Y"));
    match parsed {
        Ok(date) => Some(date),
        Err(_) => {
            reasons.push(format!(
                "{}: {text:?} is not a date (YYYY-MM-DD or DD.MM.YYYY)",
                column.name()
            ));
            None
        }
    }
}

/// One `@` with text on both sides, a dot in the domain, no spaces: enough to
/// catch columns mixed up in an export; the address is proven by a code later.
fn plausible_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const HEADER: &str = "kvnr;given_name;family_name;birth_date;postal_code;email;mobile;membership_start;membership_end;main_member_kvnr";

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn nobody(_: &Kvnr) -> MainMemberState {
        MainMemberState::Unknown
    }

    fn file(rows: &[&str]) -> String {
        let mut text = HEADER.to_owned();
        for row in rows {
            text.push('\n');
            text.push_str(row);
        }
        text
    }

    const ERIKA: &str =
        "A123456780;Erika;Mustermann;1980-04-02;10115;erika@example.org;0171 1234567;2001-01-01;;";

    #[test]
    fn r_id_4_a_valid_row_becomes_a_member_with_normalised_values() {
        let plan = plan(&file(&[ERIKA]), today(), &nobody).unwrap();
        assert!(plan.rejected.is_empty(), "{:?}", plan.rejected);
        let member = &plan.members[0].member;
        assert_eq!(member.kvnr.as_str(), "A123456780");
        assert_eq!(member.mobile.as_deref(), Some("+491711234567"));
        assert_eq!(
            member.birth_date,
            NaiveDate::from_ymd_opt(1980, 4, 2).unwrap()
        );
        assert_eq!(member.membership_end, None);
        assert_eq!(plan.members[0].line, 2);
    }

    #[test]
    fn columns_may_come_in_any_order_and_case_with_german_dates() {
        let text = "Family_Name,KVNR,given_name,postal_code,birth_date,membership_start\n\
                    Mustermann,A123456780,Erika,10115,02.04.1980,01.01.2001";
        let plan = plan(text, today(), &nobody).unwrap();
        assert_eq!(plan.members.len(), 1, "{:?}", plan.rejected);
        assert_eq!(plan.members[0].member.family_name, "Mustermann");
    }

    #[test]
    fn a_header_with_unknown_missing_or_doubled_columns_refuses_the_file() {
        assert!(matches!(
            plan("kvnr;name\n", today(), &nobody),
            Err(ImportFileError::UnknownColumn(name)) if name == "name"
        ));
        assert_eq!(
            plan("kvnr;given_name\n", today(), &nobody),
            Err(ImportFileError::MissingColumn("family_name"))
        );
        assert!(matches!(
            plan("kvnr;KVNR\n", today(), &nobody),
            Err(ImportFileError::DuplicateColumn(_))
        ));
    }

    #[test]
    fn r_id_2_every_problem_of_a_row_is_reported() {
        let plan = plan(
            &file(&["A123456781;;Mustermann;2030-01-01;1011;erika(at)example.org;abc;2001-01-01;2000-01-01;"]),
            today(),
            &nobody,
        )
        .unwrap();
        assert!(plan.members.is_empty());
        let reasons = &plan.rejected[0].reasons;
        let starts = |prefix: &str| reasons.iter().any(|reason| reason.starts_with(prefix));
        assert!(starts("kvnr: the check digit"), "{reasons:?}");
        assert!(starts("given_name: missing"));
        assert!(starts("birth_date: 2030-01-01 is in the future"));
        assert!(starts("postal_code: five digits"));
        assert!(starts("email: not an e-mail"));
        assert!(starts("mobile:"));
        assert!(starts("membership_end: 2000-01-01 is before"));
        assert_eq!(reasons.len(), 7, "{reasons:?}");
    }

    #[test]
    fn a_kvnr_twice_is_rejected_at_its_second_line() {
        let plan = plan(&file(&[ERIKA, ERIKA]), today(), &nobody).unwrap();
        assert_eq!(plan.members.len(), 1);
        assert_eq!(plan.rejected[0].line, 3);
        assert!(plan.rejected[0].reasons[0].contains("already appears in line 2"));
    }

    #[test]
    fn r_fa_1_co_insured_children_need_a_main_member_in_the_file_or_registry() {
        let child = "B987654320;Lena;Mustermann;2015-06-30;10115;;;2015-06-30;;A123456780";
        // With the main member in the file.
        let with_parent = plan(&file(&[child, ERIKA]), today(), &nobody).unwrap();
        assert_eq!(with_parent.members.len(), 2, "{:?}", with_parent.rejected);
        // Without: unknown, then known to the registry.
        let alone = plan(&file(&[child]), today(), &nobody).unwrap();
        assert!(alone.rejected[0].reasons[0].contains("neither in the file nor"));
        let known = plan(&file(&[child]), today(), &|_| MainMemberState::MainMember).unwrap();
        assert_eq!(known.members.len(), 1);
        let nested = plan(&file(&[child]), today(), &|_| MainMemberState::CoInsured).unwrap();
        assert!(nested.rejected[0].reasons[0].contains("co-insured itself"));
        // Nobody is co-insured with themselves.
        let own = "A123456780;Erika;Mustermann;1980-04-02;10115;;;2001-01-01;;A123456780";
        let selfish = plan(&file(&[own]), today(), &nobody).unwrap();
        assert!(selfish.rejected[0].reasons[0].contains("with itself"));
    }

    #[test]
    fn a_row_with_more_fields_than_the_header_is_rejected() {
        let plan = plan(&file(&[&format!("{ERIKA};extra")]), today(), &nobody).unwrap();
        assert!(plan.rejected[0].reasons[0].contains("fields"));
    }
}
