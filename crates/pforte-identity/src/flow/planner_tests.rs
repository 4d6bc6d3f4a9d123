#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use pforte_policy::RequiredAction;
use pforte_types::AccountId;
use proptest::prelude::*;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
}

fn open_facts(enrolled: &[Method]) -> Facts {
    Facts {
        gate: Gate::Open,
        enrolled: enrolled.to_vec(),
        must_change_password: false,
        accepted_terms: None,
        email_verified: true,
        phone_verified: true,
    }
}

/// A login that started at `at(1)`: evidence at `at(0)` comes from the
/// session, later evidence from this login.
fn txn_with(evidence: &[Evidence]) -> LoginTxn {
    LoginTxn {
        account_id: Some(AccountId::new()),
        evidence: evidence.to_vec(),
        ..LoginTxn::fresh(at(1))
    }
}

fn proof(method: Method, class: FactorClass, seconds: i64) -> Evidence {
    Evidence {
        method,
        class,
        at: at(seconds),
    }
}

fn password(seconds: i64) -> Evidence {
    proof(Method::Password, FactorClass::Knowledge, seconds)
}

fn totp(seconds: i64) -> Evidence {
    proof(Method::Totp, FactorClass::Possession, seconds)
}

const LOW: Plan = Plan {
    required: 0,
    max_age: None,
};
const SUBSTANTIAL: Plan = Plan {
    required: 1,
    max_age: None,
};

#[test]
fn identify_comes_first() {
    let policy = AssurancePolicy::default();
    let next = next(
        &policy,
        &LOW,
        &LoginTxn::fresh(at(0)),
        &open_facts(&[]),
        at(1),
    );
    assert_eq!(next, Next::Identify);
}

#[test]
fn r_lo_1_a_locked_account_never_gets_further() {
    let policy = AssurancePolicy::default();
    let facts = Facts {
        gate: Gate::Locked,
        ..open_facts(&[Method::Totp])
    };
    assert_eq!(
        next(&policy, &LOW, &txn_with(&[password(0)]), &facts, at(1)),
        Next::Refuse(Gate::Locked)
    );
}

#[test]
fn r_ac_1_password_reaches_loa_low() {
    let policy = AssurancePolicy::default();
    let Next::Done(reached) = next(
        &policy,
        &LOW,
        &txn_with(&[password(0)]),
        &open_facts(&[Method::Totp]),
        at(1),
    ) else {
        panic!("expected done");
    };
    assert_eq!(reached.acr, "loa-low");
    assert_eq!(reached.amr, vec!["pwd"]);
    assert_eq!(reached.auth_time, at(0));
}

#[test]
fn r_ac_3_step_up_asks_only_the_missing_factor_and_gives_a_new_auth_time() {
    let policy = AssurancePolicy::default();
    let facts = open_facts(&[Method::SmsTan, Method::Totp]);
    let session = [password(0)];
    assert_eq!(
        next(&policy, &SUBSTANTIAL, &txn_with(&session), &facts, at(60)),
        Next::Prove {
            class: FactorClass::Possession,
            methods: vec![Method::Totp, Method::SmsTan],
        }
    );
    let Next::Done(reached) = next(
        &policy,
        &SUBSTANTIAL,
        &txn_with(&[password(0), totp(60)]),
        &facts,
        at(61),
    ) else {
        panic!("expected done");
    };
    assert_eq!(reached.acr, "loa-substantial");
    assert_eq!(reached.amr, vec!["otp", "pwd", "mfa"]);
    assert_eq!(reached.auth_time, at(60));
}

#[test]
fn r_ac_3_max_age_zero_asks_every_factor_again() {
    let policy = AssurancePolicy::default();
    let plan = Plan {
        required: 1,
        max_age: Some(TimeDelta::zero()),
    };
    let facts = open_facts(&[Method::Totp]);
    assert_eq!(
        next(
            &policy,
            &plan,
            &txn_with(&[password(0), totp(0)]),
            &facts,
            at(5)
        ),
        Next::Identify
    );
    assert!(matches!(
        next(
            &policy,
            &plan,
            &txn_with(&[password(5), totp(0)]),
            &facts,
            at(5)
        ),
        Next::Prove { .. }
    ));
}

