#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::assurance::OnMissing;
use crate::{AssurancePolicy, PolicyError, ResolvedPolicy};
use chrono::TimeDelta;
use pforte_types::{FactorClass, Method};

fn resolved(text: &str) -> AssurancePolicy {
    ResolvedPolicy::from_toml(text)
        .unwrap_or_else(|error| panic!("{text}\n{error}"))
        .assurance
}

fn invalid(text: &str) -> PolicyError {
    ResolvedPolicy::from_toml(text).expect_err("policy should be rejected")
}

/// Rejected with a problem at `key`.
fn assert_rejected(cases: &[(&str, &str)]) {
    for (text, key) in cases {
        let error = invalid(text);
        assert!(
            error.mentions(key),
            "{text:?} should name {key}, got: {error}"
        );
    }
}

/// Rejected by the parser (unknown key or value), naming `word`.
fn assert_syntax(cases: &[(&str, &str)]) {
    for (text, word) in cases {
        let error = invalid(text);
        assert!(matches!(error, PolicyError::Syntax(_)), "{text:?}: {error}");
        assert!(error.to_string().contains(word), "{text:?}: {error}");
    }
}

#[test]
fn r_ac_1_absent_sections_take_the_default_assurance_policy() {
    for text in [
        "",
        "[assurance]\n",
        "[assurance.classes]\n",
        "[second_factor]\n",
        "[otp]\n",
        "[required_actions]\n",
    ] {
        assert_eq!(resolved(text), AssurancePolicy::default(), "{text:?}");
    }
}

#[test]
fn r_ac_1_a_full_file_is_read_into_the_resolved_policy() {
    let policy = resolved(
        r#"
        [assurance]
        minimum = "medium"
        [[assurance.levels]]
        name = "basic"
        alternatives = [["knowledge"]]
        [[assurance.levels]]
        name = "medium"
        alternatives = [["knowledge", "possession"], ["device_bound"]]
        [assurance.classes.possession]
        methods = ["sms_tan", "totp"]
        max_age = "1h30m"
        on_missing = "deny"
        [second_factor]
        mandatory = true
        membership_proof_digits = 5
        recovery_codes = 0
        passwordless = false
        [otp]
        length = 8
        validity = "10m"
        max_attempts = 5
        resend_after = "1m"
        [required_actions]
        order = ["accept_terms", "enrol_second_factor"]
        terms_version = "2026-01"
        "#,
    );
    assert_eq!(policy.level_names(), ["basic", "medium"]);
    assert_eq!(policy.minimum, 1);
    assert_eq!(
        policy.levels[1].alternatives,
        [
            vec![FactorClass::Knowledge, FactorClass::Possession],
            vec![FactorClass::DeviceBound]
        ]
    );
    let possession = policy.class(FactorClass::Possession).unwrap();
    assert_eq!(possession.methods, [Method::SmsTan, Method::Totp]);
    assert_eq!(possession.max_age, TimeDelta::minutes(90));
    assert_eq!(possession.on_missing, OnMissing::Deny);
    // Classes that are not written keep their defaults.
    let defaults = AssurancePolicy::default();
    assert_eq!(
        policy.class(FactorClass::HardwareKey),
        defaults.class(FactorClass::HardwareKey)
    );
    assert!(policy.second_factor_mandatory);
    assert_eq!(policy.membership_proof_digits, Some(5));
    assert_eq!(policy.recovery_codes, 0);
    assert_eq!(policy.otp.length, 8);
    assert_eq!(policy.otp.validity, TimeDelta::minutes(10));
    assert_eq!(policy.otp.max_attempts, 5);
    assert_eq!(policy.otp.resend_after, TimeDelta::minutes(1));
    assert_eq!(
        policy.required_actions,
        [
            crate::RequiredAction::AcceptTerms,
            crate::RequiredAction::EnrolSecondFactor
        ]
    );
    assert_eq!(policy.terms_version.as_deref(), Some("2026-01"));
}

#[test]
fn r_ac_1_a_class_keeps_its_default_for_keys_it_does_not_write() {
    let policy = resolved("[assurance.classes.possession]\nmax_age = \"30m\"\n");
    let possession = policy.class(FactorClass::Possession).unwrap();
    let default = AssurancePolicy::default();
    let default = default.class(FactorClass::Possession).unwrap();
    assert_eq!(possession.max_age, TimeDelta::minutes(30));
    assert_eq!(possession.methods, default.methods);
    assert_eq!(possession.on_missing, default.on_missing);
}

