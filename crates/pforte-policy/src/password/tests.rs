#![allow(clippy::unwrap_used)]

use super::blocklist::BlocklistSource;
use super::violation::render_all;
use super::*;
use crate::lang::Language;
use std::cell::Cell;

use CharClass::{Digit, Lower, Special, Upper};
use PasswordViolation as V;

fn specials(text: &str) -> SpecialCharacters {
    SpecialCharacters::Only(text.chars().collect())
}

/// 8 characters, all four classes, nothing resembling username or e-mail.
fn eight_all_classes() -> PasswordPolicy {
    PasswordPolicy {
        min_length: 8,
        min_length_with_second_factor: None,
        classes: ClassRule::AllOf(CharClass::ALL.to_vec()),
        ..PasswordPolicy::default()
    }
}

/// 8 characters, 3 of the 4 classes.
fn eight_three_of_four() -> PasswordPolicy {
    PasswordPolicy {
        min_length: 8,
        min_length_with_second_factor: None,
        classes: ClassRule::AtLeast {
            required: 3,
            of: CharClass::ALL.to_vec(),
        },
        ..PasswordPolicy::default()
    }
}

/// 12 characters, all four classes from `?!,.:_()@-+`, not equal to the
/// username, different from the last 10.
fn twelve_restricted_history_ten() -> PasswordPolicy {
    PasswordPolicy {
        min_length: 12,
        min_length_with_second_factor: None,
        classes: ClassRule::AllOf(CharClass::ALL.to_vec()),
        special_characters: specials("?!,.:_()@-+"),
        username_rule: IdentifierRule::NotEqual,
        history: 10,
        ..PasswordPolicy::default()
    }
}

fn check(policy: &PasswordPolicy, password: &str) -> Vec<PasswordViolation> {
    policy
        .evaluate(password, &PasswordContext::default())
        .err()
        .unwrap_or_default()
}

#[test]
fn r_pw_2_eight_characters_all_four_classes() {
    let policy = eight_all_classes();
    let cases: Vec<(&str, Vec<PasswordViolation>)> = vec![
        // The example printed with the rule.
        ("a4Dfe5?n", vec![]),
        ("Xy7#abcd", vec![]),
        ("a4Dfe5?", vec![V::TooShort { min: 8, actual: 7 }]),
        ("a4dfe5?n", vec![V::MissingClass { class: Upper }]),
        ("A4DFE5?N", vec![V::MissingClass { class: Lower }]),
        ("aXDfeY?n", vec![V::MissingClass { class: Digit }]),
        ("a4Dfe5xn", vec![V::MissingClass { class: Special }]),
        (
            "abcdefgh",
            vec![
                V::MissingClass { class: Upper },
                V::MissingClass { class: Digit },
                V::MissingClass { class: Special },
            ],
        ),
        // Umlauts are letters; a space is a special character when any is allowed.
        ("Äpfel 12", vec![]),
    ];
    for (password, expected) in cases {
        assert_eq!(check(&policy, password), expected, "{password:?}");
    }
}

#[test]
fn r_pw_2_eight_characters_three_of_four_classes() {
    let policy = eight_three_of_four();
    let three_of_four = |found| {
        vec![V::TooFewClasses {
            required: 3,
            found,
            of: CharClass::ALL.to_vec(),
        }]
    };
    let cases: Vec<(&str, Vec<PasswordViolation>)> = vec![
        // The three examples printed with the rule.
        ("Sonne915", vec![]),
        ("Sonne*91", vec![]),
        ("sonne#91", vec![]),
        ("sonne915", three_of_four(2)),
        ("sonnesonne", three_of_four(1)),
        ("SONNE*", {
            let mut expected = vec![V::TooShort { min: 8, actual: 6 }];
            expected.extend(three_of_four(2));
            expected
        }),
    ];
    for (password, expected) in cases {
        assert_eq!(check(&policy, password), expected, "{password:?}");
    }
}

#[test]
fn r_pw_2_twelve_characters_with_restricted_specials() {
    let policy = twelve_restricted_history_ten();
    let cases: Vec<(&str, Vec<PasswordViolation>)> = vec![
        ("Sommerwiese7?", vec![]),
        ("Ab3(Ab3)Ab3+", vec![]),
        ("Sommerwiese7", vec![V::MissingClass { class: Special }]),
        (
            "Sommerwie7?",
            vec![V::TooShort {
                min: 12,
                actual: 11,
            }],
        ),
        // `#` is outside the allowed set: not allowed, and not a special either.
        (
            "Sommerwiese7#",
            vec![
                V::DisallowedCharacters {
                    characters: vec!['#'],
                },
                V::MissingClass { class: Special },
            ],
        ),
        (
            "Sommer wiese7€€",
            vec![
                V::DisallowedCharacters {
                    characters: vec![' ', '€'],
                },
                V::MissingClass { class: Special },
            ],
        ),
    ];
    for (password, expected) in cases {
        assert_eq!(check(&policy, password), expected, "{password:?}");
    }
}