#[test]
fn r_ac_4_a_user_without_factor_is_led_to_enrol_or_refused() {
    let mut policy = AssurancePolicy::default();
    let txn = txn_with(&[password(0)]);
    let Next::Enrol { class, methods } = next(&policy, &SUBSTANTIAL, &txn, &open_facts(&[]), at(1))
    else {
        panic!("expected enrol");
    };
    assert_eq!(class, FactorClass::Possession);
    assert_eq!(
        methods,
        vec![
            Method::Totp,
            Method::SmsTan,
            Method::EmailCode,
            Method::Webauthn
        ]
    );
    policy
        .classes
        .get_mut(&FactorClass::Possession)
        .unwrap()
        .on_missing = OnMissing::Deny;
    assert_eq!(
        next(&policy, &SUBSTANTIAL, &txn, &open_facts(&[]), at(1)),
        Next::Unmet(Unmet {
            class: FactorClass::Possession
        })
    );
}

#[test]
fn r_ac_1_loa_high_takes_the_alternative_the_user_can_prove() {
    let policy = AssurancePolicy::default();
    let high = Plan {
        required: 2,
        max_age: None,
    };
    let facts = open_facts(&[Method::Webauthn]);
    assert_eq!(
        next(&policy, &high, &txn_with(&[password(0)]), &facts, at(1)),
        Next::Prove {
            class: FactorClass::HardwareKey,
            methods: vec![Method::Webauthn],
        }
    );
}

#[test]
fn r_ac_4_loa_high_without_any_key_leads_to_enrolling_a_hardware_key() {
    // Neither a device key (`deny`) nor a WebAuthn credential (`enrol`):
    // the alternative that can still be reached by enrolling wins.
    let policy = AssurancePolicy::default();
    let high = Plan {
        required: 2,
        max_age: None,
    };
    assert_eq!(
        next(
            &policy,
            &high,
            &txn_with(&[password(0)]),
            &open_facts(&[Method::Totp]),
            at(1)
        ),
        Next::Enrol {
            class: FactorClass::HardwareKey,
            methods: vec![Method::Webauthn],
        }
    );
}