#[test]
fn r_ac_1_without_a_written_minimum_the_lowest_level_is_the_minimum() {
    let policy =
        resolved("[[assurance.levels]]\nname = \"only\"\nalternatives = [[\"knowledge\"]]\n");
    assert_eq!(policy.minimum, 0);
    assert_eq!(policy.level_names(), ["only"]);
}

#[test]
fn r_mf_4_membership_proof_zero_or_absent_is_off() {
    assert_eq!(resolved("").membership_proof_digits, None);
    assert_eq!(
        resolved("[second_factor]\nmembership_proof_digits = 0\n").membership_proof_digits,
        None
    );
}

#[test]
fn r_ac_1_unknown_classes_methods_and_keys_are_syntax_errors() {
    assert_syntax(&[
        ("[assurance.classes.biometric]\nmethods = []\n", "biometric"),
        (
            "[assurance.classes.possession]\nmethods = [\"carrier_pigeon\"]\n",
            "carrier_pigeon",
        ),
        (
            "[[assurance.levels]]\nname = \"x\"\nalternatives = [[\"telepathy\"]]\n",
            "telepathy",
        ),
        (
            "[[assurance.levels]]\nname = \"x\"\nalternatives = [[\"knowledge\"]]\nacr = \"y\"\n",
            "acr",
        ),
        (
            "[[assurance.levels]]\nalternatives = [[\"knowledge\"]]\n",
            "name",
        ),
        ("[[assurance.levels]]\nname = \"x\"\n", "alternatives"),
        (
            "[assurance.classes.possession]\non_missing = \"downgrade\"\n",
            "downgrade",
        ),
        ("[second_factor]\nrequired = true\n", "required"),
        ("[otp]\ndigits = 6\n", "digits"),
        ("[otp]\nlength = 300\n", "length"),
        ("[required_actions]\norder = [\"sing\"]\n", "sing"),
        ("[assurance]\nlevel = \"loa-low\"\n", "level"),
    ]);
}

#[test]
fn r_ac_1_levels_must_exist_have_unique_valid_acr_names_and_factors() {
    let level = |name: &str, alternatives: &str| {
        format!("[[assurance.levels]]\nname = {name:?}\nalternatives = {alternatives}\n")
    };
    let two_same = level("loa", "[[\"knowledge\"]]") + &level("loa", "[[\"knowledge\"]]");
    let with_space = level("loa low", "[[\"knowledge\"]]");
    let empty_name = level("", "[[\"knowledge\"]]");
    let umlaut = level("stärke", "[[\"knowledge\"]]");
    let too_long = level(&"a".repeat(129), "[[\"knowledge\"]]");
    let no_alternatives = level("loa", "[]");
    let empty_alternative = level("loa", "[[\"knowledge\"], []]");
    let class_twice = level("loa", "[[\"knowledge\", \"knowledge\"]]");
    assert_rejected(&[
        ("[assurance]\nlevels = []\n", "assurance.levels"),
        (&two_same, "assurance.levels[1].name"),
        (&with_space, "assurance.levels[0].name"),
        (&empty_name, "assurance.levels[0].name"),
        (&umlaut, "assurance.levels[0].name"),
        (&too_long, "assurance.levels[0].name"),
        (&no_alternatives, "assurance.levels[0].alternatives"),
        (&empty_alternative, "assurance.levels[0].alternatives[1]"),
        (&class_twice, "assurance.levels[0].alternatives[0]"),
    ]);
}

#[test]
fn r_ac_1_a_level_no_method_can_reach_is_rejected() {
    assert_rejected(&[
        // The default loa-substantial needs possession, switched off here.
        (
            "[assurance.classes.possession]\nmethods = []\n[second_factor]\nrecovery_codes = 0\n",
            "assurance.levels[1].alternatives[0]",
        ),
        // One dead alternative is rejected even when another one works.
        (
            "[assurance.classes.hardware_key]\nmethods = []\n",
            "assurance.levels[2].alternatives[1]",
        ),
    ]);
    // A switched-off class that no level uses is fine.
    let policy = resolved(
        r#"
        [[assurance.levels]]
        name = "loa-low"
        alternatives = [["knowledge"]]
        [assurance.classes.device_bound]
        methods = []
        [second_factor]
        recovery_codes = 0
        [assurance.classes.possession]
        methods = ["totp"]
        "#,
    );
    assert!(
        policy
            .class(FactorClass::DeviceBound)
            .unwrap()
            .methods
            .is_empty()
    );
}

