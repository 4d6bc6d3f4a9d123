//! Validation of a [`PolicyFile`] into a [`ResolvedPolicy`]: every setting is
//! checked, defaults are filled in, and impossible or unsafe combinations are
//! rejected with the key they are about (`pforte config check` runs this for
//! every tenant and every preset).

use crate::assurance::AssurancePolicy;
use crate::duration::parse_duration;
use crate::error::{PolicyError, Problem};
use crate::file::{
    CompositionRuleName, CompositionSection, IdentifiersSection, LockoutSection, PasswordSection,
    PolicyFile, ThrottleLimitSection, ThrottleSection,
};
use crate::identifier::{IdentifierPolicy, KvnrInputRules};
use crate::lockout::throttle::{ThrottleLimit, ThrottlePolicy};
use crate::lockout::{LockoutPolicy, NIST_MAX_CONSECUTIVE_FAILURES};
use crate::password::hashing::MIN_MEMORY_KIB_PER_LANE;
use crate::password::{
    Blocklist, CharClass, ClassRule, HashingParams, PasswordPolicy, SpecialCharacters,
};
use chrono::TimeDelta;
use std::collections::BTreeSet;

pub mod assurance;

/// Longest password length a policy may allow or demand; beyond it a login
/// form would accept arbitrarily large bodies for hashing.
pub const MAX_PASSWORD_LENGTH_LIMIT: usize = 1024;
/// Longest password history a policy may keep.
pub const MAX_HISTORY: usize = 100;
/// Longest temporary lock.
pub const MAX_LOCK_DURATION_DAYS: i64 = 365;
/// Most Argon2 lanes a policy may ask for.
pub const MAX_HASHING_PARALLELISM: u32 = 64;

/// A validated policy of one tenant, ready for the login flow.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolvedPolicy {
    pub name: String,
    pub description: String,
    pub identifiers: IdentifierPolicy,
    pub password: PasswordPolicy,
    pub lockout: LockoutPolicy,
    pub throttle: ThrottlePolicy,
    /// Levels, second factors and required actions (R-AC, R-MF, R-RG-7).
    pub assurance: AssurancePolicy,
    /// Self-registration (R-RG-1, R-RG-4).
    pub registration: crate::registration::RegistrationPolicy,
}

impl ResolvedPolicy {
    /// Parses and validates TOML text.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        PolicyFile::from_toml(text)?.resolve()
    }

    /// [`Self::from_toml`] with every problem as one line (`key: message`,
    /// or the parser's text for a syntax error): what `pforte config check
    /// --policy` prints and what the admin console shows for an uploaded
    /// policy (R-OP-1), from this one function.
    pub fn check_toml(text: &str) -> Result<Self, Vec<String>> {
        Self::from_toml(text).map_err(|error| match &error {
            PolicyError::Invalid(problems) => problems.iter().map(ToString::to_string).collect(),
            PolicyError::Syntax(_) => vec![error.to_string()],
        })
    }
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, key: &str, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.to_owned(),
            message: message.into(),
        });
    }
}

impl PolicyFile {
    /// Validates the file and fills in defaults. All problems are reported
    /// together.
    pub fn resolve(self) -> Result<ResolvedPolicy, PolicyError> {
        let mut problems = Problems::default();
        let identifiers = resolve_identifiers(self.identifiers.unwrap_or_default(), &mut problems);
        let password = resolve_password(self.password.unwrap_or_default(), &mut problems);
        let lockout = resolve_lockout(self.lockout.unwrap_or_default(), &mut problems);
        let throttle = resolve_throttle(self.throttle.unwrap_or_default(), &mut problems);
        let assurance = assurance::resolve_assurance(
            assurance::AssuranceSections {
                assurance: self.assurance,
                second_factor: self.second_factor,
                otp: self.otp,
                required_actions: self.required_actions,
            },
            &mut problems,
        );
        let registration = crate::registration::resolve_registration(
            self.registration.unwrap_or_default(),
            &mut |key, message| problems.add(key, message),
        );
        if !problems.0.is_empty() {
            return Err(PolicyError::Invalid(problems.0));
        }
        Ok(ResolvedPolicy {
            name: self.name.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            identifiers,
            password,
            lockout,
            throttle,
            assurance,
            registration,
        })
    }
}

