//! The per-tenant policy file as written by operators (TOML). Every field is
//! optional; absent sections take the defaults of the resolved types. Unknown
//! keys are rejected so that a typo never silently weakens a policy.
//! [`PolicyFile::resolve`](crate::resolve) turns it into a [`ResolvedPolicy`](crate::ResolvedPolicy).

use crate::identifier::{KvnrLowercase, KvnrSuffix, UsernameKind};
use crate::lockout::DuringLock;
use crate::password::{CharClass, IdentifierRule};
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

impl PolicyFile {
    /// Parses TOML text. Syntax errors, unknown keys and wrong types are
    /// reported with the parser's location.
    pub fn from_toml(text: &str) -> Result<Self, crate::PolicyError> {
        toml::from_str(text).map_err(|error| crate::PolicyError::Syntax(error.to_string()))
    }
}