#[test]
fn r_ac_2_the_minimum_must_name_a_level() {
    assert_rejected(&[(
        "[assurance]\nminimum = \"loa-medium\"\n",
        "assurance.minimum",
    )]);
    assert_eq!(resolved("[assurance]\nminimum = \"loa-high\"\n").minimum, 2);
}

#[test]
fn r_mf_1_methods_only_in_the_classes_they_can_prove() {
    assert_rejected(&[
        (
            "[assurance.classes.knowledge]\nmethods = [\"password\", \"totp\"]\n",
            "assurance.classes.knowledge.methods",
        ),
        (
            "[assurance.classes.hardware_key]\nmethods = [\"webauthn\", \"recovery_code\"]\n",
            "assurance.classes.hardware_key.methods",
        ),
        (
            "[assurance.classes.device_bound]\nmethods = [\"recovery_code\"]\n",
            "assurance.classes.device_bound.methods",
        ),
        (
            "[assurance.classes.possession]\nmethods = [\"totp\", \"device_key\", \"recovery_code\"]\n",
            "assurance.classes.possession.methods",
        ),
        (
            "[assurance.classes.hardware_key]\nmethods = [\"device_key\"]\n",
            "assurance.classes.hardware_key.methods",
        ),
        (
            "[assurance.classes.possession]\nmethods = [\"password\", \"recovery_code\"]\n",
            "assurance.classes.possession.methods",
        ),
        (
            "[assurance.classes.possession]\nmethods = [\"totp\", \"totp\", \"recovery_code\"]\n",
            "assurance.classes.possession.methods",
        ),
    ]);
    // device_key is accepted in its own class (issue 8 makes it enrollable).
    let policy = resolved("[assurance.classes.device_bound]\nmethods = [\"device_key\"]\n");
    assert_eq!(
        policy.class_of(Method::DeviceKey, None),
        Some(FactorClass::DeviceBound)
    );
}

#[test]
fn r_ac_3_class_max_age_must_be_a_positive_duration() {
    assert_rejected(&[
        (
            "[assurance.classes.possession]\nmax_age = \"0s\"\n",
            "assurance.classes.possession.max_age",
        ),
        (
            "[assurance.classes.knowledge]\nmax_age = \"half a day\"\n",
            "assurance.classes.knowledge.max_age",
        ),
    ]);
}

#[test]
fn r_mf_3_otp_limits_are_enforced() {
    assert_rejected(&[
        ("[otp]\nlength = 5\n", "otp.length"),
        ("[otp]\nlength = 11\n", "otp.length"),
        ("[otp]\nvalidity = \"59s\"\n", "otp.validity"),
        ("[otp]\nvalidity = \"31m\"\n", "otp.validity"),
        ("[otp]\nvalidity = \"soon\"\n", "otp.validity"),
        ("[otp]\nmax_attempts = 0\n", "otp.max_attempts"),
        ("[otp]\nmax_attempts = 11\n", "otp.max_attempts"),
        ("[otp]\nresend_after = \"0s\"\n", "otp.resend_after"),
        (
            "[otp]\nvalidity = \"2m\"\nresend_after = \"3m\"\n",
            "otp.resend_after",
        ),
    ]);
    for text in [
        "[otp]\nlength = 6\nvalidity = \"1m\"\nmax_attempts = 1\nresend_after = \"1m\"\n",
        "[otp]\nlength = 10\nvalidity = \"30m\"\nmax_attempts = 10\nresend_after = \"1s\"\n",
    ] {
        resolved(text);
    }
}

#[test]
fn r_mf_2_mandatory_second_factor_needs_an_enrollable_method_and_the_action() {
    assert_rejected(&[
        // Only knowledge in every level.
        (
            "[[assurance.levels]]\nname = \"loa-low\"\nalternatives = [[\"knowledge\"]]\n\
             [second_factor]\nmandatory = true\n",
            "second_factor.mandatory",
        ),
        // The only other class has device_key, which cannot be enrolled yet.
        (
            "[[assurance.levels]]\nname = \"app\"\nalternatives = [[\"knowledge\", \"device_bound\"]]\n\
             [second_factor]\nmandatory = true\n",
            "second_factor.mandatory",
        ),
        // Recovery codes alone are no second factor to enrol.
        (
            "[[assurance.levels]]\nname = \"loa\"\nalternatives = [[\"knowledge\", \"possession\"]]\n\
             [assurance.classes.possession]\nmethods = [\"recovery_code\"]\n\
             [second_factor]\nmandatory = true\n",
            "second_factor.mandatory",
        ),
        (
            "[second_factor]\nmandatory = true\n[required_actions]\norder = [\"change_initial_password\"]\n",
            "second_factor.mandatory",
        ),
    ]);
    assert!(resolved("[second_factor]\nmandatory = true\n").second_factor_mandatory);
}