fn resolve_identifiers(section: IdentifiersSection, problems: &mut Problems) -> IdentifierPolicy {
    let defaults = IdentifierPolicy::default();
    let mut accepted = section.accepted.unwrap_or(defaults.accepted);
    if accepted.is_empty() {
        problems.add(
            "identifiers.accepted",
            "at least one kind of login name must be accepted",
        );
    }
    let distinct: BTreeSet<_> = accepted.iter().copied().collect();
    if distinct.len() != accepted.len() {
        problems.add(
            "identifiers.accepted",
            "a kind of login name is listed twice",
        );
    }
    accepted = distinct.into_iter().collect();

    let username_min_length = section
        .username_min_length
        .unwrap_or(defaults.username_min_length);
    let username_max_length = section
        .username_max_length
        .unwrap_or(defaults.username_max_length);
    if username_min_length == 0 {
        problems.add("identifiers.username_min_length", "must be at least 1");
    }
    if username_min_length > username_max_length {
        problems.add(
            "identifiers.username_min_length",
            format!("{username_min_length} is greater than identifiers.username_max_length = {username_max_length}"),
        );
    }
    IdentifierPolicy {
        accepted,
        kvnr: KvnrInputRules {
            lowercase: section.kvnr_lowercase.unwrap_or_default(),
            suffix: section.kvnr_suffix.unwrap_or_default(),
        },
        usernames_case_insensitive: section
            .usernames_case_insensitive
            .unwrap_or(defaults.usernames_case_insensitive),
        username_min_length,
        username_max_length,
    }
}

fn resolve_password(section: PasswordSection, problems: &mut Problems) -> PasswordPolicy {
    let defaults = PasswordPolicy::default();
    let min_length = section.min_length.unwrap_or(defaults.min_length);
    let max_length = section.max_length.unwrap_or(defaults.max_length);
    // The default lower minimum for second-factor accounts belongs to the
    // default minimum; a file that sets its own minimum gets no lower one
    // unless it names it.
    let min_length_with_second_factor =
        match (section.min_length, section.min_length_with_second_factor) {
            (_, Some(lower)) => Some(lower),
            (None, None) => defaults.min_length_with_second_factor,
            (Some(_), None) => None,
        };
    if min_length == 0 {
        problems.add("password.min_length", "must be at least 1");
    }
    if min_length > max_length {
        problems.add(
            "password.min_length",
            format!("{min_length} is greater than password.max_length = {max_length}"),
        );
    }
    if max_length > MAX_PASSWORD_LENGTH_LIMIT {
        problems.add(
            "password.max_length",
            format!("{max_length} is above the limit of {MAX_PASSWORD_LENGTH_LIMIT}"),
        );
    }
    if let Some(lower) = min_length_with_second_factor {
        if lower == 0 {
            problems.add(
                "password.min_length_with_second_factor",
                "must be at least 1",
            );
        }
        if lower > min_length {
            problems.add(
                "password.min_length_with_second_factor",
                format!("{lower} is greater than password.min_length = {min_length}; it may only lower the minimum"),
            );
        }
    }

    let special_characters = match section.special_characters {
        None => SpecialCharacters::Any,
        Some(text) => {
            let set: BTreeSet<char> = text.chars().collect();
            let invalid: String = set
                .iter()
                .filter(|c| c.is_alphanumeric() || c.is_control())
                .collect();
            if !invalid.is_empty() {
                problems.add(
                    "password.special_characters",
                    format!("letters, digits and control characters cannot be special characters: {invalid:?}"),
                );
            }
            SpecialCharacters::Only(set)
        }
    };
    let classes = resolve_composition(section.composition, &special_characters, problems);

    let blocklist_section = section.blocklist.unwrap_or_default();
    let terms = blocklist_section.terms.unwrap_or_default();
    if terms.iter().any(|term| term.trim().is_empty()) {
        problems.add("password.blocklist.terms", "terms must not be empty");
    }
    let blocklist = Blocklist::new(blocklist_section.common.unwrap_or(true), terms);

    let history = section.history.unwrap_or(defaults.history);
    if history > MAX_HISTORY {
        problems.add(
            "password.history",
            format!("{history} is above the limit of {MAX_HISTORY}"),
        );
    }

    let hashing_section = section.hashing.unwrap_or_default();
    let hashing = HashingParams {
        memory_kib: hashing_section
            .memory_kib
            .unwrap_or(defaults.hashing.memory_kib),
        iterations: hashing_section
            .iterations
            .unwrap_or(defaults.hashing.iterations),
        parallelism: hashing_section
            .parallelism
            .unwrap_or(defaults.hashing.parallelism),
    };
    if hashing.iterations == 0 {
        problems.add("password.hashing.iterations", "must be at least 1");
    }
    if hashing.parallelism == 0 || hashing.parallelism > MAX_HASHING_PARALLELISM {
        problems.add(
            "password.hashing.parallelism",
            format!("must be between 1 and {MAX_HASHING_PARALLELISM}"),
        );
    }
    if u64::from(hashing.memory_kib)
        < u64::from(MIN_MEMORY_KIB_PER_LANE) * u64::from(hashing.parallelism.max(1))
    {
        problems.add(
            "password.hashing.memory_kib",
            format!(
                "Argon2 needs at least {MIN_MEMORY_KIB_PER_LANE} KiB per lane, i.e. {} KiB for parallelism {}",
                MIN_MEMORY_KIB_PER_LANE * hashing.parallelism.max(1),
                hashing.parallelism
            ),
        );
    }

    PasswordPolicy {
        min_length,
        min_length_with_second_factor,
        max_length,
        classes,
        special_characters,
        ascii_letters_only: section
            .ascii_letters_only
            .unwrap_or(defaults.ascii_letters_only),
        username_rule: section.username.unwrap_or(defaults.username_rule),
        email_rule: section.email.unwrap_or(defaults.email_rule),
        blocklist,
        history,
        initial_must_change: section
            .initial_must_change
            .unwrap_or(defaults.initial_must_change),
        hashing,
    }
}

