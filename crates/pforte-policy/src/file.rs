//! The per-tenant policy file as written by operators (TOML). Every field is
//! optional; absent sections take the defaults of the resolved types. Unknown
//! keys are rejected so that a typo never silently weakens a policy.
//! [`PolicyFile::resolve`](crate::resolve) turns it into a [`ResolvedPolicy`](crate::ResolvedPolicy).

use crate::assurance::{OnMissing, RequiredAction};
use crate::identifier::{KvnrLowercase, KvnrSuffix, UsernameKind};
use crate::lockout::DuringLock;
use crate::password::{CharClass, IdentifierRule};
use pforte_types::{FactorClass, Method};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Short name of the policy (defaults to empty).
    pub name: Option<String>,
    pub description: Option<String>,
    pub identifiers: Option<IdentifiersSection>,
    pub password: Option<PasswordSection>,
    pub lockout: Option<LockoutSection>,
    pub throttle: Option<ThrottleSection>,
    pub assurance: Option<AssuranceSection>,
    pub second_factor: Option<SecondFactorSection>,
    pub otp: Option<OtpSection>,
    pub required_actions: Option<RequiredActionsSection>,
    /// `[registration]` (R-RG-1, R-RG-4).
    pub registration: Option<crate::registration::RegistrationSection>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifiersSection {
    pub accepted: Option<Vec<UsernameKind>>,
    pub kvnr_lowercase: Option<KvnrLowercase>,
    pub kvnr_suffix: Option<KvnrSuffix>,
    pub usernames_case_insensitive: Option<bool>,
    pub username_min_length: Option<usize>,
    pub username_max_length: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSection {
    pub min_length: Option<usize>,
    pub min_length_with_second_factor: Option<usize>,
    pub max_length: Option<usize>,
    pub composition: Option<CompositionSection>,
    /// The allowed special characters; absent = any non-alphanumeric character.
    pub special_characters: Option<String>,
    pub ascii_letters_only: Option<bool>,
    /// `allow`, `not_equal` or `not_contained` for the login names.
    pub username: Option<IdentifierRule>,
    /// `allow`, `not_equal` or `not_contained` for the e-mail address.
    pub email: Option<IdentifierRule>,
    pub blocklist: Option<BlocklistSection>,
    pub history: Option<usize>,
    pub initial_must_change: Option<bool>,
    pub hashing: Option<HashingSection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompositionRuleName {
    None,
    AllOf,
    AtLeast,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompositionSection {
    pub rule: CompositionRuleName,
    /// The classes the rule is about (default: all four).
    pub classes: Option<Vec<CharClass>>,
    /// For `at_least`: how many of `classes` must occur.
    pub at_least: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocklistSection {
    /// Use the shipped common-password list (default true).
    pub common: Option<bool>,
    /// Tenant terms, matched as substrings.
    pub terms: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashingSection {
    pub memory_kib: Option<u32>,
    pub iterations: Option<u32>,
    pub parallelism: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutSection {
    pub max_failures: Option<u32>,
    /// A duration such as `"24h"`.
    pub lock_duration: Option<String>,
    pub during_lock: Option<DuringLock>,
    pub failure_cap: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleSection {
    pub per_ip: Option<ThrottleLimitSection>,
    pub per_network: Option<ThrottleLimitSection>,
    pub ipv4_prefix: Option<u8>,
    pub ipv6_prefix: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleLimitSection {
    /// `false` switches this limit off (default true).
    pub enabled: Option<bool>,
    pub max_failures: Option<u32>,
    pub window: Option<String>,
}

/// `[assurance]`: the levels a login can reach and the factor classes that
/// make them (R-AC-1, DESIGN.md §4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssuranceSection {
    /// The `acr` name of the lowest level any login of the tenant must reach
    /// (default: the first level).
    pub minimum: Option<String>,
    /// `[[assurance.levels]]`, lowest first; when present it replaces the
    /// default levels as a whole.
    pub levels: Option<Vec<LevelSection>>,
    pub classes: Option<ClassesSection>,
}

/// One `[[assurance.levels]]` entry. Both keys are required: a level has no
/// sensible default name or factors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSection {
    /// The `acr` value (OIDC Core §2), e.g. `loa-substantial`.
    pub name: String,
    /// Any one set reaches the level; every class of the set must be proven.
    pub alternatives: Vec<Vec<FactorClass>>,
}

/// `[assurance.classes.*]`: one optional table per factor class. A class that
/// is not written keeps its default rule; an unknown class name is a syntax
/// error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassesSection {
    pub knowledge: Option<ClassSection>,
    pub possession: Option<ClassSection>,
    pub device_bound: Option<ClassSection>,
    pub hardware_key: Option<ClassSection>,
}

impl ClassesSection {
    /// The written table of a class, if any.
    pub fn get(&self, class: FactorClass) -> Option<&ClassSection> {
        match class {
            FactorClass::Knowledge => self.knowledge.as_ref(),
            FactorClass::Possession => self.possession.as_ref(),
            FactorClass::DeviceBound => self.device_bound.as_ref(),
            FactorClass::HardwareKey => self.hardware_key.as_ref(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassSection {
    /// Allowed methods in the order they are offered; `[]` switches the class
    /// off.
    pub methods: Option<Vec<Method>>,
    /// How long evidence of the class is reused, e.g. `"12h"` (R-AC-3).
    pub max_age: Option<String>,
    /// `enrol` or `deny` when the user has no method of the class (R-AC-4).
    pub on_missing: Option<OnMissing>,
}

/// `[second_factor]` (R-MF-2, R-MF-4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorSection {
    pub mandatory: Option<bool>,
    /// Digits of the health card's serial asked before SMS-TAN enrolment;
    /// absent or 0 = no membership proof.
    pub membership_proof_digits: Option<u8>,
    /// Codes per recovery list; 0 = recovery codes are off.
    pub recovery_codes: Option<u8>,
    pub passwordless: Option<bool>,
}

/// `[otp]`: one-time codes by SMS or e-mail (R-MF-3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpSection {
    pub length: Option<u8>,
    pub validity: Option<String>,
    pub max_attempts: Option<u32>,
    pub resend_after: Option<String>,
}

/// `[required_actions]` (R-RG-7, R-RG-2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredActionsSection {
    /// The actions the tenant runs, in this order; an action not listed never
    /// runs.
    pub order: Option<Vec<RequiredAction>>,
    /// The terms version in force; absent = no terms to accept.
    pub terms_version: Option<String>,
}

impl PolicyFile {
    /// Parses TOML text. Syntax errors, unknown keys and wrong types are
    /// reported with the parser's location.
    pub fn from_toml(text: &str) -> Result<Self, crate::PolicyError> {
        toml::from_str(text).map_err(|error| crate::PolicyError::Syntax(error.to_string()))
    }
}
