//! The login form under a lockout policy (R-LO-1, R-LO-2, R-LO-4, R-LO-6),
//! login-name checks (R-ID-2) and the initial-password change (R-PW-3).

use crate::support::*;
use chrono::TimeDelta;
use pforte_identity::AuditKind;
use pforte_identity::ports::CredentialStore;
use pforte_testkit::{Browser, Page, TestServer};

const PASSWORD: &str = "Richtig-und-lang-1";

fn policy_file(during_lock: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "pforte-http-policy-{}.toml",
        pforte_crypto::random::random_token()
    ));
    std::fs::write(
        &path,
        format!(
            r#"
name = "http-test"
[identifiers]
accepted = ["self_chosen", "kvnr"]
[password]
min_length = 10
[password.composition]
rule = "at_least"
classes = ["upper", "lower", "digit", "special"]
at_least = 3
[password.hashing]
memory_kib = 1024
iterations = 1
parallelism = 1
[lockout]
max_failures = 5
lock_duration = "1h"
during_lock = "{during_lock}"
"#
        ),
    )
    .unwrap();
    path
}

async fn policy_server(during_lock: &str) -> TestServer {
    let path = policy_file(during_lock);
    let server = TestServer::start_with(|settings| settings.policy_file = Some(path))
        .await
        .unwrap();
    server.add_account("erika", PASSWORD).await.unwrap();
    server
}

/// One login attempt in a fresh interaction.
async fn attempt(server: &TestServer, browser: &Browser, username: &str, password: &str) -> Page {
    let (id, _) = park_interaction(server, browser, &[], None).await;
    let page = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    let mut form = page.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", username));
    assert!(form.fill_by_label("Passwort", password));
    browser
        .submit(&page, &form, Some(("action", "login")))
        .await
        .unwrap()
}

fn started_session(page: &Page) -> bool {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.starts_with("pforte_session="))
}

/// The neutral failure: the one message and the recovery hint.
fn assert_neutral_failure(page: &Page) {
    assert_eq!(page.status, 200);
    assert!(!started_session(page));
    assert_eq!(
        page.alert().as_deref(),
        Some("Benutzername oder Passwort ist falsch.")
    );
    let hint = page.text_by_id("login-recovery").expect("recovery hint");
    assert!(hint.contains("Passwort zurück"), "{hint}");
}

#[tokio::test]
async fn r_lo_1_five_wrong_passwords_lock_and_the_lock_ends_by_the_clock() {
    let server = policy_server("ignore").await;
    let browser = browser();
    for _ in 0..5 {
        assert_neutral_failure(&attempt(&server, &browser, "erika", "Falsch-1234").await);
    }
    assert_neutral_failure(&attempt(&server, &browser, "erika", PASSWORD).await);

    server.clock.advance(TimeDelta::minutes(59));
    assert_neutral_failure(&attempt(&server, &browser, "erika", PASSWORD).await);
    server.clock.advance(TimeDelta::minutes(1));
    assert!(started_session(
        &attempt(&server, &browser, "erika", PASSWORD).await
    ));

    let trail = server
        .app
        .identity
        .audit_events(Some("erika"), None)
        .await
        .unwrap();
    let failed = trail
        .iter()
        .find(|event| event.kind == AuditKind::LoginFailed)
        .unwrap();
    assert_eq!(failed.ip.as_deref(), Some("127.0.0.1"), "peer address");
    assert_eq!(failed.client.as_deref(), Some("portal"));
    assert!(failed.request_id.is_some());
    let kinds: Vec<_> = trail.iter().map(|event| event.kind).collect();
    assert!(kinds.contains(&AuditKind::AccountLocked));
    assert!(kinds.contains(&AuditKind::AccountUnlocked));
    assert_eq!(kinds.last(), Some(&AuditKind::LoginSucceeded));
}

#[tokio::test]
async fn r_lo_2_attempt_during_the_lock_deactivates_until_reactivated() {
    let server = policy_server("deactivate").await;
    let browser = browser();
    for _ in 0..5 {
        attempt(&server, &browser, "erika", "Falsch-1234").await;
    }
    assert_neutral_failure(&attempt(&server, &browser, "erika", PASSWORD).await);
    server.clock.advance(TimeDelta::days(2));
    assert_neutral_failure(&attempt(&server, &browser, "erika", PASSWORD).await);
    let status = server.app.identity.account_status("erika").await.unwrap();
    assert_eq!(status.state.as_str(), "deactivated");

    let context = pforte_identity::RequestContext::default();
    server
        .app
        .identity
        .reactivate("erika", &context)
        .await
        .unwrap();
    assert!(started_session(
        &attempt(&server, &browser, "erika", PASSWORD).await
    ));
}

#[tokio::test]
async fn r_lo_4_unknown_locked_and_wrong_get_the_same_page() {
    let server = policy_server("ignore").await;
    let browser = browser();
    let wrong = attempt(&server, &browser, "erika", "Falsch-1234").await;
    for _ in 0..4 {
        attempt(&server, &browser, "erika", "Falsch-1234").await;
    }
    let locked = attempt(&server, &browser, "erika", PASSWORD).await;
    let unknown = attempt(&server, &browser, "niemand", PASSWORD).await;
    for page in [&wrong, &locked, &unknown] {
        assert_neutral_failure(page);
    }
    // Apart from the echoed login name and the per-form tokens, the pages are
    // the same.
    let normalise = |page: &Page, name: &str| {
        let form = page.post_form().unwrap();
        let mut body = page.body.replace(name, "NAME");
        for (field, value) in &form.fields {
            if field == "interaction" || field == "csrf_token" {
                body = body.replace(value.as_str(), "TOKEN");
            }
        }
        body
    };
    assert_eq!(normalise(&locked, "erika"), normalise(&unknown, "niemand"));
    assert_eq!(normalise(&wrong, "erika"), normalise(&locked, "erika"));
}

