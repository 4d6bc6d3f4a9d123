//! The pure planner of the login flow (DESIGN.md §4): given what the request
//! needs ([`Plan`]), what the login proved so far ([`LoginTxn`]) and what is
//! true of the account ([`Facts`]), it names the one next prompt ([`Next`]).
//!
//! Order: identify → account gate → each missing factor class of the level →
//! each triggered required action → done. Three invariants hold for every
//! input and are property-tested: it never answers `Done` below the required
//! level, never for a locked or deactivated account, and never while a
//! triggered required action is pending (R-AC-3, R-AC-4, R-RG-7).

use super::txn::LoginTxn;
use chrono::{DateTime, TimeDelta, Utc};
use pforte_policy::{AssurancePolicy, OnMissing, RequiredAction};
use pforte_types::{Evidence, FactorClass, Method, amr_of};

/// What this login must achieve, derived from the authorization request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Index of the required level in the policy's levels.
    pub required: usize,
    /// `max_age` of the request: older evidence is not reused.
    pub max_age: Option<TimeDelta>,
}

/// Whether the account may log in at all, as the lockout store and the
/// registration lifecycle see it (R-LO, R-ID-4, R-RG-3, R-RG-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    Locked,
    Deactivated,
    /// A registered account whose e-mail address is not confirmed yet
    /// (R-RG-3): the login continues to the confirmation, not to the RP.
    EmailUnconfirmed,
    /// A registered account waiting for its activation code (R-RG-4): the
    /// login continues to the code entry, not to the RP.
    AwaitingActivation,
    /// The member's membership ended (R-ID-4): the login is refused.
    MembershipEnded,
}

/// What is true of the account now; gathered by the runner before each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub gate: Gate,
    /// Methods the account can use now: confirmed factors, and
    /// `RecoveryCode` while unused codes are left.
    pub enrolled: Vec<Method>,
    pub must_change_password: bool,
    pub accepted_terms: Option<String>,
    pub email_verified: bool,
    pub phone_verified: bool,
}

/// Why a level cannot be reached (R-AC-4: a clear error, never a downgrade).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet {
    pub class: FactorClass,
}

/// The successful end of a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// The `acr` reached: the highest level the fresh evidence proves, never
    /// below the required one.
    pub acr: String,
    /// RFC 8176 values of the fresh evidence.
    pub amr: Vec<String>,
    /// The time of the latest factor proven (OIDC Core 2 `auth_time`).
    pub auth_time: DateTime<Utc>,
    /// The evidence that still counts, kept in the session for step-up.
    pub evidence: Vec<Evidence>,
}

/// The next prompt of the login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Ask for the login name and password (knowledge).
    Identify,
    /// The account is locked or deactivated: end the login.
    Refuse(Gate),
    /// Prove a factor of `class` with one of these enrolled methods.
    Prove {
        class: FactorClass,
        methods: Vec<Method>,
    },
    /// The user has no method for `class`: enrol one of these.
    Enrol {
        class: FactorClass,
        methods: Vec<Method>,
    },
    /// The level cannot be reached with this account (policy `deny`).
    Unmet(Unmet),
    /// Run this required action.
    Action(RequiredAction),
    Done(Reached),
}

/// Methods a user can enrol in a browser during login or self-service.
/// Recovery codes are issued after another factor, device keys come from
/// the app (R-DV), and the password is not a second factor.
pub fn enrollable(method: Method) -> bool {
    matches!(
        method,
        Method::Totp | Method::SmsTan | Method::EmailCode | Method::Webauthn
    )
}