fn resolve_composition(
    section: Option<CompositionSection>,
    special_characters: &SpecialCharacters,
    problems: &mut Problems,
) -> ClassRule {
    let Some(section) = section else {
        return ClassRule::None;
    };
    let classes = section.classes.unwrap_or_else(|| CharClass::ALL.to_vec());
    let distinct: BTreeSet<CharClass> = classes.iter().copied().collect();
    if distinct.len() != classes.len() {
        problems.add("password.composition.classes", "a class is listed twice");
    }
    let classes: Vec<CharClass> = distinct.into_iter().collect();
    if section.rule != CompositionRuleName::None && classes.is_empty() {
        problems.add(
            "password.composition.classes",
            "must name at least one class",
        );
    }
    let special_impossible =
        matches!(special_characters, SpecialCharacters::Only(set) if set.is_empty());
    if section.rule != CompositionRuleName::None
        && special_impossible
        && classes.contains(&CharClass::Special)
    {
        problems.add(
            "password.special_characters",
            "is empty, but password.composition.classes requires the class \"special\"",
        );
    }
    match section.rule {
        CompositionRuleName::None => {
            if section.at_least.is_some() {
                problems.add(
                    "password.composition.at_least",
                    "only applies to rule = \"at_least\"",
                );
            }
            ClassRule::None
        }
        CompositionRuleName::AllOf => {
            if section.at_least.is_some() {
                problems.add(
                    "password.composition.at_least",
                    "only applies to rule = \"at_least\"",
                );
            }
            ClassRule::AllOf(classes)
        }
        CompositionRuleName::AtLeast => {
            let Some(required) = section.at_least else {
                problems.add(
                    "password.composition.at_least",
                    "is required for rule = \"at_least\"",
                );
                return ClassRule::AtLeast {
                    required: classes.len(),
                    of: classes,
                };
            };
            if required == 0 {
                problems.add("password.composition.at_least", "must be at least 1");
            }
            if required > classes.len() {
                problems.add(
                    "password.composition.at_least",
                    format!("{required} of {} classes can never be met", classes.len()),
                );
            }
            ClassRule::AtLeast {
                required,
                of: classes,
            }
        }
    }
}

fn duration_key(
    text: Option<String>,
    default: TimeDelta,
    key: &str,
    problems: &mut Problems,
) -> TimeDelta {
    match text {
        None => default,
        Some(text) => parse_duration(&text).unwrap_or_else(|| {
            problems.add(
                key,
                format!("{text:?} is not a duration such as \"90s\", \"15m\", \"24h\" or \"7d\""),
            );
            default
        }),
    }
}

