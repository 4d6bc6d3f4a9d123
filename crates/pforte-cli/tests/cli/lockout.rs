//! Password policy, lockout and audit commands: `config check --policy`,
//! policy enforcement on `user add` / `user set-password`, `user show`,
//! `user unlock`, `user reactivate`, `audit list` (R-PW-2, R-PW-3, R-LO-2,
//! R-LO-6, R-OP-3).

use super::{Provider, failed, stdout, succeeded};
use std::path::{Path, PathBuf};

fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/policies")
}

/// A provider whose policy locks after three failures for an hour.
fn provider_with_policy(during_lock: &str) -> Provider {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "name = \"cli-test\"\n[password]\nmin_length = 10\nhistory = 2\n\
             [password.composition]\nrule = \"at_least\"\n\
             classes = [\"upper\", \"lower\", \"digit\", \"special\"]\nat_least = 3\n\
             [password.hashing]\nmemory_kib = 64\niterations = 1\nparallelism = 1\n\
             [lockout]\nmax_failures = 3\nlock_duration = \"1h\"\nduring_lock = \"{during_lock}\"\n"
        ),
    )
    .unwrap();
    let provider = Provider::with_settings(&format!("demo = false\npolicy_file = {policy:?}\n"));
    // The policy file lives in the provider's own temporary directory.
    std::fs::rename(&policy, provider.dir.path().join("policy.toml")).unwrap();
    let config = std::fs::read_to_string(&provider.config).unwrap().replace(
        &format!("{policy:?}"),
        &format!("{:?}", provider.dir.path().join("policy.toml")),
    );
    std::fs::write(&provider.config, config).unwrap();
    provider
}

async fn fail_logins(provider: &Provider, username: &str, times: usize) {
    let app = provider.app().await;
    let context = pforte_identity::RequestContext {
        operator: None,
        client_id: Some("portal".into()),
        ip: Some("192.0.2.5".parse().unwrap()),
        user_agent: Some("Mozilla/5.0 (X11)".into()),
        request_id: Some("req-7".into()),
    };
    for _ in 0..times {
        let _ = app.identity.login(username, "Wrong-Pass-1", &context).await;
    }
}