#[test]
fn r_rg_7_required_actions_run_in_policy_order_after_the_factors() {
    let mut policy = AssurancePolicy {
        terms_version: Some("2026-01".into()),
        second_factor_mandatory: true,
        ..AssurancePolicy::default()
    };
    policy.required_actions = vec![
        RequiredAction::ChangeInitialPassword,
        RequiredAction::AcceptTerms,
        RequiredAction::EnrolSecondFactor,
        RequiredAction::VerifyEmail,
    ];
    let txn = txn_with(&[password(0)]);
    let mut facts = Facts {
        must_change_password: true,
        email_verified: false,
        ..open_facts(&[])
    };
    let mut seen = Vec::new();
    for _ in 0..10 {
        match next(&policy, &LOW, &txn, &facts, at(1)) {
            Next::Action(action) => {
                seen.push(action);
                match action {
                    RequiredAction::ChangeInitialPassword => facts.must_change_password = false,
                    RequiredAction::AcceptTerms => facts.accepted_terms = Some("2026-01".into()),
                    RequiredAction::EnrolSecondFactor => facts.enrolled.push(Method::Totp),
                    RequiredAction::VerifyEmail => facts.email_verified = true,
                    RequiredAction::VerifyPhone => facts.phone_verified = true,
                }
            }
            Next::Done(_) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, policy.required_actions);
}

#[test]
fn r_mf_2_recovery_codes_alone_do_not_satisfy_a_mandatory_second_factor() {
    let policy = AssurancePolicy {
        second_factor_mandatory: true,
        ..AssurancePolicy::default()
    };
    assert!(is_triggered(
        &policy,
        RequiredAction::EnrolSecondFactor,
        &open_facts(&[Method::RecoveryCode])
    ));
    assert!(!is_triggered(
        &policy,
        RequiredAction::EnrolSecondFactor,
        &open_facts(&[Method::SmsTan])
    ));
}

fn any_method() -> impl Strategy<Value = Method> {
    proptest::sample::select(Method::ALL.to_vec())
}

fn any_class() -> impl Strategy<Value = FactorClass> {
    proptest::sample::select(FactorClass::ALL.to_vec())
}

fn any_evidence() -> impl Strategy<Value = Evidence> {
    (any_method(), any_class(), 0i64..100_000).prop_map(|(method, class, seconds)| Evidence {
        method,
        class,
        at: at(seconds),
    })
}

fn any_action() -> impl Strategy<Value = RequiredAction> {
    proptest::sample::select(RequiredAction::ALL.to_vec())
}

fn any_gate() -> impl Strategy<Value = Gate> {
    proptest::sample::select(vec![
        Gate::Open,
        Gate::Locked,
        Gate::Deactivated,
        Gate::EmailUnconfirmed,
        Gate::AwaitingActivation,
        Gate::MembershipEnded,
    ])
}

proptest! {
    /// DESIGN.md §7: never `Done` below the required level, never for a
    /// locked account, never with a pending required action.
    #[test]
    fn r_ac_4_planner_invariants(
        evidence in proptest::collection::vec(any_evidence(), 0..6),
        enrolled in proptest::collection::vec(any_method(), 0..5),
        actions in proptest::collection::vec(any_action(), 0..5),
        gate in any_gate(),
        required in 0usize..3,
        max_age in proptest::option::of(0i64..50_000),
        must_change in any::<bool>(),
        terms in proptest::option::of(proptest::sample::select(vec!["v1", "v2"])),
        mandatory in any::<bool>(),
        email_verified in any::<bool>(),
        phone_verified in any::<bool>(),
        identified in any::<bool>(),
        now in 0i64..120_000,
        started in 0i64..120_000,
    ) {
        let policy = AssurancePolicy {
            required_actions: actions,
            terms_version: Some("v2".into()),
            second_factor_mandatory: mandatory,
            ..AssurancePolicy::default()
        };
        let plan = Plan { required, max_age: max_age.map(TimeDelta::seconds) };
        let txn = LoginTxn {
            account_id: identified.then(AccountId::new),
            evidence,
            ..LoginTxn::fresh(at(started))
        };
        let facts = Facts {
            gate,
            enrolled,
            must_change_password: must_change,
            accepted_terms: terms.map(str::to_owned),
            email_verified,
            phone_verified,
        };
        let now = at(now);
        if let Next::Done(reached) = next(&policy, &plan, &txn, &facts, now) {
            prop_assert!(identified);
            prop_assert_eq!(gate, Gate::Open);
            let rank = policy.rank(&reached.acr).unwrap();
            prop_assert!(rank >= required);
            prop_assert!(policy.reaches(rank, &reached.evidence, now, None));
            // Evidence from before the login counts only within max_age.
            for item in &reached.evidence {
                prop_assert!(
                    item.at >= txn.started_at
                        || plan.max_age.is_none_or(|max_age| now.signed_duration_since(item.at) <= max_age)
                );
            }
            for action in actions_in_order(&policy) {
                prop_assert!(!is_triggered(&policy, action, &facts), "{:?} pending", action);
            }
        }
    }
}

#[test]
fn r_ac_4_loa_high_leads_to_the_alternative_the_user_can_enrol() {
    let policy = AssurancePolicy::default();
    let high = Plan {
        required: 2,
        max_age: None,
    };
    // device_bound denies, hardware_key enrols: the user is led to enrol a
    // security key rather than refused.
    assert_eq!(
        next(
            &policy,
            &high,
            &txn_with(&[password(0)]),
            &open_facts(&[]),
            at(1)
        ),
        Next::Enrol {
            class: FactorClass::HardwareKey,
            methods: vec![Method::Webauthn],
        }
    );
}

#[test]
fn oidc_core_3_1_2_1_max_age_does_not_void_what_this_login_proved() {
    let policy = AssurancePolicy::default();
    let plan = Plan {
        required: 0,
        max_age: Some(TimeDelta::zero()),
    };
    // The password entered during this login (at 2, after the start at 1)
    // counts even though the user took a while to finish.
    assert!(matches!(
        next(
            &policy,
            &plan,
            &txn_with(&[password(2)]),
            &open_facts(&[]),
            at(9)
        ),
        Next::Done(_)
    ));
}

#[test]
fn r_rg_7_actions_ordered_before_enrolment_run_before_a_needed_enrolment() {
    let policy = AssurancePolicy {
        terms_version: Some("2026-01".into()),
        second_factor_mandatory: true,
        ..AssurancePolicy::default()
    };
    let mut facts = Facts {
        must_change_password: true,
        ..open_facts(&[])
    };
    let txn = txn_with(&[password(1)]);
    let step = |facts: &Facts| next(&policy, &SUBSTANTIAL, &txn, facts, at(2));
    assert_eq!(
        step(&facts),
        Next::Action(RequiredAction::ChangeInitialPassword)
    );
    facts.must_change_password = false;
    assert_eq!(step(&facts), Next::Action(RequiredAction::AcceptTerms));
    facts.accepted_terms = Some("2026-01".into());
    assert!(matches!(step(&facts), Next::Enrol { .. }));
}
