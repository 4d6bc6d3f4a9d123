//! The registration decision table (R-RG-1): whether the member data typed
//! into the form entitle the person to an account, and if not, which answer
//! they get.
//!
//! Distinct answers without a harvesting oracle: the answer that the data do
//! not match is one and the same for an unknown KVNR and a wrong birth date,
//! so the form never tells whether a number alone belongs to an insured
//! person. A postal code that differs from the registered address gets its
//! own answer (R-RG-1 lists it as a distinct error: people who moved need to
//! know which detail to correct), but only after KVNR and birth date have
//! matched, that is, to someone who already knows both. Every other refusal
//! is distinct and helpful, and none of them reveals anything new: the
//! KVNR's format and check digit are about the typed text only, and "already
//! registered", "membership ended / not started" and "too young" are
//! answered only after KVNR, birth date and postal code have all matched.
//! The caller does the same work on every path (digest, sealed read, one
//! Argon2 hash) and throttles the form per IP (R-LO-5), so neither the time
//! nor the number of tries turns the form into an oracle either.
//!
//! Pure: no I/O, the day is an argument.

use crate::member::Member;
use chrono::NaiveDate;
use pforte_policy::RegistrationPolicy;

/// What the person typed that is checked against the member (the KVNR is
/// already parsed: a malformed one never reaches the table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed<'a> {
    pub birth_date: NaiveDate,
    pub postal_code: &'a str,
}

/// Why a registration is refused. [`Refusal::message_key`] names the text
/// shown (themes/base/i18n), [`Refusal::audit_detail`] the precise reason for
/// the audit trail, which is never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No member with this KVNR.
    UnknownMember,
    /// The member exists but the postal code differs.
    PostalCodeMismatch,
    /// The member exists but the birth date differs.
    BirthDateMismatch,
    /// The member already has an account (R-RG-1: one account per member).
    AlreadyRegistered,
    /// The membership ended before today (R-ID-4).
    MembershipEnded,
    /// The membership begins after today.
    MembershipNotStarted,
    /// Younger than the policy's minimum age.
    BelowMinimumAge { minimum: u32 },
}

impl Refusal {
    /// The message key of the answer. An unknown member and a wrong birth
    /// date share one; a wrong postal code (checked after the birth date) has
    /// its own.
    pub fn message_key(self) -> &'static str {
        match self {
            Refusal::UnknownMember | Refusal::BirthDateMismatch => "register_error_no_match",
            Refusal::PostalCodeMismatch => "register_error_postal_code",
            Refusal::AlreadyRegistered => "register_error_already_registered",
            Refusal::MembershipEnded => "register_error_membership_ended",
            Refusal::MembershipNotStarted => "register_error_membership_not_started",
            Refusal::BelowMinimumAge { .. } => "register_error_below_minimum_age",
        }
    }

    /// The stable reason written to the audit trail.
    pub fn audit_detail(self) -> String {
        match self {
            Refusal::UnknownMember => "unknown_member".to_owned(),
            Refusal::PostalCodeMismatch => "postal_code_mismatch".to_owned(),
            Refusal::BirthDateMismatch => "birth_date_mismatch".to_owned(),
            Refusal::AlreadyRegistered => "already_registered".to_owned(),
            Refusal::MembershipEnded => "membership_ended".to_owned(),
            Refusal::MembershipNotStarted => "membership_not_started".to_owned(),
            Refusal::BelowMinimumAge { minimum } => format!("below_minimum_age minimum={minimum}"),
        }
    }
}

