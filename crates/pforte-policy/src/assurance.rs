//! Assurance levels, second factors and required actions of a tenant
//! (R-AC-1 … R-AC-4, R-MF-2 … R-MF-4, R-RG-7), resolved and pure.
//!
//! A level is a set of factor classes with alternatives (DESIGN.md §4), e.g.
//! `loa-high = [[knowledge, device_bound], [knowledge, hardware_key]]`. Levels
//! are ordered from the lowest to the highest; a login that proved the classes
//! of a level (with evidence no older than each class allows) reaches it.

use chrono::{DateTime, TimeDelta, Utc};
use pforte_types::{Evidence, FactorClass, Method};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One assurance level: its `acr` name and the alternative sets of classes
/// that reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub name: String,
    /// Any one of these sets reaches the level; each set must be proven in
    /// full.
    pub alternatives: Vec<Vec<FactorClass>>,
}

impl Level {
    /// True when every alternative asks for a factor besides the password
    /// (a class other than `knowledge`): no login reaches this level with the
    /// password alone. The admin console requires such a level (R-OP-1).
    pub fn needs_second_factor(&self) -> bool {
        !self.alternatives.is_empty()
            && self
                .alternatives
                .iter()
                .all(|classes| classes.iter().any(|class| *class != FactorClass::Knowledge))
    }
}

/// What happens when a user has no enrolled method for a class a level needs
/// (R-AC-4): never a silent downgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMissing {
    /// Lead the user to enrol a method of the class.
    Enrol,
    /// Refuse the login with a clear error (`access_denied` to the client).
    Deny,
}

/// The rule of one factor class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassPolicy {
    /// Allowed methods, in the order they are offered.
    pub methods: Vec<Method>,
    /// How long evidence of this class is reused within a session (step-up
    /// asks again after this, R-AC-3).
    pub max_age: TimeDelta,
    pub on_missing: OnMissing,
}

/// One-time codes by SMS or e-mail (R-MF-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtpPolicy {
    /// Number of digits (default 6).
    pub length: u8,
    /// How long a sent code is valid (default 5 minutes).
    pub validity: TimeDelta,
    /// Wrong entries before the code is void (default 3).
    pub max_attempts: u32,
    /// Minimum time between two sends for the same login or action (default
    /// 30 seconds).
    pub resend_after: TimeDelta,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self {
            length: 6,
            validity: TimeDelta::minutes(5),
            max_attempts: 3,
            resend_after: TimeDelta::seconds(30),
        }
    }
}

/// A required action at login (R-RG-7), run after the factors, each only when
/// triggered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequiredAction {
    /// The password is an initial one (R-PW-3).
    ChangeInitialPassword,
    /// A terms version newer than the accepted one is in force (R-RG-2).
    AcceptTerms,
    /// A second factor is mandatory and none is enrolled (R-MF-2).
    EnrolSecondFactor,
    /// No verified mobile number although the policy asks for one.
    VerifyPhone,
    /// No verified e-mail address although the policy asks for one.
    VerifyEmail,
}

impl RequiredAction {
    pub const ALL: [RequiredAction; 5] = [
        Self::ChangeInitialPassword,
        Self::AcceptTerms,
        Self::EnrolSecondFactor,
        Self::VerifyPhone,
        Self::VerifyEmail,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::ChangeInitialPassword => "change_initial_password",
            Self::AcceptTerms => "accept_terms",
            Self::EnrolSecondFactor => "enrol_second_factor",
            Self::VerifyPhone => "verify_phone",
            Self::VerifyEmail => "verify_email",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == text)
    }
}

/// The methods that can prove a class; a policy that lists another method
/// for the class is rejected. A password is knowledge and nothing else; a
/// one-time code or authenticator app is possession; only a registered
/// device's key (R-DV) is device-bound; a hardware key is a WebAuthn
/// credential. Recovery codes stand in for a possession factor only, so they
/// can never lift a login to a device-bound or hardware-key level.
pub fn allowed_methods(class: FactorClass) -> &'static [Method] {
    match class {
        FactorClass::Knowledge => &[Method::Password],
        FactorClass::Possession => &[
            Method::Totp,
            Method::SmsTan,
            Method::EmailCode,
            Method::Webauthn,
            Method::RecoveryCode,
        ],
        FactorClass::DeviceBound => &[Method::DeviceKey],
        FactorClass::HardwareKey => &[Method::Webauthn],
    }
}

