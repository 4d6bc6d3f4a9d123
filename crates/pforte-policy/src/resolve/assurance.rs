//! Validation of `[assurance]`, `[second_factor]`, `[otp]` and
//! `[required_actions]` into an [`AssurancePolicy`] (R-AC-1, R-MF-2 … R-MF-4,
//! R-RG-7). Besides ranges it rejects policies that cannot work (DESIGN.md
//! §4): a level no method can reach, a method in a class it cannot prove, a
//! mandatory second factor nobody can enrol.

use super::{Problems, duration_key};
use crate::assurance::{
    AssurancePolicy, ClassPolicy, Level, OtpPolicy, RequiredAction, allowed_methods,
};
use crate::file::{
    AssuranceSection, ClassesSection, LevelSection, OtpSection, RequiredActionsSection,
    SecondFactorSection,
};
use chrono::TimeDelta;
use pforte_types::{FactorClass, Method};
use std::collections::{BTreeMap, BTreeSet};

/// Fewest and most digits of a one-time code (R-MF-3): fewer than six is
/// guessable within the attempts, more than ten is hard to type from an SMS.
pub const OTP_LENGTH: std::ops::RangeInclusive<u8> = 6..=10;
/// Shortest validity of a sent code: an SMS may take a while to arrive.
pub const OTP_MIN_VALIDITY_MINUTES: i64 = 1;
/// Longest validity of a sent code (R-MF-3 asks for "minutes").
pub const OTP_MAX_VALIDITY_MINUTES: i64 = 30;
/// Most wrong entries before a code is void.
pub const OTP_MAX_ATTEMPTS: u32 = 10;
/// Digits of the health card serial a membership proof may ask (R-MF-4): the
/// serial (ICCSN) has 20; fewer than 4 are guessed too easily.
pub const MEMBERSHIP_PROOF_DIGITS: std::ops::RangeInclusive<u8> = 4..=20;
/// Most codes on one recovery list.
pub const MAX_RECOVERY_CODES: u8 = 50;
/// Longest `acr` name and terms version.
pub const MAX_NAME_LENGTH: usize = 128;

/// The sections that make the assurance policy, as written.
pub(super) struct AssuranceSections {
    pub assurance: Option<AssuranceSection>,
    pub second_factor: Option<SecondFactorSection>,
    pub otp: Option<OtpSection>,
    pub required_actions: Option<RequiredActionsSection>,
}

/// Methods a user can enrol today as a second factor at login (R-MF-2).
/// `password` is the first factor, `recovery_code` lists are issued next to
/// another factor, and `device_key` needs the device registration of R-DV,
/// which does not exist yet.
fn enrollable(method: Method) -> bool {
    matches!(
        method,
        Method::Totp | Method::SmsTan | Method::EmailCode | Method::Webauthn
    )
}

pub(super) fn resolve_assurance(
    sections: AssuranceSections,
    problems: &mut Problems,
) -> AssurancePolicy {
    let defaults = AssurancePolicy::default();
    let section = sections.assurance.unwrap_or_default();
    let classes = resolve_classes(section.classes.unwrap_or_default(), &defaults, problems);
    let levels = resolve_levels(section.levels, &defaults, &classes, problems);
    let minimum = match section.minimum {
        None => defaults.minimum.min(levels.len().saturating_sub(1)),
        Some(name) => levels
            .iter()
            .position(|level| level.name == name)
            .unwrap_or_else(|| {
                problems.add(
                    "assurance.minimum",
                    format!(
                        "{name:?} is not a level; the levels are {}",
                        quoted_list(levels.iter().map(|level| level.name.as_str()))
                    ),
                );
                0
            }),
    };

    let second_factor = sections.second_factor.unwrap_or_default();
    let second_factor_mandatory = second_factor
        .mandatory
        .unwrap_or(defaults.second_factor_mandatory);
    let membership_proof_digits = match second_factor.membership_proof_digits {
        None => defaults.membership_proof_digits,
        Some(0) => None,
        Some(digits) => {
            if !MEMBERSHIP_PROOF_DIGITS.contains(&digits) {
                problems.add(
                    "second_factor.membership_proof_digits",
                    format!(
                        "{digits} must be between {} and {} (or 0 for no membership proof)",
                        MEMBERSHIP_PROOF_DIGITS.start(),
                        MEMBERSHIP_PROOF_DIGITS.end()
                    ),
                );
            }
            Some(digits)
        }
    };
    let recovery_codes = second_factor
        .recovery_codes
        .unwrap_or(defaults.recovery_codes);
    if recovery_codes > MAX_RECOVERY_CODES {
        problems.add(
            "second_factor.recovery_codes",
            format!("{recovery_codes} is above the limit of {MAX_RECOVERY_CODES}"),
        );
    }
    let passwordless = second_factor.passwordless.unwrap_or(defaults.passwordless);
    let otp = resolve_otp(sections.otp.unwrap_or_default(), problems);
    let (required_actions, terms_version) = resolve_required_actions(
        sections.required_actions.unwrap_or_default(),
        &defaults,
        problems,
    );

    let policy = AssurancePolicy {
        levels,
        minimum,
        classes,
        second_factor_mandatory,
        membership_proof_digits,
        recovery_codes,
        passwordless,
        otp,
        required_actions,
        terms_version,
    };
    check_combinations(&policy, problems);
    policy
}

