//! The account lockout from outside (issue 3, R-LO-1 … R-LO-6): a provider
//! with a policy file (`policy_file`), logins through the HTML form, the
//! operator CLI (`user show`, `user unlock`, `user reactivate`,
//! `user set-password`) and the audit trail (`audit list`).
//!
//! Every scenario gets its own provider and users, so locks, deactivations
//! and clock moves never meet another test. The scenarios that wait for a
//! lock to end run the provider under libfaketime and move its wall clock.

use crate::support::PASSWORD;
use crate::support::forms::strip_tags;
use crate::support::lockout::{
    Attempt, DuringLock, FIVE_FAILURES, LOCK_SECS, Lockout, add_user, attempt, audit_kinds,
    audit_list, count, prepare, redeem, user_show,
};
use crate::support::server::Server;
use reqwest::StatusCode;

const WRONG: &str = "Falsches-Passwort-77";

fn policy(during_lock: DuringLock) -> Lockout {
    Lockout {
        max_failures: FIVE_FAILURES,
        lock_secs: LOCK_SECS,
        during_lock,
    }
}

/// A running provider with the policy and the given users (password
/// [`PASSWORD`]); `None` when a movable clock was asked for and libfaketime
/// is missing outside CI.
fn started(during_lock: DuringLock, movable_clock: bool, users: &[&str]) -> Option<Server> {
    let server = prepare(policy(during_lock), movable_clock)?;
    for user in users {
        add_user(&server, user, PASSWORD, &[]);
    }
    server.start();
    Some(server)
}

/// Five wrong passwords; every one is refused with the same message, which
/// is returned.
async fn fail_five_times(server: &Server, username: &str) -> String {
    let first = attempt(server, username, WRONG).await.refused();
    assert!(!first.is_empty(), "empty alert");
    for round in 2..=FIVE_FAILURES {
        let alert = attempt(server, username, WRONG).await.refused();
        assert_eq!(alert, first, "wrong password #{round} got another message");
    }
    first
}

/// The lock end `pforte user show` prints, as seconds after the CLI's (the
/// server's) current time.
fn locked_for_secs(server: &Server, username: &str) -> i64 {
    let shown = user_show(server, username);
    let until = chrono::DateTime::parse_from_rfc3339(&shown["locked_until"])
        .unwrap_or_else(|error| panic!("locked_until is not RFC 3339 ({error}): {shown:?}"));
    let now = chrono::Utc::now().timestamp() + server.clock_offset_secs() as i64;
    until.timestamp() - now
}