/// Second factors, levels and required actions of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssurancePolicy {
    /// From the lowest to the highest; never empty.
    pub levels: Vec<Level>,
    /// Index into `levels`: no login of this tenant ends below it.
    pub minimum: usize,
    pub classes: BTreeMap<FactorClass, ClassPolicy>,
    /// A second factor must be enrolled at login (R-MF-2); the user chooses
    /// the method.
    pub second_factor_mandatory: bool,
    /// Enrolling SMS-TAN first asks the last digits of the health card's
    /// serial number (R-MF-4); `None` = no membership proof.
    pub membership_proof_digits: Option<u8>,
    /// How many recovery codes a list has; 0 = recovery codes are off.
    pub recovery_codes: u8,
    /// WebAuthn passkeys may replace the password (passwordless login).
    pub passwordless: bool,
    pub otp: OtpPolicy,
    /// The required actions this tenant runs, in this order (R-RG-7).
    pub required_actions: Vec<RequiredAction>,
    /// The terms version in force (R-RG-2); `None` = no terms to accept.
    pub terms_version: Option<String>,
}

impl Default for AssurancePolicy {
    /// `loa-low` (password), `loa-substantial` (password and a possession
    /// factor), `loa-high` (password and a device-bound or hardware key).
    fn default() -> Self {
        use FactorClass::{DeviceBound, HardwareKey, Knowledge, Possession};
        let class = |methods: Vec<Method>, on_missing| ClassPolicy {
            methods,
            max_age: TimeDelta::hours(12),
            on_missing,
        };
        let mut classes = BTreeMap::new();
        classes.insert(Knowledge, class(vec![Method::Password], OnMissing::Deny));
        classes.insert(
            Possession,
            class(
                vec![
                    Method::Totp,
                    Method::SmsTan,
                    Method::EmailCode,
                    Method::Webauthn,
                    Method::RecoveryCode,
                ],
                OnMissing::Enrol,
            ),
        );
        classes.insert(DeviceBound, class(vec![Method::DeviceKey], OnMissing::Deny));
        classes.insert(HardwareKey, class(vec![Method::Webauthn], OnMissing::Enrol));
        Self {
            levels: vec![
                Level {
                    name: "loa-low".into(),
                    alternatives: vec![vec![Knowledge]],
                },
                Level {
                    name: "loa-substantial".into(),
                    alternatives: vec![vec![Knowledge, Possession]],
                },
                Level {
                    name: "loa-high".into(),
                    alternatives: vec![vec![Knowledge, DeviceBound], vec![Knowledge, HardwareKey]],
                },
            ],
            minimum: 0,
            classes,
            second_factor_mandatory: false,
            membership_proof_digits: None,
            recovery_codes: 10,
            passwordless: false,
            otp: OtpPolicy::default(),
            required_actions: vec![
                RequiredAction::ChangeInitialPassword,
                RequiredAction::AcceptTerms,
                RequiredAction::EnrolSecondFactor,
            ],
            terms_version: None,
        }
    }
}

impl AssurancePolicy {
    /// The position of a level by its `acr` name.
    pub fn rank(&self, acr: &str) -> Option<usize> {
        self.levels.iter().position(|level| level.name == acr)
    }

    /// The `acr` names from the lowest to the highest (discovery's
    /// `acr_values_supported`).
    pub fn level_names(&self) -> Vec<String> {
        self.levels.iter().map(|level| level.name.clone()).collect()
    }

    /// The rule of a class; a class the tenant does not configure allows no
    /// method and denies.
    pub fn class(&self, class: FactorClass) -> Option<&ClassPolicy> {
        self.classes.get(&class)
    }

    /// The class a method proves when it is used for `wanted`: the wanted
    /// class when it allows the method, else the first class that does.
    pub fn class_of(&self, method: Method, wanted: Option<FactorClass>) -> Option<FactorClass> {
        if let Some(wanted) = wanted
            && self
                .class(wanted)
                .is_some_and(|rule| rule.methods.contains(&method))
        {
            return Some(wanted);
        }
        self.classes
            .iter()
            .find(|(_, rule)| rule.methods.contains(&method))
            .map(|(class, _)| *class)
    }