#[tokio::test]
async fn r_id_2_a_kvnr_with_a_wrong_check_digit_is_named_before_any_lookup() {
    let server = policy_server("ignore").await;
    let browser = browser();
    let page = attempt(&server, &browser, "X110411676", PASSWORD).await;
    let alert = page.alert().unwrap();
    assert_ne!(alert, "Benutzername oder Passwort ist falsch.");
    assert!(alert.contains("Versichertennummer"), "{alert}");
    assert!(page.text_by_id("login-recovery").is_none());
    let trail = server.app.identity.audit_events(None, None).await.unwrap();
    assert!(trail.is_empty(), "nothing was looked up or counted");
}

#[tokio::test]
async fn r_pw_3_initial_password_is_changed_at_first_login_then_invalid() {
    let server = policy_server("ignore").await;
    let max = server.add_account("max", PASSWORD).await.unwrap();
    server
        .app
        .store
        .set_must_change_password(max, true)
        .await
        .unwrap();
    let browser = browser();
    let page = attempt(&server, &browser, "max", PASSWORD).await;
    assert_eq!(page.status, 303);
    assert!(!started_session(&page), "no session before the change");
    let location = page.location().unwrap();
    assert!(
        location.contains("/password/change?interaction="),
        "{location}"
    );

    let change = browser.follow(&page).await.unwrap();
    assert_eq!(change.status, 200);
    let form = change.post_form().unwrap();
    assert_eq!(
        form.labels.get("Neues Passwort").map(String::as_str),
        Some("new_password")
    );
    assert_eq!(
        form.labels
            .get("Neues Passwort wiederholen")
            .map(String::as_str),
        Some("new_password_confirm")
    );
    for id in ["new_password", "new_password_confirm"] {
        let input = form
            .inputs
            .iter()
            .find(|i| i.attr("id") == Some(id))
            .unwrap();
        assert_eq!(input.attr("type"), Some("password"));
        assert_eq!(input.attr("autocomplete"), Some("new-password"));
    }

    let mut weak = form.clone();
    weak.set("new_password", "max");
    weak.set("new_password_confirm", "max");
    let rejected = browser.submit(&change, &weak, None).await.unwrap();
    assert_eq!(rejected.status, 200);
    let alert = rejected.alert().unwrap();
    assert!(alert.contains("mindestens 10"), "{alert}");
    assert!(alert.to_lowercase().contains("benutzername"), "{alert}");

    let mut forged = form.clone();
    forged.set("csrf_token", "forged");
    forged.set("new_password", "Neu-und-lang-7");
    forged.set("new_password_confirm", "Neu-und-lang-7");
    assert_eq!(
        browser.submit(&change, &forged, None).await.unwrap().status,
        403
    );

    let mut good = form.clone();
    good.set("new_password", "Neu-und-lang-7");
    good.set("new_password_confirm", "Neu-und-lang-7");
    let done = browser.submit(&rejected, &good, None).await.unwrap();
    assert!(started_session(&done), "the login completes: {}", done.body);

    let fresh = Browser::new().unwrap();
    assert_neutral_failure(&attempt(&server, &fresh, "max", PASSWORD).await);
    let again = attempt(&server, &fresh, "max", "Neu-und-lang-7").await;
    assert!(started_session(&again));
    let trail = server
        .app
        .identity
        .audit_events(Some("max"), None)
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|event| event.kind == AuditKind::PasswordChanged)
    );
}

#[tokio::test]
async fn r_pw_2_password_change_page_lists_the_rules_in_english() {
    let server = policy_server("ignore").await;
    let max = server.add_account("max", PASSWORD).await.unwrap();
    server
        .app
        .store
        .set_must_change_password(max, true)
        .await
        .unwrap();
    let browser = browser();
    let (id, _) = park_interaction(&server, &browser, &["en"], None).await;
    let login = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Username", "max"));
    assert!(form.fill_by_label("Password", PASSWORD));
    let page = browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    let change = browser.follow(&page).await.unwrap();
    assert_eq!(change.lang().as_deref(), Some("en"));
    let mut form = change.post_form().unwrap();
    assert!(form.fill_by_label("New password", "short"));
    assert!(form.fill_by_label("Repeat new password", "short"));
    let rejected = browser.submit(&change, &form, None).await.unwrap();
    let alert = rejected.alert().unwrap();
    assert!(alert.contains("at least 10 characters"), "{alert}");
    assert!(
        alert.contains("The new password breaks these rules"),
        "{alert}"
    );
    let mut form = rejected.post_form().unwrap();
    assert!(form.fill_by_label("New password", "Neu-und-lang-7"));
    assert!(form.fill_by_label("Repeat new password", "Neu-und-lang-8"));
    let mismatch = browser.submit(&rejected, &form, None).await.unwrap();
    assert_eq!(
        mismatch.alert().as_deref(),
        Some("The two entries of the new password differ.")
    );
}