fn resolve_classes(
    section: ClassesSection,
    defaults: &AssurancePolicy,
    problems: &mut Problems,
) -> BTreeMap<FactorClass, ClassPolicy> {
    let mut classes = BTreeMap::new();
    for class in FactorClass::ALL {
        let key = format!("assurance.classes.{class}");
        let default = defaults.class(class).cloned().unwrap_or(ClassPolicy {
            methods: Vec::new(),
            max_age: TimeDelta::hours(12),
            on_missing: crate::assurance::OnMissing::Deny,
        });
        let Some(written) = section.get(class).cloned() else {
            classes.insert(class, default);
            continue;
        };
        let methods = written.methods.unwrap_or(default.methods);
        let distinct: BTreeSet<Method> = methods.iter().copied().collect();
        if distinct.len() != methods.len() {
            problems.add(&format!("{key}.methods"), "a method is listed twice");
        }
        let allowed = allowed_methods(class);
        for method in &distinct {
            if !allowed.contains(method) {
                problems.add(
                    &format!("{key}.methods"),
                    format!(
                        "{method} cannot prove the class {class}; allowed here: {}",
                        quoted_list(allowed.iter().map(Method::as_str))
                    ),
                );
            }
        }
        let max_age = duration_key(
            written.max_age,
            default.max_age,
            &format!("{key}.max_age"),
            problems,
        );
        if max_age <= TimeDelta::zero() {
            problems.add(&format!("{key}.max_age"), "must be longer than zero");
        }
        classes.insert(
            class,
            ClassPolicy {
                methods,
                max_age,
                on_missing: written.on_missing.unwrap_or(default.on_missing),
            },
        );
    }
    classes
}

fn resolve_levels(
    section: Option<Vec<LevelSection>>,
    defaults: &AssurancePolicy,
    classes: &BTreeMap<FactorClass, ClassPolicy>,
    problems: &mut Problems,
) -> Vec<Level> {
    let levels: Vec<Level> = match section {
        None => defaults.levels.clone(),
        Some(written) => written
            .into_iter()
            .map(|level| Level {
                name: level.name,
                alternatives: level.alternatives,
            })
            .collect(),
    };
    if levels.is_empty() {
        problems.add("assurance.levels", "at least one level is required");
    }
    let mut seen = BTreeSet::new();
    for (index, level) in levels.iter().enumerate() {
        let key = format!("assurance.levels[{index}]");
        if let Some(message) = acr_problem(&level.name) {
            problems.add(&format!("{key}.name"), message);
        }
        if !seen.insert(level.name.as_str()) {
            problems.add(
                &format!("{key}.name"),
                format!("the level {:?} is defined twice", level.name),
            );
        }
        if level.alternatives.is_empty() {
            problems.add(
                &format!("{key}.alternatives"),
                format!(
                    "level {:?} needs at least one set of factor classes",
                    level.name
                ),
            );
        }
        for (position, set) in level.alternatives.iter().enumerate() {
            let key = format!("{key}.alternatives[{position}]");
            if set.is_empty() {
                problems.add(
                    &key,
                    format!(
                        "level {:?}: an empty set would be reached without any factor",
                        level.name
                    ),
                );
            }
            let distinct: BTreeSet<FactorClass> = set.iter().copied().collect();
            if distinct.len() != set.len() {
                problems.add(
                    &key,
                    format!("level {:?}: a class is listed twice", level.name),
                );
            }
            for class in distinct {
                let usable = classes
                    .get(&class)
                    .is_some_and(|rule| !rule.methods.is_empty());
                if !usable {
                    problems.add(
                        &key,
                        format!(
                            "level {:?} can never be reached this way: the class {class} allows no method (assurance.classes.{class}.methods)",
                            level.name
                        ),
                    );
                }
            }
        }
    }
    levels
}

/// Why `name` cannot be an `acr` value: it travels in space-separated
/// `acr_values` (OIDC Core §3.1.2.1), so only printable ASCII without spaces.
fn acr_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".into());
    }
    if name.len() > MAX_NAME_LENGTH {
        return Some(format!("is longer than {MAX_NAME_LENGTH} characters"));
    }
    if !name.chars().all(|character| character.is_ascii_graphic()) {
        return Some(format!(
            "{name:?} is not a valid acr value: use printable ASCII without spaces"
        ));
    }
    None
}