#[test]
fn r_pw_2_card_special_set_includes_brackets_and_equals() {
    let policy = PasswordPolicy {
        special_characters: specials(",.:=()+-_[]#!?%&"),
        ..eight_all_classes()
    };
    for password in ["Abcdef1=", "Abcdef1[", "Abcdef1]", "Abcdef1%", "Abcdef1&"] {
        assert_eq!(check(&policy, password), vec![], "{password:?}");
    }
    assert_eq!(
        check(&policy, "Abcdef1@"),
        vec![
            V::DisallowedCharacters {
                characters: vec!['@']
            },
            V::MissingClass { class: Special }
        ]
    );
}

#[test]
fn r_pw_2_every_violated_rule_is_reported_at_once() {
    let policy = PasswordPolicy {
        blocklist: Blocklist::new(true, ["pforte"]),
        username_rule: IdentifierRule::NotContained,
        email_rule: IdentifierRule::NotContained,
        ..twelve_restricted_history_ten()
    };
    let history = |_: &str, _: usize| true;
    let context = PasswordContext {
        usernames: &["erika"],
        email: Some("muster@example.org"),
        second_factor: false,
        history: Some(&history),
    };
    let violations = policy
        .evaluate("erika#muster#pforte", &context)
        .unwrap_err();
    assert_eq!(
        violations,
        vec![
            V::DisallowedCharacters {
                characters: vec!['#']
            },
            V::MissingClass { class: Upper },
            V::MissingClass { class: Digit },
            V::MissingClass { class: Special },
            V::ContainsUsername,
            V::ContainsEmail,
            V::Blocklisted {
                source: BlocklistSource::Tenant
            },
            V::RecentlyUsed { history: 10 },
        ]
    );
    let german = render_all(&violations, Language::De);
    assert_eq!(german.len(), violations.len());
    assert_eq!(
        german[0],
        "Diese Zeichen sind im Passwort nicht erlaubt: „#“."
    );
}

#[test]
fn r_pw_2_username_and_email_rules_ignore_case() {
    let contained = eight_three_of_four();
    let equal_only = PasswordPolicy {
        username_rule: IdentifierRule::NotEqual,
        email_rule: IdentifierRule::NotEqual,
        ..eight_three_of_four()
    };
    let allow = PasswordPolicy {
        username_rule: IdentifierRule::Allow,
        email_rule: IdentifierRule::Allow,
        ..eight_three_of_four()
    };
    let usernames = ["Erika.Muster2", "X110411675"];
    let context = PasswordContext {
        usernames: &usernames,
        email: Some("E.Muster@Example.org"),
        ..PasswordContext::default()
    };
    let eval = |policy: &PasswordPolicy, password: &str| {
        policy
            .evaluate(password, &context)
            .err()
            .unwrap_or_default()
    };

    assert_eq!(eval(&contained, "erika.muster2"), vec![V::EqualsUsername]);
    assert_eq!(eval(&equal_only, "ERIKA.MUSTER2"), vec![V::EqualsUsername]);
    assert_eq!(eval(&allow, "ERIKA.MUSTER2"), vec![]);
    assert_eq!(
        eval(&contained, "Mein-erika.muster2"),
        vec![V::ContainsUsername]
    );
    assert_eq!(eval(&equal_only, "Mein-erika.muster2"), vec![]);
    // The KVNR is a login name too.
    assert_eq!(eval(&contained, "Ax110411675"), vec![V::ContainsUsername]);
    assert_eq!(
        eval(&contained, "e.muster@example.ORG"),
        vec![V::EqualsEmail]
    );
    assert_eq!(eval(&contained, "Hallo-E.MUSTER-1"), vec![V::ContainsEmail]);
    assert_eq!(eval(&equal_only, "Hallo-E.MUSTER-1"), vec![]);
}

#[test]
fn r_pw_2_very_short_identifiers_are_only_compared_for_equality() {
    let policy = eight_three_of_four();
    let context = PasswordContext {
        usernames: &["jo"],
        email: Some("jo@example.org"),
        ..PasswordContext::default()
    };
    assert_eq!(policy.evaluate("Joghurt-123", &context), Ok(()));
}

#[test]
fn r_pw_2_blocklist_matches_common_passwords_case_insensitively() {
    let policy = PasswordPolicy {
        min_length: 6,
        ..PasswordPolicy::default()
    };
    let common = V::Blocklisted {
        source: BlocklistSource::Common,
    };
    assert_eq!(check(&policy, "PassWort123"), vec![common.clone()]);
    assert_eq!(check(&policy, "qwertz"), vec![common]);
    assert_eq!(check(&policy, "Schalke-Ostkurve-1904"), vec![]);
}

#[test]
fn r_pw_2_history_is_checked_through_the_callback_with_the_policy_depth() {
    let policy = twelve_restricted_history_ten();
    let calls = Cell::new(0);
    let history = |candidate: &str, depth: usize| {
        calls.set(calls.get() + 1);
        assert_eq!(depth, 10);
        candidate == "Alt-Passwort1"
    };
    let context = PasswordContext {
        history: Some(&history),
        ..PasswordContext::default()
    };
    assert_eq!(
        policy.evaluate("Alt-Passwort1", &context),
        Err(vec![V::RecentlyUsed { history: 10 }])
    );
    assert_eq!(policy.evaluate("Neu-Passwort1", &context), Ok(()));
    assert_eq!(calls.get(), 2);

    // No history kept: the callback is not consulted.
    let without = PasswordPolicy {
        history: 0,
        ..twelve_restricted_history_ten()
    };
    assert_eq!(without.evaluate("Alt-Passwort1", &context), Ok(()));
    assert_eq!(calls.get(), 2);
}

