//! Self-registration settings of a tenant (R-RG-1, R-RG-4): the minimum age,
//! how long a posted activation code stays valid and whether members choose
//! their username.

use crate::duration::parse_duration;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// Minimum age in whole years when the policy names none (seen in the
/// insurers' portals: 15, the age of social-law capacity, SGB I §36).
pub const DEFAULT_MINIMUM_AGE: u32 = 15;
/// Validity of an activation letter's code when the policy names none (R-RG-4).
pub const DEFAULT_ACTIVATION_CODE_VALIDITY_DAYS: i64 = 90;
/// Longest validity a policy may give an activation code.
pub const MAX_ACTIVATION_CODE_VALIDITY_DAYS: i64 = 365;
/// Highest minimum age a policy may set.
pub const MAX_MINIMUM_AGE: u32 = 120;

/// Where the username of a registered account comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsernameChoice {
    /// The member chooses one on the form (checked like any login name).
    #[default]
    Choose,
    /// The username is the KVNR: no field on the form, login with the number
    /// printed on the health card.
    Kvnr,
}

/// `[registration]` as written in the policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationSection {
    pub minimum_age: Option<u32>,
    /// A duration such as `"90d"`.
    pub activation_code_validity: Option<String>,
    pub username: Option<UsernameChoice>,
}

/// The resolved registration settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationPolicy {
    /// Members younger than this (in whole years, today) cannot register.
    pub minimum_age: u32,
    pub activation_code_validity: TimeDelta,
    pub username: UsernameChoice,
}

impl Default for RegistrationPolicy {
    fn default() -> Self {
        Self {
            minimum_age: DEFAULT_MINIMUM_AGE,
            activation_code_validity: TimeDelta::days(DEFAULT_ACTIVATION_CODE_VALIDITY_DAYS),
            username: UsernameChoice::Choose,
        }
    }
}

/// Validates `[registration]`; problems are reported with their key.
pub(crate) fn resolve_registration(
    section: RegistrationSection,
    add_problem: &mut dyn FnMut(&str, String),
) -> RegistrationPolicy {
    let defaults = RegistrationPolicy::default();
    let minimum_age = section.minimum_age.unwrap_or(defaults.minimum_age);
    if minimum_age > MAX_MINIMUM_AGE {
        add_problem(
            "registration.minimum_age",
            format!("{minimum_age} is above the limit of {MAX_MINIMUM_AGE}"),
        );
    }
    let activation_code_validity = match section.activation_code_validity {
        None => defaults.activation_code_validity,
        Some(text) => match parse_duration(&text) {
            Some(validity)
                if validity > TimeDelta::zero()
                    && validity <= TimeDelta::days(MAX_ACTIVATION_CODE_VALIDITY_DAYS) =>
            {
                validity
            }
            _ => {
                add_problem(
                    "registration.activation_code_validity",
                    format!(
                        "{text:?} is not a duration between 1s and {MAX_ACTIVATION_CODE_VALIDITY_DAYS}d"
                    ),
                );
                defaults.activation_code_validity
            }
        },
    };
    RegistrationPolicy {
        minimum_age,
        activation_code_validity,
        username: section.username.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use crate::ResolvedPolicy;
    use crate::registration::UsernameChoice;
    use chrono::TimeDelta;

    #[test]
    fn r_rg_1_registration_defaults_are_age_15_and_90_days() {
        let policy = ResolvedPolicy::from_toml("").unwrap();
        assert_eq!(policy.registration.minimum_age, 15);
        assert_eq!(
            policy.registration.activation_code_validity,
            TimeDelta::days(90)
        );
        assert_eq!(policy.registration.username, UsernameChoice::Choose);
    }

    #[test]
    fn r_rg_4_registration_settings_are_read_and_checked() {
        let policy = ResolvedPolicy::from_toml(
            "[registration]\nminimum_age = 18\nactivation_code_validity = \"30d\"\nusername = \"kvnr\"\n",
        )
        .unwrap();
        assert_eq!(policy.registration.minimum_age, 18);
        assert_eq!(
            policy.registration.activation_code_validity,
            TimeDelta::days(30)
        );
        assert_eq!(policy.registration.username, UsernameChoice::Kvnr);

        let error = ResolvedPolicy::from_toml(
            "[registration]\nminimum_age = 200\nactivation_code_validity = \"2000d\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("registration.minimum_age"), "{error}");
        assert!(
            error.contains("registration.activation_code_validity"),
            "{error}"
        );
    }
}