#[test]
fn r_pw_2_config_check_validates_every_shipped_policy_file() {
    let provider = Provider::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(policies_dir()).unwrap() {
        let path = entry.unwrap().path();
        let output = provider.run(&["config", "check", "--policy", path.to_str().unwrap()]);
        assert_eq!(stdout(succeeded(&output)), "OK\n", "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 4);
    let broken = provider.dir.path().join("broken.toml");
    std::fs::write(&broken, "[lockout]\nmax_failures = 0\n").unwrap();
    let message = failed(&provider.run(&["config", "check", "--policy", broken.to_str().unwrap()]));
    assert!(message.contains("lockout.max_failures"), "{message}");
    let configured = Provider::with_settings(&format!(
        "demo = false\npolicy_file = {:?}\n",
        broken.display().to_string()
    ));
    let message = failed(&configured.run(&["config", "check"]));
    assert!(message.contains("policy_file:"), "{message}");
}

#[test]
fn r_pw_2_user_add_and_set_password_print_every_broken_rule() {
    let provider = provider_with_policy("ignore");
    let output = provider.run(&["user", "add", "--username", "erika", "--password", "erika"]);
    let message = failed(&output);
    assert!(message.contains("at least 10"), "{message}");
    assert!(
        message.to_lowercase().contains("user name") || message.contains("username"),
        "{message}"
    );
    assert!(
        message
            .lines()
            .filter(|line| line.starts_with("  - "))
            .count()
            >= 3,
        "{message}"
    );
    assert_eq!(
        stdout(&provider.run(&["user", "list"])).lines().count(),
        1,
        "nothing stored"
    );

    succeeded(&provider.run(&[
        "user",
        "add",
        "--username",
        "erika",
        "--password",
        "Erste-Wahl-11",
    ]));
    succeeded(&provider.run(&[
        "user",
        "set-password",
        "--username",
        "erika",
        "--password",
        "Zweite-Wahl-22",
    ]));
    let reused = failed(&provider.run(&[
        "user",
        "set-password",
        "--username",
        "erika",
        "--password",
        "Erste-Wahl-11",
    ]));
    assert!(reused.contains("  - "), "{reused}");
    let trail = stdout(succeeded(
        &provider.run(&["audit", "list", "--user", "erika"]),
    ));
    assert!(trail.contains(" password_changed "), "{trail}");
}

#[test]
fn r_lo_6_user_show_unlock_and_audit_list() {
    let provider = provider_with_policy("ignore");
    succeeded(&provider.run(&[
        "user",
        "add",
        "--username",
        "erika",
        "--password",
        "Erste-Wahl-11",
    ]));
    let shown = stdout(succeeded(&provider.run(&["user", "show", "erika"])));
    assert_eq!(
        shown,
        "username: erika\nstate: active\nfailures: 0\nlocked_until: -\nrecovery_codes_left: 0\nfactors: 0\n"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(fail_logins(&provider, "erika", 3));
    let shown = stdout(succeeded(&provider.run(&["user", "show", "erika"])));
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines[1], "state: locked", "{shown}");
    assert_eq!(lines[2], "failures: 3", "{shown}");
    let until = lines[3].strip_prefix("locked_until: ").unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(until).is_ok(),
        "{until}"
    );

    let unlocked = stdout(succeeded(&provider.run(&["user", "unlock", "erika"])));
    assert!(unlocked.contains("unlocked"), "{unlocked}");
    let shown = stdout(succeeded(&provider.run(&["user", "show", "erika"])));
    assert_eq!(
        shown,
        "username: erika\nstate: active\nfailures: 0\nlocked_until: -\nrecovery_codes_left: 0\nfactors: 0\n"
    );

    let trail = stdout(succeeded(
        &provider.run(&["audit", "list", "--user", "erika"]),
    ));
    let kinds: Vec<&str> = trail
        .lines()
        .map(|line| line.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "login_failed",
            "login_failed",
            "account_locked",
            "login_failed",
            "account_unlocked"
        ],
        "{trail}"
    );
    let first = trail.lines().next().unwrap();
    let time = first.split(' ').next().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(time).is_ok(),
        "{first}"
    );
    for pair in [
        "username=erika",
        "client=portal",
        "ip=192.0.2.5",
        "user_agent=\"Mozilla/5.0 (X11)\"",
        "request_id=req-7",
        "detail=",
        "account=",
    ] {
        assert!(first.contains(pair), "{pair} missing in {first}");
    }
    let later = stdout(succeeded(&provider.run(&[
        "audit",
        "list",
        "--since",
        "2999-01-01T00:00:00Z",
    ])));
    assert!(later.is_empty(), "{later}");
    assert!(failed(&provider.run(&["audit", "list", "--since", "yesterday"])).contains("--since"));
    assert!(failed(&provider.run(&["user", "show", "nobody"])).contains("no user"));
}

#[test]
fn r_lo_2_deactivated_user_needs_reactivate_not_unlock() {
    let provider = provider_with_policy("deactivate");
    succeeded(&provider.run(&[
        "user",
        "add",
        "--username",
        "erika",
        "--password",
        "Erste-Wahl-11",
    ]));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(fail_logins(&provider, "erika", 4));
    let shown = stdout(succeeded(&provider.run(&["user", "show", "erika"])));
    assert!(shown.contains("state: deactivated\n"), "{shown}");
    assert!(failed(&provider.run(&["user", "unlock", "erika"])).contains("reactivate"));
    let done = stdout(succeeded(&provider.run(&["user", "reactivate", "erika"])));
    assert!(done.contains("reactivated"), "{done}");
    let shown = stdout(succeeded(&provider.run(&["user", "show", "erika"])));
    assert!(shown.contains("state: active\n"), "{shown}");
    let trail = stdout(succeeded(
        &provider.run(&["audit", "list", "--user", "erika"]),
    ));
    assert!(trail.contains(" account_deactivated "), "{trail}");
    assert!(trail.contains(" account_reactivated "), "{trail}");
}

#[test]
fn r_pw_3_user_add_initial_marks_the_password_for_change() {
    let provider = provider_with_policy("ignore");
    succeeded(&provider.run(&[
        "user",
        "add",
        "--username",
        "erika",
        "--password",
        "Erste-Wahl-11",
        "--initial",
    ]));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = provider.app().await;
        let outcome = app
            .identity
            .login(
                "erika",
                "Erste-Wahl-11",
                &pforte_identity::RequestContext::default(),
            )
            .await
            .unwrap();
        assert!(outcome.must_change_password);
    });
}