/// Decides the next prompt (see the module documentation).
pub fn next(
    policy: &AssurancePolicy,
    plan: &Plan,
    txn: &LoginTxn,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Next {
    if txn.account_id.is_none() {
        return Next::Identify;
    }
    if facts.gate != Gate::Open {
        return Next::Refuse(facts.gate);
    }
    let required = plan.required.max(policy.minimum);
    let Some(level) = policy.levels.get(required) else {
        return Next::Unmet(Unmet {
            class: FactorClass::Knowledge,
        });
    };
    // `max_age` limits what is reused from before this login (OIDC Core
    // 3.1.2.1); what this login proved counts, however long the user took.
    let current: Vec<Evidence> = txn
        .evidence
        .iter()
        .copied()
        .filter(|item| {
            item.at >= txn.started_at
                || plan
                    .max_age
                    .is_none_or(|max_age| now.signed_duration_since(item.at) <= max_age)
        })
        .collect();
    let proven = policy.fresh_classes(&current, now, None);

    // The alternative of the level closest to completion: first one whose
    // missing classes the user can prove or at least enrol (R-AC-4: lead to
    // enrolment rather than refuse while another alternative allows it),
    // then fewest classes the user cannot prove, then fewest to go.
    let missing_of = |set: &Vec<FactorClass>| -> Vec<FactorClass> {
        set.iter()
            .copied()
            .filter(|class| !proven.contains(class))
            .collect()
    };
    let provable = |class: FactorClass| !usable(policy, class, facts).is_empty();
    let enrollable_class = |class: FactorClass| {
        policy.class(class).is_some_and(|rule| {
            rule.on_missing == OnMissing::Enrol
                && rule.methods.iter().any(|method| enrollable(*method))
        })
    };
    let best = level
        .alternatives
        .iter()
        .map(missing_of)
        .min_by_key(|missing| {
            let unprovable = missing.iter().filter(|class| !provable(**class));
            let dead = unprovable
                .clone()
                .filter(|class| !enrollable_class(**class))
                .count();
            (dead, unprovable.count(), missing.len())
        });
    let Some(mut missing) = best else {
        return Next::Unmet(Unmet {
            class: FactorClass::Knowledge,
        });
    };
    // Knowledge first: the password identifies before anything is sent.
    missing.sort_unstable();
    if let Some(class) = missing.first().copied() {
        if class == FactorClass::Knowledge {
            return Next::Identify;
        }
        let methods = usable(policy, class, facts);
        if !methods.is_empty() {
            return Next::Prove { class, methods };
        }
        let rule = policy.class(class);
        let can_enrol: Vec<Method> = rule
            .map(|rule| {
                rule.methods
                    .iter()
                    .copied()
                    .filter(|method| enrollable(*method))
                    .collect()
            })
            .unwrap_or_default();
        return match rule.map(|rule| rule.on_missing) {
            Some(OnMissing::Enrol) if !can_enrol.is_empty() => {
                // Enrolling is itself a required action (R-RG-7): the actions
                // the policy orders before it run first, e.g. replacing an
                // initial password before a factor is bound to the account.
                if let Some(action) = actions_in_order(policy)
                    .into_iter()
                    .take_while(|action| *action != RequiredAction::EnrolSecondFactor)
                    .find(|action| is_triggered(policy, *action, facts))
                {
                    return Next::Action(action);
                }
                Next::Enrol {
                    class,
                    methods: can_enrol,
                }
            }
            _ => Next::Unmet(Unmet { class }),
        };
    }

    for action in actions_in_order(policy) {
        if is_triggered(policy, action, facts) {
            return Next::Action(action);
        }
    }

    let evidence: Vec<Evidence> = current
        .into_iter()
        .filter(|item| policy.is_fresh(item, now, None))
        .collect();
    let reached = policy
        .best_reached(&evidence, now, None)
        .unwrap_or(required)
        .max(required);
    let auth_time = evidence.iter().map(|item| item.at).max().unwrap_or(now);
    Next::Done(Reached {
        acr: policy
            .levels
            .get(reached)
            .map(|level| level.name.clone())
            .unwrap_or_default(),
        amr: amr_of(&evidence),
        auth_time,
        evidence,
    })
}

/// The enrolled methods that prove `class` under the policy, in the
/// policy's order.
pub fn usable(policy: &AssurancePolicy, class: FactorClass, facts: &Facts) -> Vec<Method> {
    policy
        .class(class)
        .map(|rule| {
            rule.methods
                .iter()
                .copied()
                .filter(|method| *method != Method::Password && facts.enrolled.contains(method))
                .collect()
        })
        .unwrap_or_default()
}

/// The tenant's required actions in order. The change of an initial
/// password runs first even when the order omits it: R-PW-3 makes it
/// mandatory, and the password policy's `initial_must_change` is what
/// switches it off.
pub fn actions_in_order(policy: &AssurancePolicy) -> Vec<RequiredAction> {
    let mut actions = policy.required_actions.clone();
    if !actions.contains(&RequiredAction::ChangeInitialPassword) {
        actions.insert(0, RequiredAction::ChangeInitialPassword);
    }
    actions
}

/// Whether a required action applies to this account now (R-RG-7).
pub fn is_triggered(policy: &AssurancePolicy, action: RequiredAction, facts: &Facts) -> bool {
    match action {
        RequiredAction::ChangeInitialPassword => facts.must_change_password,
        RequiredAction::AcceptTerms => policy
            .terms_version
            .as_ref()
            .is_some_and(|version| facts.accepted_terms.as_ref() != Some(version)),
        RequiredAction::EnrolSecondFactor => {
            policy.second_factor_mandatory
                && !facts
                    .enrolled
                    .iter()
                    .any(|method| enrollable(*method) || *method == Method::DeviceKey)
        }
        RequiredAction::VerifyPhone => !facts.phone_verified,
        RequiredAction::VerifyEmail => !facts.email_verified,
    }
}

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
