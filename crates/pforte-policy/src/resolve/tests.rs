#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::identifier::{Identifier, KvnrSuffix, UsernameKind};
use crate::lockout::DuringLock;
use crate::nist::NistDeviation;
use crate::password::{CharClass, IdentifierRule, PasswordContext, PasswordViolation};
use std::path::PathBuf;

fn presets_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/policies")
}

fn preset(name: &str) -> ResolvedPolicy {
    let path = presets_dir().join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    ResolvedPolicy::from_toml(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn invalid(text: &str) -> PolicyError {
    ResolvedPolicy::from_toml(text).expect_err("policy should be rejected")
}

fn accepts(policy: &ResolvedPolicy, password: &str) -> bool {
    policy
        .password
        .evaluate(password, &PasswordContext::default())
        .is_ok()
}

#[test]
fn every_preset_in_config_policies_loads_and_validates() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(presets_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|ext| ext.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let policy = ResolvedPolicy::from_toml(&text)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        assert_eq!(
            policy.name,
            stem,
            "the name inside {} matches the file name",
            path.display()
        );
        assert!(
            !policy.description.is_empty(),
            "{} has a description",
            path.display()
        );
        names.push(stem);
    }
    names.sort();
    assert_eq!(
        names,
        [
            "eight-all-classes",
            "eight-three-of-four-deactivate",
            "gematik-ehealth",
            "health-insurer-mandatory-2fa",
            "kvnr-login-card-specials",
            "nist-800-63b-4",
            "twelve-restricted-specials-history-ten",
        ]
    );
}

#[test]
fn r_ac_1_preset_gematik_ehealth_uses_the_gematik_acr_names() {
    use crate::assurance::RequiredAction;
    use pforte_types::{Evidence, FactorClass, Method};
    let policy = preset("gematik-ehealth").assurance;
    assert_eq!(
        policy.level_names(),
        [
            "gematik-ehealth-loa-substantial",
            "gematik-ehealth-loa-high"
        ]
    );
    assert_eq!(policy.minimum, 0);
    assert!(policy.second_factor_mandatory);
    assert_eq!(policy.recovery_codes, 0);
    assert_eq!(policy.terms_version.as_deref(), Some("2026-01"));
    assert!(
        policy
            .required_actions
            .contains(&RequiredAction::AcceptTerms)
    );
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let proof = |method, class| Evidence {
        method,
        class,
        at: now,
    };
    let password = proof(Method::Password, FactorClass::Knowledge);
    let sms = proof(Method::SmsTan, FactorClass::Possession);
    let device = proof(Method::DeviceKey, FactorClass::DeviceBound);
    let key = proof(Method::Webauthn, FactorClass::HardwareKey);
    let email = proof(Method::EmailCode, FactorClass::Possession);
    assert_eq!(policy.best_reached(&[password], now, None), None);
    assert_eq!(policy.best_reached(&[password, email], now, None), None);
    assert_eq!(policy.best_reached(&[password, sms], now, None), Some(0));
    assert_eq!(policy.best_reached(&[device], now, None), Some(0));
    assert_eq!(policy.best_reached(&[password, device], now, None), Some(1));
    assert_eq!(policy.best_reached(&[password, key], now, None), Some(1));
}

#[test]
fn r_mf_2_preset_health_insurer_mandatory_2fa_matches_its_source() {
    use crate::assurance::RequiredAction;
    let policy = preset("health-insurer-mandatory-2fa").assurance;
    assert_eq!(
        policy.level_names(),
        ["loa-low", "loa-substantial", "loa-high"]
    );
    assert_eq!(policy.minimum, 1);
    assert!(policy.second_factor_mandatory);
    assert_eq!(policy.membership_proof_digits, Some(5));
    assert_eq!(policy.recovery_codes, 10);
    assert_eq!(
        policy.required_actions,
        [
            RequiredAction::ChangeInitialPassword,
            RequiredAction::AcceptTerms,
            RequiredAction::EnrolSecondFactor,
            RequiredAction::VerifyEmail
        ]
    );
    assert_eq!(policy.terms_version.as_deref(), Some("2026-01"));
}

#[test]
fn r_pw_2_preset_eight_all_classes_matches_its_source() {
    let policy = preset("eight-all-classes");
    assert_eq!(policy.password.min_length, 8);
    assert_eq!(
        policy.password.classes,
        ClassRule::AllOf(CharClass::ALL.to_vec())
    );
    assert!(policy.password.initial_must_change);
    assert_eq!(
        policy.identifiers.accepted,
        [UsernameKind::SelfChosen, UsernameKind::Assigned]
    );
    assert!(
        accepts(&policy, "a4Dfe5?n"),
        "the example printed with the rule"
    );
    assert!(!accepts(&policy, "a4Dfe5xn"));
    let context = PasswordContext {
        usernames: &["Erika"],
        email: Some("erika.muster@example.org"),
        ..PasswordContext::default()
    };
    assert_eq!(
        policy.password.evaluate("Erika-2024!", &context),
        Err(vec![PasswordViolation::ContainsUsername])
    );
}

#[test]
fn r_lo_2_preset_eight_three_of_four_deactivate_matches_its_source() {
    let policy = preset("eight-three-of-four-deactivate");
    assert_eq!(policy.password.min_length, 8);
    assert_eq!(
        policy.password.classes,
        ClassRule::AtLeast {
            required: 3,
            of: CharClass::ALL.to_vec()
        }
    );
    for example in ["Sonne915", "Sonne*91", "sonne#91"] {
        assert!(accepts(&policy, example), "{example}");
    }
    assert!(!accepts(&policy, "sonne915"));
    assert_eq!(policy.lockout.max_failures, 5);
    assert_eq!(policy.lockout.lock_duration, TimeDelta::hours(24));
    assert_eq!(policy.lockout.during_lock, DuringLock::Deactivate);
    assert!(
        policy
            .nist_deviations()
            .contains(&NistDeviation::DeactivateOnAttemptDuringLock)
    );
}

#[test]
fn r_pw_2_preset_twelve_restricted_specials_history_ten_matches_its_source() {
    let policy = preset("twelve-restricted-specials-history-ten");
    assert_eq!(policy.password.min_length, 12);
    assert_eq!(policy.password.history, 10);
    assert_eq!(policy.password.username_rule, IdentifierRule::NotEqual);
    assert_eq!(
        policy.password.special_characters,
        SpecialCharacters::Only("?!,.:_()@-+".chars().collect())
    );
    assert!(accepts(&policy, "Sommerwiese7?"));
    assert!(!accepts(&policy, "Sommerwiese7#"));
    assert_eq!(
        policy.identifiers.classify("x110435031-1"),
        Ok(Identifier::Kvnr(crate::Kvnr::parse("X110435031").unwrap()))
    );
    assert_eq!(
        policy.identifiers.classify("Erika@Example.org"),
        Ok(Identifier::Email("erika@example.org".into()))
    );
}

#[test]
fn r_id_1_preset_kvnr_login_card_specials_matches_its_source() {
    let policy = preset("kvnr-login-card-specials");
    assert_eq!(policy.identifiers.accepted, [UsernameKind::Kvnr]);
    assert_eq!(policy.identifiers.kvnr.suffix, KvnrSuffix::Strip);
    assert_eq!(
        policy
            .identifiers
            .classify("A000500015-1")
            .unwrap()
            .as_str(),
        "A000500015"
    );
    assert!(policy.identifiers.classify("K220645129").is_err());
    assert!(accepts(&policy, "Sommer[2]"));
    assert!(!accepts(&policy, "Sommer@22"));
}

#[test]
fn nist_800_63b_4_preset_has_no_composition_rules_and_a_block_list() {
    let policy = preset("nist-800-63b-4");
    assert_eq!(policy.password.classes, ClassRule::None);
    assert_eq!(policy.password.min_length, 15);
    assert_eq!(policy.password.effective_min_length(true), 8);
    assert!(policy.password.max_length >= 64);
    assert!(policy.password.blocklist.uses_common_list());
    assert!(policy.lockout.failure_cap <= 100);
    assert_eq!(policy.nist_deviations(), vec![]);
    assert!(accepts(&policy, "pferd batterie heftklammer"));
    assert!(!accepts(&policy, "kurz"));
}

#[test]
fn seed_presets_list_their_nist_deviations() {
    let deviations = preset("twelve-restricted-specials-history-ten").nist_deviations();
    assert_eq!(
        deviations,
        vec![
            NistDeviation::CompositionRules,
            NistDeviation::RestrictedCharacters,
            NistDeviation::ShortSingleFactorMinimum { min_length: 12 },
        ]
    );
}

#[test]
fn an_empty_file_resolves_to_the_defaults() {
    let policy = ResolvedPolicy::from_toml("").unwrap();
    assert_eq!(policy, ResolvedPolicy::default());
}

#[test]
fn n_of_m_above_m_is_rejected_with_its_key() {
    let error = invalid(
        r#"
        [password.composition]
        rule = "at_least"
        classes = ["upper", "lower", "digit", "special"]
        at_least = 5
        "#,
    );
    assert_eq!(
        error.problems(),
        [Problem {
            key: "password.composition.at_least".into(),
            message: "5 of 4 classes can never be met".into(),
        }]
    );
}

#[test]
fn min_length_above_max_length_is_rejected() {
    let error = invalid("[password]\nmin_length = 20\nmax_length = 16\n");
    assert!(error.mentions("password.min_length"), "{error}");
    assert!(
        error.to_string().contains("password.max_length = 16"),
        "{error}"
    );
}

#[test]
fn empty_special_set_with_special_required_is_rejected() {
    let error = invalid(
        r#"
        [password]
        special_characters = ""
        [password.composition]
        rule = "all_of"
        "#,
    );
    assert!(error.mentions("password.special_characters"), "{error}");
}

#[test]
fn more_than_100_failures_is_rejected_per_nist() {
    let error = invalid("[lockout]\nmax_failures = 101\nfailure_cap = 101\n");
    assert!(error.mentions("lockout.max_failures"), "{error}");
    assert!(error.mentions("lockout.failure_cap"), "{error}");
    assert!(error.to_string().contains("NIST 800-63B"), "{error}");
    let within = ResolvedPolicy::from_toml("[lockout]\nmax_failures = 100\n").unwrap();
    assert_eq!(within.lockout.max_failures, 100);
}

#[test]
fn impossible_and_unsafe_settings_name_their_keys() {
    let cases = [
        ("[identifiers]\naccepted = []\n", "identifiers.accepted"),
        (
            "[identifiers]\naccepted = [\"kvnr\", \"kvnr\"]\n",
            "identifiers.accepted",
        ),
        (
            "[identifiers]\nusername_min_length = 10\nusername_max_length = 5\n",
            "identifiers.username_min_length",
        ),
        ("[password]\nmin_length = 0\n", "password.min_length"),
        ("[password]\nmax_length = 5000\n", "password.max_length"),
        (
            "[password]\nmin_length = 8\nmin_length_with_second_factor = 12\n",
            "password.min_length_with_second_factor",
        ),
        (
            "[password]\nspecial_characters = \"!a\"\n",
            "password.special_characters",
        ),
        ("[password]\nhistory = 1000\n", "password.history"),
        (
            "[password.composition]\nrule = \"at_least\"\n",
            "password.composition.at_least",
        ),
        (
            "[password.composition]\nrule = \"at_least\"\nat_least = 0\n",
            "password.composition.at_least",
        ),
        (
            "[password.composition]\nrule = \"all_of\"\nat_least = 2\n",
            "password.composition.at_least",
        ),
        (
            "[password.composition]\nrule = \"all_of\"\nclasses = []\n",
            "password.composition.classes",
        ),
        (
            "[password.composition]\nrule = \"all_of\"\nclasses = [\"digit\", \"digit\"]\n",
            "password.composition.classes",
        ),
        (
            "[password.blocklist]\nterms = [\" \"]\n",
            "password.blocklist.terms",
        ),
        (
            "[password.hashing]\niterations = 0\n",
            "password.hashing.iterations",
        ),
        (
            "[password.hashing]\nparallelism = 0\n",
            "password.hashing.parallelism",
        ),
        (
            "[password.hashing]\nmemory_kib = 16\nparallelism = 4\n",
            "password.hashing.memory_kib",
        ),
        ("[lockout]\nmax_failures = 0\n", "lockout.max_failures"),
        (
            "[lockout]\nmax_failures = 10\nfailure_cap = 5\n",
            "lockout.failure_cap",
        ),
        (
            "[lockout]\nlock_duration = \"0s\"\n",
            "lockout.lock_duration",
        ),
        (
            "[lockout]\nlock_duration = \"one day\"\n",
            "lockout.lock_duration",
        ),
        (
            "[lockout]\nlock_duration = \"400d\"\n",
            "lockout.lock_duration",
        ),
        (
            "[throttle]\nper_ip = { max_failures = 0 }\n",
            "throttle.per_ip.max_failures",
        ),
        (
            "[throttle]\nper_network = { window = \"soon\" }\n",
            "throttle.per_network.window",
        ),
        ("[throttle]\nipv4_prefix = 33\n", "throttle.ipv4_prefix"),
        ("[throttle]\nipv6_prefix = 129\n", "throttle.ipv6_prefix"),
    ];
    for (text, key) in cases {
        let error = invalid(text);
        assert!(
            error.mentions(key),
            "{text:?} should name {key}, got: {error}"
        );
    }
}

#[test]
fn all_problems_of_a_file_are_reported_together() {
    let error = invalid(
        r#"
        [password]
        min_length = 30
        max_length = 20
        [password.composition]
        rule = "at_least"
        at_least = 7
        [lockout]
        max_failures = 500
        "#,
    );
    let keys: Vec<&str> = error
        .problems()
        .iter()
        .map(|problem| problem.key.as_str())
        .collect();
    assert!(keys.contains(&"password.min_length"));
    assert!(keys.contains(&"password.composition.at_least"));
    assert!(keys.contains(&"lockout.max_failures"));
}

#[test]
fn unknown_keys_and_wrong_types_are_syntax_errors_naming_the_key() {
    let error = invalid("[password]\nminimum_length = 8\n");
    assert!(matches!(error, PolicyError::Syntax(_)), "{error:?}");
    assert!(error.to_string().contains("minimum_length"), "{error}");

    let error = invalid("[lockout]\nduring_lock = \"explode\"\n");
    assert!(error.to_string().contains("explode"), "{error}");

    let error = invalid("[password]\nmin_length = \"eight\"\n");
    assert!(error.to_string().contains("min_length"), "{error}");
}

#[test]
fn r_lo_5_a_throttle_limit_can_be_switched_off() {
    let policy = ResolvedPolicy::from_toml(
        r#"
        [throttle]
        per_network = { enabled = false }
        per_ip = { max_failures = 5, window = "1h" }
        "#,
    )
    .unwrap();
    assert_eq!(policy.throttle.per_network, None);
    assert_eq!(
        policy.throttle.per_ip,
        Some(ThrottleLimit {
            max_failures: 5,
            window: TimeDelta::hours(1)
        })
    );
}
