//! Where a resolved policy departs from NIST SP 800-63B-4 (see
//! `docs/policies.md`). The admin console and `pforte config check` list these so
//! that every deviation is a visible, deliberate choice per tenant.

use crate::lockout::DuringLock;
use crate::password::{ClassRule, SpecialCharacters};
use crate::resolve::ResolvedPolicy;
use serde::Serialize;

/// Shortest password NIST 800-63B-4 accepts when it is the only factor.
pub const NIST_SINGLE_FACTOR_MIN_LENGTH: usize = 15;
/// Shortest password NIST 800-63B-4 accepts when a second factor is always used.
pub const NIST_MULTI_FACTOR_MIN_LENGTH: usize = 8;
/// Length NIST 800-63B says verifiers SHOULD permit at least.
pub const NIST_MAX_LENGTH_AT_LEAST: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "deviation", rename_all = "snake_case")]
pub enum NistDeviation {
    /// Composition rules (SHALL NOT in rev. 4).
    CompositionRules,
    /// Only a fixed set of special characters is allowed (rev. 4: all printable
    /// ASCII and Unicode SHOULD be accepted).
    RestrictedCharacters,
    /// Only ASCII letters are accepted.
    AsciiLettersOnly,
    /// Minimum length below 15 for password-only accounts.
    ShortSingleFactorMinimum { min_length: usize },
    /// Minimum length below 8 even with a second factor.
    ShortMultiFactorMinimum { min_length: usize },
    /// Maximum length below 64.
    ShortMaximum { max_length: usize },
    /// No common-password list (a block list is SHALL).
    NoCommonPasswordList,
    /// An attempt during a lock deactivates the account: anyone who knows a
    /// login name can deactivate it.
    DeactivateOnAttemptDuringLock,
}

impl ResolvedPolicy {
    /// Every departure from NIST 800-63B-4 in this policy.
    pub fn nist_deviations(&self) -> Vec<NistDeviation> {
        let password = &self.password;
        let mut deviations = Vec::new();
        if password.classes != ClassRule::None {
            deviations.push(NistDeviation::CompositionRules);
        }
        if matches!(password.special_characters, SpecialCharacters::Only(_)) {
            deviations.push(NistDeviation::RestrictedCharacters);
        }
        if password.ascii_letters_only {
            deviations.push(NistDeviation::AsciiLettersOnly);
        }
        if password.min_length < NIST_SINGLE_FACTOR_MIN_LENGTH {
            deviations.push(NistDeviation::ShortSingleFactorMinimum {
                min_length: password.min_length,
            });
        }
        let multi_factor_min = password.effective_min_length(true);
        if multi_factor_min < NIST_MULTI_FACTOR_MIN_LENGTH {
            deviations.push(NistDeviation::ShortMultiFactorMinimum {
                min_length: multi_factor_min,
            });
        }
        if password.max_length < NIST_MAX_LENGTH_AT_LEAST {
            deviations.push(NistDeviation::ShortMaximum {
                max_length: password.max_length,
            });
        }
        if !password.blocklist.uses_common_list() {
            deviations.push(NistDeviation::NoCommonPasswordList);
        }
        if self.lockout.during_lock == DuringLock::Deactivate {
            deviations.push(NistDeviation::DeactivateOnAttemptDuringLock);
        }
        deviations
    }
}
