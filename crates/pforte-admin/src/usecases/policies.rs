//! The policy in the admin console and API (R-OP-1): view the active policy
//! (its TOML and a readable summary of levels, lockout and password rules)
//! and validate an uploaded one with the same check as `pforte config check
//! --policy` (`ResolvedPolicy::check_toml`). Validating activates nothing: a
//! policy takes effect only through `policy_file` and a restart, so that all
//! nodes run the same rules (R-OP-5).

use pforte_identity::operator_roles::Permission;
use pforte_policy::{ClassRule, DuringLock, ResolvedPolicy};

use crate::error::AdminError;
use crate::operator::Operator;
use crate::state::AdminState;

/// The longest policy text accepted for validation (a preset is ~3 KiB).
pub const MAX_POLICY_BYTES: usize = 256 * 1024;

/// A readable summary of a policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicySummary {
    pub name: String,
    pub description: String,
    /// From the lowest to the highest.
    pub levels: Vec<LevelSummary>,
    /// The tenant's minimum level.
    pub minimum_level: Option<String>,
    pub second_factor_mandatory: bool,
    pub lockout_max_failures: u32,
    pub lockout_minutes: i64,
    /// `ignore`, `extend` or `deactivate`: what a login during a lock does.
    pub lockout_during_lock: &'static str,
    pub lockout_failure_cap: u32,
    pub password_min_length: usize,
    pub password_max_length: usize,
    /// `none`, `all_of:upper,lower` or `at_least:3_of:upper,lower,digit,special`.
    pub password_composition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LevelSummary {
    pub name: String,
    /// Each alternative is a set of factor classes proven together.
    pub alternatives: Vec<Vec<String>>,
}

/// The policy in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActivePolicy {
    /// The TOML of `policy_file`; `None` when the built-in defaults apply.
    pub toml: Option<String>,
    pub summary: PolicySummary,
}

/// The result of validating an uploaded policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyCheck {
    pub valid: bool,
    /// Every problem, one per entry (`key: message`).
    pub problems: Vec<String>,
    /// The summary of a valid policy.
    pub summary: Option<PolicySummary>,
}

pub fn view_policy(state: &AdminState, operator: &Operator) -> Result<ActivePolicy, AdminError> {
    operator.require(Permission::ViewPolicies)?;
    let default;
    let policy = match state.web.identity.policy() {
        Some(policy) => policy,
        None => {
            default = ResolvedPolicy::default();
            &default
        }
    };
    Ok(ActivePolicy {
        toml: state.policy_text.as_deref().map(str::to_owned),
        summary: summary(policy),
    })
}

/// Checks a policy text; nothing is activated.
pub fn validate_policy(operator: &Operator, text: &str) -> Result<PolicyCheck, AdminError> {
    operator.require(Permission::ValidatePolicy)?;
    if text.len() > MAX_POLICY_BYTES {
        return Err(AdminError::Invalid(format!(
            "policy: at most {MAX_POLICY_BYTES} bytes"
        )));
    }
    Ok(match ResolvedPolicy::check_toml(text) {
        Ok(policy) => PolicyCheck {
            valid: true,
            problems: Vec::new(),
            summary: Some(summary(&policy)),
        },
        Err(problems) => PolicyCheck {
            valid: false,
            problems,
            summary: None,
        },
    })
}

pub fn summary(policy: &ResolvedPolicy) -> PolicySummary {
    let assurance = &policy.assurance;
    PolicySummary {
        name: policy.name.clone(),
        description: policy.description.clone(),
        levels: assurance
            .levels
            .iter()
            .map(|level| LevelSummary {
                name: level.name.clone(),
                alternatives: level
                    .alternatives
                    .iter()
                    .map(|set| set.iter().map(|class| class.as_str().to_owned()).collect())
                    .collect(),
            })
            .collect(),
        minimum_level: assurance
            .levels
            .get(assurance.minimum)
            .map(|level| level.name.clone()),
        second_factor_mandatory: assurance.second_factor_mandatory,
        lockout_max_failures: policy.lockout.max_failures,
        lockout_minutes: policy.lockout.lock_duration.num_minutes(),
        lockout_during_lock: match policy.lockout.during_lock {
            DuringLock::Ignore => "ignore",
            DuringLock::Extend => "extend",
            DuringLock::Deactivate => "deactivate",
        },
        lockout_failure_cap: policy.lockout.failure_cap,
        password_min_length: policy.password.min_length,
        password_max_length: policy.password.max_length,
        password_composition: composition(&policy.password.classes),
    }
}

fn composition(rule: &ClassRule) -> String {
    let names = |classes: &[pforte_policy::CharClass]| {
        classes
            .iter()
            .map(|class| format!("{class:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(",")
    };
    match rule {
        ClassRule::None => "none".to_owned(),
        ClassRule::AllOf(classes) => format!("all_of:{}", names(classes)),
        ClassRule::AtLeast { required, of } => format!("at_least:{required}_of:{}", names(of)),
    }
}