#[test]
fn r_mf_4_membership_proof_digits_are_limited() {
    assert_rejected(&[
        (
            "[second_factor]\nmembership_proof_digits = 3\n",
            "second_factor.membership_proof_digits",
        ),
        (
            "[second_factor]\nmembership_proof_digits = 21\n",
            "second_factor.membership_proof_digits",
        ),
    ]);
}

#[test]
fn r_mf_1_recovery_codes_and_their_method_go_together() {
    assert_rejected(&[
        (
            "[second_factor]\nrecovery_codes = 0\n",
            "second_factor.recovery_codes",
        ),
        (
            "[second_factor]\nrecovery_codes = 51\n",
            "second_factor.recovery_codes",
        ),
        (
            "[assurance.classes.possession]\nmethods = [\"totp\"]\n",
            "second_factor.recovery_codes",
        ),
    ]);
    let policy = resolved(
        "[assurance.classes.possession]\nmethods = [\"totp\"]\n[second_factor]\nrecovery_codes = 0\n",
    );
    assert_eq!(policy.recovery_codes, 0);
}

#[test]
fn r_mf_1_passwordless_needs_webauthn_in_a_used_class() {
    assert_rejected(&[(
        "[[assurance.levels]]\nname = \"loa\"\nalternatives = [[\"knowledge\", \"possession\"]]\n\
         [assurance.classes.possession]\nmethods = [\"totp\", \"recovery_code\"]\n\
         [second_factor]\npasswordless = true\n",
        "second_factor.passwordless",
    )]);
    assert!(resolved("[second_factor]\npasswordless = true\n").passwordless);
}

#[test]
fn r_rg_7_required_actions_without_duplicates_and_with_a_terms_version() {
    assert_rejected(&[
        (
            "[required_actions]\norder = [\"verify_email\", \"verify_email\"]\n",
            "required_actions.order",
        ),
        (
            "[required_actions]\norder = [\"accept_terms\"]\n",
            "required_actions.terms_version",
        ),
        (
            "[required_actions]\nterms_version = \" \"\n",
            "required_actions.terms_version",
        ),
        (
            "[required_actions]\nterms_version = \"2026\\n01\"\n",
            "required_actions.terms_version",
        ),
    ]);
    // The built-in order names accept_terms; without a version it never runs.
    assert_eq!(resolved("").terms_version, None);
    let policy = resolved("[required_actions]\norder = []\n");
    assert!(policy.required_actions.is_empty());
    let policy = resolved("[required_actions]\nterms_version = \"2026-01\"\n");
    assert_eq!(
        policy.required_actions,
        AssurancePolicy::default().required_actions
    );
}

#[test]
fn r_ac_1_all_assurance_problems_are_reported_together() {
    let error = invalid(
        r#"
        [assurance]
        minimum = "nowhere"
        [otp]
        length = 4
        max_attempts = 0
        [required_actions]
        order = ["accept_terms", "accept_terms"]
        [password]
        min_length = 0
        "#,
    );
    for key in [
        "assurance.minimum",
        "otp.length",
        "otp.max_attempts",
        "required_actions.order",
        "required_actions.terms_version",
        "password.min_length",
    ] {
        assert!(error.mentions(key), "{key}: {error}");
    }
}

#[test]
fn r_ac_1_the_full_example_in_docs_policies_md_resolves() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/policies.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let section = text
        .split("## Assurance levels, second factors and required actions")
        .nth(1)
        .unwrap();
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let policy = resolved(example);
    let defaults = AssurancePolicy::default();
    assert_eq!(policy.levels, defaults.levels);
    assert_eq!(policy.classes, defaults.classes);
    assert_eq!(policy.otp, defaults.otp);
    assert_eq!(policy.required_actions, defaults.required_actions);
    assert_eq!(policy.membership_proof_digits, Some(5));
    assert_eq!(policy.terms_version.as_deref(), Some("2026-01"));
}