/// Normalises a typed postal code for the comparison: spaces are ignored.
fn postal_code_key(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Full years of age on `today`.
pub fn age_on(birth_date: NaiveDate, today: NaiveDate) -> u32 {
    today.years_since(birth_date).unwrap_or(0)
}

/// Decides a registration (see the module documentation for the order).
/// `already_linked` tells whether the member has an account already.
pub fn decide(
    policy: &RegistrationPolicy,
    claimed: &Claimed<'_>,
    member: Option<&Member>,
    already_linked: bool,
    today: NaiveDate,
) -> Result<(), Refusal> {
    let Some(member) = member else {
        return Err(Refusal::UnknownMember);
    };
    if member.birth_date != claimed.birth_date {
        return Err(Refusal::BirthDateMismatch);
    }
    if postal_code_key(&member.postal_code) != postal_code_key(claimed.postal_code) {
        return Err(Refusal::PostalCodeMismatch);
    }
    if already_linked {
        return Err(Refusal::AlreadyRegistered);
    }
    if member.membership_end.is_some_and(|end| end < today) {
        return Err(Refusal::MembershipEnded);
    }
    if member.membership_start > today {
        return Err(Refusal::MembershipNotStarted);
    }
    if age_on(member.birth_date, today) < policy.minimum_age {
        return Err(Refusal::BelowMinimumAge {
            minimum: policy.minimum_age,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pforte_policy::Kvnr;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn today() -> NaiveDate {
        day(2026, 12, 1)
    }

    fn erika() -> Member {
        Member {
            kvnr: Kvnr::parse("A123456780").unwrap(),
            given_name: "Erika".to_owned(),
            family_name: "Mustermann".to_owned(),
            birth_date: day(1964, 8, 12),
            postal_code: "10115".to_owned(),
            street: Some("Heidestraße 17".to_owned()),
            city: Some("Berlin".to_owned()),
            email: None,
            mobile: None,
            membership_start: day(2001, 1, 1),
            membership_end: None,
            main_member: None,
        }
    }

    fn claimed(member: &Member) -> Claimed<'_> {
        Claimed {
            birth_date: member.birth_date,
            postal_code: &member.postal_code,
        }
    }

    fn decide_for(
        member: Option<&Member>,
        claimed: &Claimed<'_>,
        linked: bool,
    ) -> Result<(), Refusal> {
        decide(
            &RegistrationPolicy::default(),
            claimed,
            member,
            linked,
            today(),
        )
    }

    #[test]
    fn r_rg_1_matching_data_of_a_current_adult_member_register() {
        let member = erika();
        assert_eq!(decide_for(Some(&member), &claimed(&member), false), Ok(()));
        let spaced = Claimed {
            postal_code: " 101 15 ",
            ..claimed(&member)
        };
        assert_eq!(decide_for(Some(&member), &spaced, false), Ok(()));
    }

    #[test]
    fn r_rg_1_unknown_member_and_mismatches_share_one_answer() {
        let member = erika();
        let unknown = decide_for(None, &claimed(&member), false).unwrap_err();
        let postal = decide_for(
            Some(&member),
            &Claimed {
                postal_code: "10117",
                ..claimed(&member)
            },
            false,
        )
        .unwrap_err();
        let birth = decide_for(
            Some(&member),
            &Claimed {
                birth_date: day(1964, 8, 13),
                ..claimed(&member)
            },
            false,
        )
        .unwrap_err();
        assert_eq!(unknown, Refusal::UnknownMember);
        assert_eq!(postal, Refusal::PostalCodeMismatch);
        assert_eq!(birth, Refusal::BirthDateMismatch);
        assert_eq!(unknown.message_key(), birth.message_key());
        assert_eq!(postal.message_key(), "register_error_postal_code");
        // A wrong birth date hides whether the postal code would match.
        let both = decide_for(
            Some(&member),
            &Claimed {
                birth_date: day(1964, 8, 13),
                postal_code: "99999",
            },
            false,
        )
        .unwrap_err();
        assert_eq!(both.message_key(), unknown.message_key());
        // The audit trail keeps the precise reason.
        assert_ne!(unknown.audit_detail(), postal.audit_detail());
    }

    #[test]
    fn r_rg_1_mismatching_data_never_reveal_registration_or_membership() {
        // Already registered, membership over, too young: with a wrong postal
        // code the answer is only that the postal code does not match.
        let member = Member {
            membership_end: Some(day(2020, 1, 1)),
            birth_date: day(2015, 1, 1),
            ..erika()
        };
        let wrong = Claimed {
            postal_code: "99999",
            ..claimed(&member)
        };
        assert_eq!(
            decide_for(Some(&member), &wrong, true),
            Err(Refusal::PostalCodeMismatch)
        );
    }

    #[test]
    fn r_rg_1_a_member_with_an_account_is_already_registered() {
        let member = erika();
        assert_eq!(
            decide_for(Some(&member), &claimed(&member), true),
            Err(Refusal::AlreadyRegistered)
        );
    }

    #[test]
    fn r_id_4_membership_ended_or_not_started_is_refused() {
        let ended = Member {
            membership_end: Some(day(2026, 11, 30)),
            ..erika()
        };
        assert_eq!(
            decide_for(Some(&ended), &claimed(&ended), false),
            Err(Refusal::MembershipEnded)
        );
        let last_day = Member {
            membership_end: Some(today()),
            ..erika()
        };
        assert_eq!(
            decide_for(Some(&last_day), &claimed(&last_day), false),
            Ok(())
        );
        let future = Member {
            membership_start: day(2027, 1, 1),
            ..erika()
        };
        assert_eq!(
            decide_for(Some(&future), &claimed(&future), false),
            Err(Refusal::MembershipNotStarted)
        );
    }

    #[test]
    fn r_rg_1_below_the_minimum_age_is_refused_until_the_birthday() {
        let young = Member {
            birth_date: day(2011, 12, 2),
            ..erika()
        };
        assert_eq!(
            decide_for(Some(&young), &claimed(&young), false),
            Err(Refusal::BelowMinimumAge { minimum: 15 })
        );
        let birthday = Member {
            birth_date: day(2011, 12, 1),
            ..erika()
        };
        assert_eq!(
            decide_for(Some(&birthday), &claimed(&birthday), false),
            Ok(())
        );
        let strict = RegistrationPolicy {
            minimum_age: 18,
            ..RegistrationPolicy::default()
        };
        assert_eq!(
            decide(
                &strict,
                &claimed(&birthday),
                Some(&birthday),
                false,
                today()
            ),
            Err(Refusal::BelowMinimumAge { minimum: 18 })
        );
    }
}