/// R-LO-1: N consecutive failures lock the account for the lock duration;
/// during the lock even the right password is refused with the same neutral
/// message; once the lock has run out (clock moved), the right password
/// works again and the counter starts afresh.
#[tokio::test]
async fn r_lo_1_five_wrong_passwords_lock_until_the_lock_duration_has_passed() {
    let Some(server) = started(DuringLock::Ignore, true, &["lena"]) else {
        return;
    };
    let neutral = fail_five_times(&server, "lena").await;

    let shown = user_show(&server, "lena");
    assert_eq!(shown["username"], "lena");
    assert_eq!(shown["state"], "locked", "{shown:?}");
    assert_eq!(shown["failures"], "5", "{shown:?}");
    let remaining = locked_for_secs(&server, "lena");
    assert!(
        (LOCK_SECS as i64 - 60..=LOCK_SECS as i64).contains(&remaining),
        "locked_until is {remaining} s away, expected about {LOCK_SECS} s"
    );

    let during = attempt(&server, "lena", PASSWORD).await.refused();
    assert_eq!(during, neutral, "the locked account got another message");
    let shown = user_show(&server, "lena");
    assert_eq!(shown["state"], "locked", "ignore: still locked: {shown:?}");
    assert_eq!(
        shown["failures"], "5",
        "an attempt during the lock is not a failure: {shown:?}"
    );

    server.advance_clock(LOCK_SECS - 30);
    let still = attempt(&server, "lena", PASSWORD).await.refused();
    assert_eq!(still, neutral, "opened before the lock ended");

    server.advance_clock(31);
    let code = attempt(&server, "lena", PASSWORD).await.code();
    let (status, body) = redeem(&server, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let shown = user_show(&server, "lena");
    assert_eq!(shown["state"], "active", "{shown:?}");
    assert_eq!(shown["failures"], "0", "{shown:?}");
    assert_eq!(shown["locked_until"], "-", "{shown:?}");

    let kinds = audit_kinds(&server, "lena");
    assert!(
        count(&kinds, "login_failed") >= 5,
        "five wrong passwords are five login_failed events: {kinds:?}"
    );
    assert_eq!(count(&kinds, "account_locked"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "account_deactivated"), 0, "{kinds:?}");
    assert_eq!(
        count(&kinds, "lock_extended"),
        0,
        "ignore never extends: {kinds:?}"
    );
    assert!(
        kinds.iter().any(|kind| kind == "account_unlocked"),
        "the lock that ran out is audited as account_unlocked: {kinds:?}"
    );
    let locked_at = kinds.iter().position(|kind| kind == "account_locked");
    let succeeded_at = kinds.iter().rposition(|kind| kind == "login_succeeded");
    assert!(
        succeeded_at.is_some() && locked_at < succeeded_at,
        "login_succeeded after account_locked: {kinds:?}"
    );
}

/// R-LO-6: every event carries the time, the login name, the client and the
/// source address; `--user` lists only that user's events and `--since`
/// only the later ones.
#[tokio::test]
async fn r_lo_6_audit_list_names_user_client_and_address_and_filters() {
    let Some(server) = started(DuringLock::Ignore, true, &["anke", "otto"]) else {
        return;
    };
    attempt(&server, "anke", WRONG).await.refused();
    attempt(&server, "otto", PASSWORD).await.code();
    server.advance_clock(3600);
    let since = chrono::Utc::now() + chrono::Duration::seconds(3600 - 5);
    attempt(&server, "anke", PASSWORD).await.code();

    let anke = audit_list(&server, &["--user", "anke"]);
    assert!(!anke.is_empty(), "no events for anke");
    for event in &anke {
        assert_ne!(
            event.fields.get("username").map(String::as_str),
            Some("otto"),
            "--user anke lists otto: {}",
            event.line
        );
    }
    let failed = anke
        .iter()
        .find(|event| event.kind == "login_failed")
        .unwrap_or_else(|| panic!("no login_failed: {anke:#?}"));
    assert_eq!(
        failed.fields.get("username").map(String::as_str),
        Some("anke"),
        "{}",
        failed.line
    );
    assert_eq!(
        failed.fields.get("client").map(String::as_str),
        Some(crate::support::lockout::CLIENT),
        "{}",
        failed.line
    );
    assert_eq!(
        failed.fields.get("ip").map(String::as_str),
        Some("127.0.0.1"),
        "{}",
        failed.line
    );
    assert!(
        failed
            .fields
            .get("request_id")
            .is_some_and(|id| !id.is_empty()),
        "no request_id: {}",
        failed.line
    );
    assert!(
        anke.iter().any(|event| event.kind == "login_succeeded"),
        "{anke:#?}"
    );

    let all = audit_list(&server, &[]);
    assert!(
        all.iter().any(|event| event.kind == "login_succeeded"
            && event.fields.get("username").map(String::as_str) == Some("otto")),
        "audit list without --user lists otto's login: {all:#?}"
    );

    let since_text = since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let since = chrono::DateTime::parse_from_rfc3339(&since_text).unwrap();
    let recent = audit_list(&server, &["--user", "anke", "--since", &since_text]);
    for event in &recent {
        assert!(
            event.time >= since,
            "--since {since_text} lists {}",
            event.line
        );
    }
    let kinds: Vec<&str> = recent.iter().map(|event| event.kind.as_str()).collect();
    assert!(
        kinds.contains(&"login_succeeded"),
        "{kinds:?} since {since}"
    );
    assert!(
        !kinds.contains(&"login_failed"),
        "--since {since} lists the earlier failure: {kinds:?}"
    );
}

/// R-LO-2 `extend`: an attempt during the lock starts the lock duration
/// again, so the account stays closed while someone keeps trying.
#[tokio::test]
async fn r_lo_2_extend_restarts_the_lock_on_an_attempt_during_it() {
    let Some(server) = started(DuringLock::Extend, true, &["erik"]) else {
        return;
    };
    let neutral = fail_five_times(&server, "erik").await;
    server.advance_clock(LOCK_SECS / 2);
    let during = attempt(&server, "erik", PASSWORD).await.refused();
    assert_eq!(during, neutral);
    let remaining = locked_for_secs(&server, "erik");
    assert!(
        remaining > (LOCK_SECS / 2) as i64 + 60,
        "the lock was not extended: it ends in {remaining} s"
    );
    // Past the first lock's end, inside the extended one.
    server.advance_clock(LOCK_SECS / 2 + 30);
    assert_eq!(user_show(&server, "erik")["state"], "locked");
    // Past the extended lock's end: open again.
    server.advance_clock(LOCK_SECS);
    attempt(&server, "erik", PASSWORD).await.code();
    let kinds = audit_kinds(&server, "erik");
    assert!(count(&kinds, "lock_extended") >= 1, "{kinds:?}");
    assert_eq!(count(&kinds, "account_deactivated"), 0, "{kinds:?}");
}

/// R-LO-2 `deactivate`: an attempt during the lock (even with the right
/// password) deactivates the account; it stays so after the lock would have
/// ended, until an operator reactivates it.
#[tokio::test]
async fn r_lo_2_attempt_during_lock_deactivates_until_an_operator_reactivates() {
    let Some(server) = started(DuringLock::Deactivate, true, &["dora"]) else {
        return;
    };
    let neutral = fail_five_times(&server, "dora").await;
    assert_eq!(user_show(&server, "dora")["state"], "locked");

    let (wrong_page, _) = refused_page(attempt(&server, "nobody-else", WRONG).await);
    let (during_page, during) = refused_page(attempt(&server, "dora", PASSWORD).await);
    assert_eq!(
        during, neutral,
        "the deactivating attempt got another message"
    );
    assert_eq!(during_page.status, wrong_page.status);
    assert_eq!(
        visible_text(&during_page),
        visible_text(&wrong_page),
        "R-LO-4: the deactivating attempt shows another page than an unknown user"
    );
    let shown = user_show(&server, "dora");
    assert_eq!(shown["state"], "deactivated", "{shown:?}");

    server.advance_clock(LOCK_SECS + 60);
    let later = attempt(&server, "dora", PASSWORD).await.refused();
    assert_eq!(
        later, neutral,
        "the deactivated account got another message"
    );
    assert_eq!(
        user_show(&server, "dora")["state"],
        "deactivated",
        "a deactivation is not lifted by time"
    );

    let unlock = server.cli(&["user", "unlock", "dora"]);
    assert!(!unlock.success, "unlock lifted a deactivation");
    assert!(
        unlock.stderr.contains("reactivate"),
        "unlock of a deactivated account does not point to reactivate: {}",
        unlock.stderr
    );
    assert_eq!(user_show(&server, "dora")["state"], "deactivated");

    let reactivated = server.cli_ok(&["user", "reactivate", "dora"]);
    assert!(
        !reactivated.stdout.contains(PASSWORD) && !reactivated.stderr.contains(PASSWORD),
        "a password in the output"
    );
    let shown = user_show(&server, "dora");
    assert_eq!(shown["state"], "active", "{shown:?}");
    assert_eq!(shown["failures"], "0", "{shown:?}");
    assert_eq!(shown["locked_until"], "-", "{shown:?}");
    let code = attempt(&server, "dora", PASSWORD).await.code();
    let (status, body) = redeem(&server, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let kinds = audit_kinds(&server, "dora");
    assert_eq!(count(&kinds, "account_locked"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "account_deactivated"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "account_reactivated"), 1, "{kinds:?}");
    let deactivated_at = kinds.iter().position(|kind| kind == "account_deactivated");
    let reactivated_at = kinds.iter().position(|kind| kind == "account_reactivated");
    assert!(deactivated_at < reactivated_at, "{kinds:?}");
}

/// R-LO-2: a password reset (`user set-password`) lifts a deactivation.
#[tokio::test]
async fn r_lo_2_password_reset_lifts_a_deactivation() {
    let Some(server) = started(DuringLock::Deactivate, false, &["dirk"]) else {
        return;
    };
    fail_five_times(&server, "dirk").await;
    attempt(&server, "dirk", PASSWORD).await.refused();
    assert_eq!(user_show(&server, "dirk")["state"], "deactivated");

    let new_password = "Zweites-Passwort-2026";
    server.cli_ok(&[
        "user",
        "set-password",
        "--username",
        "dirk",
        "--password",
        new_password,
    ]);
    let shown = user_show(&server, "dirk");
    assert_eq!(shown["state"], "active", "{shown:?}");
    assert_eq!(shown["failures"], "0", "{shown:?}");
    match attempt(&server, "dirk", new_password).await {
        Attempt::Answered(response) => {
            assert!(response.get("code").is_some(), "{:?}", response.params)
        }
        // A password set by an operator may have to be changed first (R-PW-3).
        Attempt::Elsewhere(page) => assert_eq!(page.url.path(), "/password/change"),
        Attempt::Refused { alert, .. } => panic!("reset did not lift the deactivation: {alert}"),
    }
    attempt(&server, "dirk", PASSWORD).await.refused();
    let kinds = audit_kinds(&server, "dirk");
    assert!(count(&kinds, "password_changed") >= 1, "{kinds:?}");
}

/// `pforte user unlock` ends a lock before its time.
#[tokio::test]
async fn r_lo_2_operator_unlock_ends_a_lock() {
    let Some(server) = started(DuringLock::Ignore, false, &["ulf"]) else {
        return;
    };
    fail_five_times(&server, "ulf").await;
    attempt(&server, "ulf", PASSWORD).await.refused();
    server.cli_ok(&["user", "unlock", "ulf"]);
    let shown = user_show(&server, "ulf");
    assert_eq!(shown["state"], "active", "{shown:?}");
    assert_eq!(shown["failures"], "0", "{shown:?}");
    assert_eq!(shown["locked_until"], "-", "{shown:?}");
    attempt(&server, "ulf", PASSWORD).await.code();
    let kinds = audit_kinds(&server, "ulf");
    assert_eq!(count(&kinds, "account_unlocked"), 1, "{kinds:?}");
}

/// The operator commands refuse an unknown username with an error.
#[test]
fn r_lo_2_operator_commands_refuse_an_unknown_user() {
    let server = prepare(policy(DuringLock::Ignore), false).unwrap();
    for command in ["show", "unlock", "reactivate"] {
        let output = server.cli(&["user", command, "nobody-at-all"]);
        assert!(
            !output.success,
            "`user {command}` of an unknown user succeeded"
        );
        assert!(
            output.stderr.contains("nobody-at-all"),
            "`user {command}` does not name the unknown user: {}",
            output.stderr
        );
    }
}

/// Everything a person sees on the answer page, without tags and attribute
/// values (which carry per-request tokens and the echoed login name).
fn visible_text(page: &crate::support::http::Page) -> String {
    strip_tags(&page.body)
}

fn refused_page(attempt: Attempt) -> (crate::support::http::Page, String) {
    match attempt {
        Attempt::Refused { page, alert } => (page, alert),
        other => panic!("expected the login form again: {other:?}"),
    }
}

/// R-LO-4: a wrong password, an unknown user and a locked account get the
/// same page (status, alert and every visible word, including the recovery
/// hint); the reason is only in the audit trail. (The deactivated case is in
/// the `deactivate` scenario.)
#[tokio::test]
async fn r_lo_4_wrong_password_unknown_user_and_locked_account_look_the_same() {
    let Some(server) = started(DuringLock::Ignore, false, &["walt", "lou"]) else {
        return;
    };
    let (wrong_page, wrong) = refused_page(attempt(&server, "walt", WRONG).await);
    let (unknown_page, unknown) = refused_page(attempt(&server, "nobody-here", WRONG).await);
    fail_five_times(&server, "lou").await;
    let (locked_page, locked) = refused_page(attempt(&server, "lou", PASSWORD).await);
    let (locked_wrong_page, locked_wrong) = refused_page(attempt(&server, "lou", WRONG).await);
    // An unknown name is counted and "locked" like a real one.
    for _ in 0..FIVE_FAILURES {
        attempt(&server, "ghost-user", WRONG).await.refused();
    }
    let (ghost_page, ghost) = refused_page(attempt(&server, "ghost-user", PASSWORD).await);

    let reference = visible_text(&wrong_page);
    for (case, alert, page) in [
        ("unknown user", &unknown, &unknown_page),
        ("locked account, right password", &locked, &locked_page),
        (
            "locked account, wrong password",
            &locked_wrong,
            &locked_wrong_page,
        ),
        ("unknown user after six attempts", &ghost, &ghost_page),
    ] {
        assert_eq!(
            alert, &wrong,
            "{case}: another message than a wrong password"
        );
        assert_eq!(page.status, wrong_page.status, "{case}: another status");
        assert_eq!(visible_text(page), reference, "{case}: another page");
    }
    let kinds = audit_kinds(&server, "lou");
    assert_eq!(
        count(&kinds, "account_locked"),
        1,
        "the reason goes to the audit trail: {kinds:?}"
    );
    let ghost_kinds = audit_kinds(&server, "ghost-user");
    assert_eq!(
        count(&ghost_kinds, "account_locked"),
        1,
        "an unknown name is locked like an account: {ghost_kinds:?}"
    );
}

/// R-ID-2: with KVNR login enabled, a malformed insurance number gets a
/// message naming the wrong part; a well-formed but unknown one gets the
/// neutral message, also after normalising case and the `-N` suffix.
#[tokio::test]
async fn r_id_2_kvnr_login_errors_name_the_wrong_part() {
    let Some(server) = started(DuringLock::Ignore, false, &["kurt"]) else {
        return;
    };
    let neutral = attempt(&server, "kurt", WRONG).await.refused();
    for (input, part, expected) in [
        ("X114428530", "check digit", "last digit"),
        ("K220645129", "check digit", "last digit"),
        ("X11041167", "length", "you entered 9"),
        ("X110 411675", "non-digit", "character 5"),
        ("X1104-11675", "hyphen", "hyphen"),
    ] {
        let alert = attempt(&server, input, WRONG).await.refused();
        assert_ne!(alert, neutral, "{input}: the {part} error is not named");
        assert!(
            alert.contains(expected),
            "{input}: the message does not name the {part}: {alert}"
        );
    }
    for valid_but_unknown in ["X110411675", "x110435031", "A000500015-1"] {
        let alert = attempt(&server, valid_but_unknown, WRONG).await.refused();
        assert_eq!(
            alert, neutral,
            "{valid_but_unknown}: a well-formed KVNR must look like a wrong password"
        );
    }
}

/// `pforte config check` validates the policy file named in the
/// configuration, and `--policy FILE` checks one file; an unsafe setting is
/// refused with its key.
#[test]
fn r_lo_1_config_check_validates_the_policy_file() {
    let server = prepare(policy(DuringLock::Deactivate), false).unwrap();
    server.cli_ok(&["config", "check"]);
    let presets = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("config/policies");
    for preset in std::fs::read_dir(presets).unwrap() {
        let path = preset.unwrap().path().display().to_string();
        server.cli_ok(&["config", "check", "--policy", &path]);
    }
    let unsafe_policy = server.scratch().join("unsafe-policy.toml");
    std::fs::write(&unsafe_policy, "[lockout]\nmax_failures = 101\n").unwrap();
    let output = server.cli(&[
        "config",
        "check",
        "--policy",
        &unsafe_policy.display().to_string(),
    ]);
    assert!(!output.success, "max_failures = 101 accepted");
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(said.contains("lockout.max_failures"), "{said}");
}

/// `user add` and `user set-password` enforce the password policy and print
/// every violated rule.
#[test]
fn r_pw_2_cli_refuses_a_weak_password_with_every_violated_rule() {
    let server = prepare(policy(DuringLock::Ignore), false).unwrap();
    let output = server.cli(&[
        "user",
        "add",
        "--username",
        "petra",
        "--password",
        "password",
    ]);
    assert!(!output.success, "a weak password was accepted");
    for rule in [
        "at least 12 characters",
        "3 of these 4 groups",
        "too common",
    ] {
        assert!(
            output.stderr.contains(rule),
            "`{rule}` missing from:\n{}",
            output.stderr
        );
    }
    add_user(&server, "petra", PASSWORD, &[]);
    let output = server.cli(&[
        "user",
        "set-password",
        "--username",
        "petra",
        "--password",
        "petra-petra-petra",
    ]);
    assert!(
        !output.success,
        "a password containing the username was accepted"
    );
    assert!(
        output.stderr.contains("must not contain your username"),
        "{}",
        output.stderr
    );
}