fn resolve_lockout(section: LockoutSection, problems: &mut Problems) -> LockoutPolicy {
    let defaults = LockoutPolicy::default();
    let max_failures = section.max_failures.unwrap_or(defaults.max_failures);
    let failure_cap = section.failure_cap.unwrap_or(NIST_MAX_CONSECUTIVE_FAILURES);
    let lock_duration = duration_key(
        section.lock_duration,
        defaults.lock_duration,
        "lockout.lock_duration",
        problems,
    );
    if max_failures == 0 {
        problems.add("lockout.max_failures", "must be at least 1");
    }
    if max_failures > NIST_MAX_CONSECUTIVE_FAILURES {
        problems.add(
            "lockout.max_failures",
            format!(
                "{max_failures} is above {NIST_MAX_CONSECUTIVE_FAILURES}: NIST 800-63B allows no more than {NIST_MAX_CONSECUTIVE_FAILURES} consecutive failed attempts"
            ),
        );
    }
    if failure_cap > NIST_MAX_CONSECUTIVE_FAILURES {
        problems.add(
            "lockout.failure_cap",
            format!(
                "{failure_cap} is above {NIST_MAX_CONSECUTIVE_FAILURES}: NIST 800-63B allows no more than {NIST_MAX_CONSECUTIVE_FAILURES} consecutive failed attempts"
            ),
        );
    }
    if failure_cap < max_failures {
        problems.add(
            "lockout.failure_cap",
            format!("{failure_cap} is below lockout.max_failures = {max_failures}; the account would never be locked first"),
        );
    }
    if lock_duration <= TimeDelta::zero() {
        problems.add("lockout.lock_duration", "must be longer than zero");
    }
    if lock_duration > TimeDelta::days(MAX_LOCK_DURATION_DAYS) {
        problems.add(
            "lockout.lock_duration",
            format!("must not exceed {MAX_LOCK_DURATION_DAYS} days; use during_lock = \"deactivate\" for permanent blocks"),
        );
    }
    LockoutPolicy {
        max_failures,
        lock_duration,
        during_lock: section.during_lock.unwrap_or(defaults.during_lock),
        failure_cap,
    }
}

fn resolve_limit(
    section: Option<ThrottleLimitSection>,
    default: Option<ThrottleLimit>,
    key: &str,
    problems: &mut Problems,
) -> Option<ThrottleLimit> {
    let Some(section) = section else {
        return default;
    };
    let fallback = default.unwrap_or(ThrottleLimit {
        max_failures: 20,
        window: TimeDelta::minutes(15),
    });
    let max_failures = section.max_failures.unwrap_or(fallback.max_failures);
    let window = duration_key(
        section.window,
        fallback.window,
        &format!("{key}.window"),
        problems,
    );
    if max_failures == 0 {
        problems.add(&format!("{key}.max_failures"), "must be at least 1");
    }
    if window <= TimeDelta::zero() {
        problems.add(&format!("{key}.window"), "must be longer than zero");
    }
    section.enabled.unwrap_or(true).then_some(ThrottleLimit {
        max_failures,
        window,
    })
}

fn resolve_throttle(section: ThrottleSection, problems: &mut Problems) -> ThrottlePolicy {
    let defaults = ThrottlePolicy::default();
    let per_ip = resolve_limit(section.per_ip, defaults.per_ip, "throttle.per_ip", problems);
    let per_network = resolve_limit(
        section.per_network,
        defaults.per_network,
        "throttle.per_network",
        problems,
    );
    let ipv4_prefix = section.ipv4_prefix.unwrap_or(defaults.ipv4_prefix);
    let ipv6_prefix = section.ipv6_prefix.unwrap_or(defaults.ipv6_prefix);
    if ipv4_prefix > 32 {
        problems.add("throttle.ipv4_prefix", "must be between 0 and 32");
    }
    if ipv6_prefix > 128 {
        problems.add("throttle.ipv6_prefix", "must be between 0 and 128");
    }
    ThrottlePolicy {
        per_ip,
        per_network,
        ipv4_prefix,
        ipv6_prefix,
    }
}

#[cfg(test)]
mod tests;