#[test]
fn nist_800_63b_4_length_depends_on_the_second_factor() {
    let policy = PasswordPolicy::default();
    let single = PasswordContext::default();
    let multi = PasswordContext {
        second_factor: true,
        ..PasswordContext::default()
    };
    assert_eq!(
        policy.evaluate("kurzes-pw12", &single),
        Err(vec![V::TooShort {
            min: 15,
            actual: 11
        }])
    );
    assert_eq!(policy.evaluate("kurzes-pw12", &multi), Ok(()));
    assert_eq!(policy.evaluate("drei kleine schweinchen", &single), Ok(()));
}

#[test]
fn r_pw_2_length_counts_code_points_and_enforces_the_maximum() {
    let policy = PasswordPolicy {
        min_length: 8,
        max_length: 10,
        ..PasswordPolicy::default()
    };
    // 8 code points, 16 bytes.
    assert_eq!(check(&policy, "äöüßÄÖÜé"), vec![]);
    assert_eq!(
        check(&policy, "ein-sehr-langes-passwort"),
        vec![V::TooLong {
            max: 10,
            actual: 24
        }]
    );
}

#[test]
fn r_pw_2_control_characters_are_never_allowed() {
    let policy = PasswordPolicy {
        min_length: 8,
        ..PasswordPolicy::default()
    };
    assert_eq!(
        check(&policy, "abc\u{7}defghij\n"),
        vec![V::DisallowedCharacters {
            characters: vec!['\u{7}', '\n']
        }]
    );
}

#[test]
fn r_pw_2_ascii_letters_only_refuses_umlauts() {
    let policy = PasswordPolicy {
        ascii_letters_only: true,
        ..eight_three_of_four()
    };
    assert_eq!(
        check(&policy, "Äpfelkuchen1!"),
        vec![V::DisallowedCharacters {
            characters: vec!['Ä']
        }]
    );
}

#[test]
fn r_pw_2_every_violation_has_a_key_and_both_languages() {
    let all = vec![
        V::TooShort { min: 8, actual: 3 },
        V::TooLong {
            max: 64,
            actual: 70,
        },
        V::MissingClass { class: Special },
        V::TooFewClasses {
            required: 3,
            found: 1,
            of: CharClass::ALL.to_vec(),
        },
        V::DisallowedCharacters {
            characters: vec![' '],
        },
        V::EqualsUsername,
        V::ContainsUsername,
        V::EqualsEmail,
        V::ContainsEmail,
        V::Blocklisted {
            source: BlocklistSource::Common,
        },
        V::Blocklisted {
            source: BlocklistSource::Tenant,
        },
        V::RecentlyUsed { history: 10 },
    ];
    let mut keys: Vec<&str> = all.iter().map(PasswordViolation::message_key).collect();
    assert!(keys.iter().all(|key| key.starts_with("password.")));
    keys.dedup();
    assert_eq!(
        keys.len(),
        all.len() - 1,
        "only the two block list sources share a key"
    );
    for violation in &all {
        let german = violation.render(Language::De);
        let english = violation.render(Language::En);
        assert!(!german.is_empty() && !english.is_empty());
        assert_ne!(german, english, "{violation:?}");
    }
    assert_eq!(
        all[3].render(Language::De),
        "Das Passwort muss Zeichen aus mindestens 3 dieser 4 Gruppen enthalten: \
         Großbuchstaben, Kleinbuchstaben, Ziffern und Sonderzeichen."
    );
    assert_eq!(
        all[3].render(Language::En),
        "The password must contain characters from at least 3 of these 4 groups: \
         upper-case letters, lower-case letters, digits and special characters."
    );
    assert_eq!(
        all[0].render(Language::De),
        "Das Passwort muss mindestens 8 Zeichen lang sein (es hat 3)."
    );
    assert_eq!(
        all[4].render(Language::En),
        "These characters are not allowed in the password: “␣”."
    );
}

#[test]
fn r_pw_2_violations_serialise_as_tagged_data_for_the_ui() {
    let json = serde_json::to_value(V::TooFewClasses {
        required: 3,
        found: 2,
        of: vec![Upper, Lower, Digit, Special],
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "rule": "too_few_classes",
            "required": 3,
            "found": 2,
            "of": ["upper", "lower", "digit", "special"],
        })
    );
}

#[test]
fn r_pw_3_initial_password_must_be_changed_when_the_policy_says_so() {
    let policy = eight_all_classes();
    assert!(policy.must_change_at_login(true));
    assert!(!policy.must_change_at_login(false));
    let relaxed = PasswordPolicy {
        initial_must_change: false,
        ..eight_all_classes()
    };
    assert!(!relaxed.must_change_at_login(true));
}