fn resolve_otp(section: OtpSection, problems: &mut Problems) -> OtpPolicy {
    let defaults = OtpPolicy::default();
    let length = section.length.unwrap_or(defaults.length);
    if !OTP_LENGTH.contains(&length) {
        problems.add(
            "otp.length",
            format!(
                "{length} must be between {} and {} digits",
                OTP_LENGTH.start(),
                OTP_LENGTH.end()
            ),
        );
    }
    let validity = duration_key(
        section.validity,
        defaults.validity,
        "otp.validity",
        problems,
    );
    if validity < TimeDelta::minutes(OTP_MIN_VALIDITY_MINUTES)
        || validity > TimeDelta::minutes(OTP_MAX_VALIDITY_MINUTES)
    {
        problems.add(
            "otp.validity",
            format!("must be between {OTP_MIN_VALIDITY_MINUTES}m and {OTP_MAX_VALIDITY_MINUTES}m"),
        );
    }
    let max_attempts = section.max_attempts.unwrap_or(defaults.max_attempts);
    if max_attempts == 0 || max_attempts > OTP_MAX_ATTEMPTS {
        problems.add(
            "otp.max_attempts",
            format!("{max_attempts} must be between 1 and {OTP_MAX_ATTEMPTS}"),
        );
    }
    let resend_after = duration_key(
        section.resend_after,
        defaults.resend_after,
        "otp.resend_after",
        problems,
    );
    if resend_after <= TimeDelta::zero() {
        problems.add(
            "otp.resend_after",
            "must be longer than zero, or codes could be sent without limit",
        );
    }
    if resend_after > validity {
        problems.add(
            "otp.resend_after",
            "is longer than otp.validity: a user whose code expired could not ask for a new one",
        );
    }
    OtpPolicy {
        length,
        validity,
        max_attempts,
        resend_after,
    }
}

fn resolve_required_actions(
    section: RequiredActionsSection,
    defaults: &AssurancePolicy,
    problems: &mut Problems,
) -> (Vec<RequiredAction>, Option<String>) {
    let written_order = section.order.is_some();
    let order = section
        .order
        .unwrap_or_else(|| defaults.required_actions.clone());
    let distinct: BTreeSet<RequiredAction> = order.iter().copied().collect();
    if distinct.len() != order.len() {
        problems.add("required_actions.order", "an action is listed twice");
    }
    let terms_version = section.terms_version.or(defaults.terms_version.clone());
    if let Some(version) = &terms_version {
        if version.trim().is_empty() {
            problems.add(
                "required_actions.terms_version",
                "must not be empty; leave it out when there are no terms to accept",
            );
        } else if version.chars().count() > MAX_NAME_LENGTH || version.chars().any(char::is_control)
        {
            problems.add(
                "required_actions.terms_version",
                format!("must be at most {MAX_NAME_LENGTH} characters without control characters"),
            );
        }
    } else if written_order && order.contains(&RequiredAction::AcceptTerms) {
        // The built-in order lists accept_terms so that setting a version is
        // enough; a written order that names it without a version would
        // never run it.
        problems.add(
            "required_actions.terms_version",
            "is required when required_actions.order lists accept_terms",
        );
    }
    (order, terms_version)
}

/// Settings that are each valid but cannot work together.
fn check_combinations(policy: &AssurancePolicy, problems: &mut Problems) {
    let used: BTreeSet<FactorClass> = policy
        .levels
        .iter()
        .flat_map(|level| level.alternatives.iter().flatten().copied())
        .collect();
    let methods_of = |class: FactorClass| -> &[Method] {
        policy
            .class(class)
            .map_or(&[][..], |rule| rule.methods.as_slice())
    };
    if policy.second_factor_mandatory {
        let enrollable_second_factor = used
            .iter()
            .filter(|class| **class != FactorClass::Knowledge)
            .any(|class| methods_of(*class).iter().any(|method| enrollable(*method)));
        if !enrollable_second_factor {
            problems.add(
                "second_factor.mandatory",
                "no level uses a class other than knowledge with a method a user can enrol (totp, sms_tan, email_code, webauthn)",
            );
        }
        if !policy
            .required_actions
            .contains(&RequiredAction::EnrolSecondFactor)
        {
            problems.add(
                "second_factor.mandatory",
                "needs enrol_second_factor in required_actions.order, or users without a second factor could never get one",
            );
        }
    }
    let recovery_listed = methods_of(FactorClass::Possession).contains(&Method::RecoveryCode);
    if recovery_listed && policy.recovery_codes == 0 {
        problems.add(
            "second_factor.recovery_codes",
            "is 0 but assurance.classes.possession.methods lists recovery_code; remove it there to switch recovery codes off",
        );
    }
    if !recovery_listed && policy.recovery_codes > 0 {
        problems.add(
            "second_factor.recovery_codes",
            "recovery codes would be issued but assurance.classes.possession.methods does not list recovery_code; set 0 to switch them off",
        );
    }
    if policy.passwordless
        && !FactorClass::ALL
            .into_iter()
            .any(|class| used.contains(&class) && methods_of(class).contains(&Method::Webauthn))
    {
        problems.add(
            "second_factor.passwordless",
            "needs webauthn in a class that a level uses",
        );
    }
}

fn quoted_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|item| format!("{item:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