    /// Whether this evidence still counts for its class at `now`: no older
    /// than the class's maximum age, nor than `max_age` of the request.
    pub fn is_fresh(
        &self,
        evidence: &Evidence,
        now: DateTime<Utc>,
        request_max_age: Option<TimeDelta>,
    ) -> bool {
        let Some(rule) = self.class(evidence.class) else {
            return false;
        };
        let age = now.signed_duration_since(evidence.at);
        let within_class = age <= rule.max_age;
        let within_request = request_max_age.is_none_or(|max_age| age <= max_age);
        within_class && within_request && rule.methods.contains(&evidence.method)
    }

    /// The classes proven by fresh evidence.
    pub fn fresh_classes(
        &self,
        evidence: &[Evidence],
        now: DateTime<Utc>,
        request_max_age: Option<TimeDelta>,
    ) -> Vec<FactorClass> {
        let mut classes: Vec<FactorClass> = evidence
            .iter()
            .filter(|item| self.is_fresh(item, now, request_max_age))
            .map(|item| item.class)
            .collect();
        classes.sort_unstable();
        classes.dedup();
        classes
    }

    /// Whether the fresh evidence reaches the level at `index`.
    pub fn reaches(
        &self,
        index: usize,
        evidence: &[Evidence],
        now: DateTime<Utc>,
        request_max_age: Option<TimeDelta>,
    ) -> bool {
        let proven = self.fresh_classes(evidence, now, request_max_age);
        self.levels.get(index).is_some_and(|level| {
            level
                .alternatives
                .iter()
                .any(|set| set.iter().all(|class| proven.contains(class)))
        })
    }

    /// The highest level the fresh evidence reaches, as an index; `None` when
    /// it reaches none (never report a level that was not reached, R-AC-4).
    pub fn best_reached(
        &self,
        evidence: &[Evidence],
        now: DateTime<Utc>,
        request_max_age: Option<TimeDelta>,
    ) -> Option<usize> {
        (0..self.levels.len())
            .rev()
            .find(|index| self.reaches(*index, evidence, now, request_max_age))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn r_op_1_only_levels_with_a_factor_besides_the_password_need_a_second_factor() {
        let levels = AssurancePolicy::default().levels;
        assert!(!levels[0].needs_second_factor());
        assert!(levels[1].needs_second_factor());
        assert!(levels[2].needs_second_factor());
        let mixed = Level {
            name: "mixed".into(),
            alternatives: vec![
                vec![FactorClass::Knowledge],
                vec![FactorClass::Knowledge, FactorClass::Possession],
            ],
        };
        assert!(!mixed.needs_second_factor());
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    fn proof(method: Method, class: FactorClass, seconds: i64) -> Evidence {
        Evidence {
            method,
            class,
            at: at(seconds),
        }
    }

    #[test]
    fn r_ac_1_default_levels_are_reached_by_their_classes() {
        let policy = AssurancePolicy::default();
        let password = proof(Method::Password, FactorClass::Knowledge, 0);
        let totp = proof(Method::Totp, FactorClass::Possession, 0);
        let key = proof(Method::Webauthn, FactorClass::HardwareKey, 0);
        assert_eq!(policy.best_reached(&[], at(1), None), None);
        assert_eq!(policy.best_reached(&[password], at(1), None), Some(0));
        assert_eq!(policy.best_reached(&[password, totp], at(1), None), Some(1));
        assert_eq!(policy.best_reached(&[password, key], at(1), None), Some(2));
        assert_eq!(policy.best_reached(&[totp], at(1), None), None);
    }

    #[test]
    fn r_ac_3_stale_evidence_no_longer_counts() {
        let policy = AssurancePolicy::default();
        let password = proof(Method::Password, FactorClass::Knowledge, 0);
        let totp = proof(Method::Totp, FactorClass::Possession, 0);
        let later = at(13 * 3600);
        assert_eq!(policy.best_reached(&[password, totp], later, None), None);
        let max_age = Some(TimeDelta::seconds(10));
        assert_eq!(
            policy.best_reached(&[password, totp], at(11), max_age),
            None
        );
        assert_eq!(
            policy.best_reached(&[password, totp], at(10), max_age),
            Some(1)
        );
    }

    #[test]
    fn a_method_proves_the_class_it_was_asked_for() {
        let policy = AssurancePolicy::default();
        assert_eq!(
            policy.class_of(Method::Webauthn, Some(FactorClass::HardwareKey)),
            Some(FactorClass::HardwareKey)
        );
        assert_eq!(
            policy.class_of(Method::Webauthn, None),
            Some(FactorClass::Possession)
        );
        assert_eq!(
            policy.class_of(Method::Password, Some(FactorClass::Possession)),
            Some(FactorClass::Knowledge)
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_class() -> impl Strategy<Value = FactorClass> {
            proptest::sample::select(FactorClass::ALL.to_vec())
        }

        fn any_method() -> impl Strategy<Value = Method> {
            proptest::sample::select(Method::ALL.to_vec())
        }

        fn any_rule(class: FactorClass) -> impl Strategy<Value = ClassPolicy> {
            (
                {
                    let allowed = allowed_methods(class).to_vec();
                    let len = allowed.len();
                    proptest::sample::subsequence(allowed, 0..=len)
                },
                1i64..=48 * 3600,
            )
                .prop_map(|(methods, seconds)| ClassPolicy {
                    methods,
                    max_age: TimeDelta::seconds(seconds),
                    on_missing: OnMissing::Enrol,
                })
        }

        /// Random levels over random class rules; a class may be missing
        /// altogether or allow no method.
        fn any_policy() -> impl Strategy<Value = AssurancePolicy> {
            let set = proptest::collection::vec(any_class(), 1..=3);
            let level = proptest::collection::vec(set, 1..=3);
            let levels = proptest::collection::vec(level, 1..=4);
            let rules =
                FactorClass::ALL.map(|class| proptest::option::weighted(0.85, any_rule(class)));
            (levels, rules).prop_map(|(levels, rules)| AssurancePolicy {
                levels: levels
                    .into_iter()
                    .enumerate()
                    .map(|(index, alternatives)| Level {
                        name: format!("level-{index}"),
                        alternatives,
                    })
                    .collect(),
                classes: FactorClass::ALL
                    .into_iter()
                    .zip(rules)
                    .filter_map(|(class, rule)| rule.map(|rule| (class, rule)))
                    .collect(),
                ..AssurancePolicy::default()
            })
        }

        fn any_evidence() -> impl Strategy<Value = Vec<(Method, FactorClass, i64)>> {
            proptest::collection::vec((any_method(), any_class(), 0i64..=3 * 86_400), 0..=8)
        }

        /// Whether `class` is proven, computed from the definitions rather
        /// than with the policy's own helpers.
        fn proven(
            policy: &AssurancePolicy,
            class: FactorClass,
            evidence: &[Evidence],
            now: DateTime<Utc>,
            request_max_age: Option<TimeDelta>,
        ) -> bool {
            let Some(rule) = policy.classes.get(&class) else {
                return false;
            };
            evidence.iter().any(|item| {
                let age = now - item.at;
                item.class == class
                    && rule.methods.contains(&item.method)
                    && age <= rule.max_age
                    && request_max_age.is_none_or(|max_age| age <= max_age)
            })
        }

        proptest! {
            /// R-AC-4: the reported level always has an alternative whose
            /// every class is proven by fresh evidence of an allowed method,
            /// and it is the highest such level; no level at all when none is
            /// reached.
            #[test]
            fn r_ac_4_best_reached_never_reports_a_level_that_was_not_proven(
                policy in any_policy(),
                evidence in any_evidence(),
                request_max_age in proptest::option::of(0i64..=2 * 86_400),
            ) {
                let now = at(10 * 86_400);
                let evidence: Vec<Evidence> = evidence
                    .into_iter()
                    .map(|(method, class, age)| Evidence {
                        method,
                        class,
                        at: now - TimeDelta::seconds(age),
                    })
                    .collect();
                let request_max_age = request_max_age.map(TimeDelta::seconds);
                let reached: Vec<bool> = policy
                    .levels
                    .iter()
                    .map(|level| {
                        level.alternatives.iter().any(|set| {
                            set.iter().all(|class| {
                                proven(&policy, *class, &evidence, now, request_max_age)
                            })
                        })
                    })
                    .collect();
                let best = policy.best_reached(&evidence, now, request_max_age);
                if let Some(index) = best {
                    prop_assert!(reached[index], "level {index} reported but not proven");
                }
                prop_assert_eq!(best, reached.iter().rposition(|reached| *reached));
            }
        }
    }
}
