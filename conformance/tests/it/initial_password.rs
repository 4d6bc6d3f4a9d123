//! R-PW-3 from outside: a password set by an operator with
//! `pforte user add … --initial` must be changed at the first login. The
//! login lands on `/password/change`; a weak new password is refused with
//! every violated rule; a good one continues the authorization to the
//! relying party, and the initial password stops working.

use crate::support::PASSWORD;
use crate::support::forms::element_text;
use crate::support::http::{Page, UserAgent};
use crate::support::lockout::{
    Attempt, DuringLock, FIVE_FAILURES, LOCK_SECS, Lockout, add_user, attempt, attempt_with,
    audit_kinds, continue_from, prepare, redeem,
};
use crate::support::server::Server;
use reqwest::StatusCode;

const INITIAL: &str = "Brief-vom-Amt-2026";
const NEW: &str = "Eigenes-Kennwort-91";

fn server_with_initial_user(username: &str) -> Server {
    let server = prepare(
        Lockout {
            max_failures: FIVE_FAILURES,
            lock_secs: LOCK_SECS,
            during_lock: DuringLock::Ignore,
        },
        false,
    )
    .unwrap();
    add_user(&server, username, INITIAL, &["--initial"]);
    server.start();
    server
}

/// Logs in with the initial password and returns the password change page.
async fn change_page(agent: &UserAgent, server: &Server, username: &str) -> Page {
    match attempt_with(agent, server, username, INITIAL).await {
        Attempt::Elsewhere(page) => page,
        other => panic!("the initial password did not lead to /password/change: {other:?}"),
    }
}

/// Submits the change form with `new_password` and its confirmation.
async fn submit_change(agent: &UserAgent, page: &Page, new_password: &str, confirm: &str) -> Page {
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_field("new_password"))
        .unwrap_or_else(|| panic!("no new_password form: {}", page.describe()));
    agent
        .submit(
            page,
            &form,
            &[
                ("new_password", new_password),
                ("new_password_confirm", confirm),
            ],
        )
        .await
}

fn assert_change_form(page: &Page) {
    assert_eq!(page.status, StatusCode::OK, "{}", page.describe());
    assert_eq!(page.url.path(), "/password/change", "{}", page.describe());
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_field("new_password"))
        .unwrap_or_else(|| panic!("no new_password input: {}", page.describe()));
    assert!(form.method.eq_ignore_ascii_case("post"));
    for name in ["new_password", "new_password_confirm"] {
        let input = form
            .input(name)
            .unwrap_or_else(|| panic!("no {name} input"));
        assert_eq!(input.attr("id"), Some(name), "id of {name}");
        assert_eq!(input.attr("type"), Some("password"), "type of {name}");
        assert_eq!(
            input.attr("autocomplete"),
            Some("new-password"),
            "autocomplete of {name}"
        );
        assert!(
            form.labels
                .iter()
                .any(|label| label.attr("for") == Some(name)),
            "no <label for=\"{name}\">"
        );
    }
    assert!(
        form.fields().len() > 2,
        "no hidden CSRF/interaction inputs: {:?}",
        form.fields()
    );
    assert!(form.default_button().is_some(), "no submit button");
}

#[tokio::test]
async fn r_pw_3_initial_password_is_changed_before_the_authorization_continues() {
    let server = server_with_initial_user("ina");
    let agent = UserAgent::new(&server.issuer);
    let page = change_page(&agent, &server, "ina").await;
    assert_change_form(&page);

    // "password": too short, one class only, and on the common list.
    let weak = submit_change(&agent, &page, "password", "password").await;
    assert_change_form(&weak);
    let alert = element_text(&weak.body, "role", "alert")
        .unwrap_or_else(|| panic!("no role=alert: {}", weak.describe()));
    for rule in [
        "at least 12 characters",
        "3 of these 4 groups",
        "too common",
    ] {
        assert!(alert.contains(rule), "`{rule}` not listed: {alert}");
    }

    let mismatch = submit_change(&agent, &weak, NEW, "Etwas-anderes-92").await;
    assert_change_form(&mismatch);
    assert!(
        element_text(&mismatch.body, "role", "alert").is_some(),
        "a confirmation that differs is not reported"
    );

    let changed = submit_change(&agent, &mismatch, NEW, NEW).await;
    let code = continue_from(&agent, changed).await.code();
    let (status, body) = redeem(&server, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let old = attempt(&server, "ina", INITIAL).await.refused();
    assert!(!old.is_empty());
    // The new password logs in directly, without another change.
    let code = attempt(&server, "ina", NEW).await.code();
    let (status, body) = redeem(&server, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let kinds = audit_kinds(&server, "ina");
    assert!(
        kinds.iter().any(|kind| kind == "password_changed"),
        "{kinds:?}"
    );
}

/// The change page cannot be skipped: going back to the authorization
/// request after the login does not reach the relying party.
#[tokio::test]
async fn r_pw_3_the_change_cannot_be_skipped() {
    let server = server_with_initial_user("ines");
    let agent = UserAgent::new(&server.issuer);
    change_page(&agent, &server, "ines").await;
    match attempt_with(&agent, &server, "ines", INITIAL).await {
        Attempt::Answered(response) => panic!(
            "the relying party got an answer without the change: {:?}",
            response.params
        ),
        Attempt::Elsewhere(page) => assert_eq!(page.url.path(), "/password/change"),
        Attempt::Refused { .. } => {}
    }
    // A fresh user agent with the initial password is sent to the change too.
    let fresh = UserAgent::new(&server.issuer);
    let page = change_page(&fresh, &server, "ines").await;
    assert_change_form(&page);
    // The new password must not equal the initial one.
    let same = submit_change(&fresh, &page, INITIAL, INITIAL).await;
    assert_change_form(&same);
    assert!(element_text(&same.body, "role", "alert").is_some());
}

/// An account without `--initial` never sees the change page.
#[tokio::test]
async fn r_pw_3_a_regular_password_logs_in_directly() {
    let server = server_with_initial_user("iris");
    add_user(&server, "ralf", PASSWORD, &[]);
    attempt(&server, "ralf", PASSWORD).await.code();
}

/// R-PW-3 for a member: `pforte user add --member KVNR --letter` generates
/// the initial password, queues it in a letter (read here from the dev
/// outbox copy) and never prints it; the first login with it must change it.
#[tokio::test]
async fn r_pw_3_a_lettered_initial_password_of_a_member_is_changed_at_first_login() {
    let server = prepare(
        Lockout {
            max_failures: FIVE_FAILURES,
            lock_secs: LOCK_SECS,
            during_lock: DuringLock::Ignore,
        },
        false,
    )
    .unwrap();
    let files = tempfile::tempdir().unwrap();
    let members = files.path().join("members.csv");
    std::fs::write(
        &members,
        "kvnr;given_name;family_name;birth_date;postal_code;street;city;membership_start\n\
         A123456780;Jürgen;Groß;1980-04-02;80331;Hauptstraße 5;München;2001-01-01\n",
    )
    .unwrap();
    server.cli_ok(&["members", "import", members.to_str().unwrap()]);
    let added = server.cli_ok(&[
        "user",
        "add",
        "--username",
        "juergen",
        "--member",
        "A123456780",
        "--letter",
        "--language",
        "en",
    ]);
    let listed = server.cli_ok(&["outbox", "list", "--channel", "letter", "--json"]);
    let letter: serde_json::Value =
        serde_json::from_str(listed.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(letter["template"], "initial_password_letter");
    assert_eq!(letter["language"], "en");
    let initial = letter["params"]["password"].as_str().unwrap().to_owned();
    assert!(!added.stdout.contains(&initial) && !added.stderr.contains(&initial));
    server.start();

    let agent = UserAgent::new(&server.issuer);
    let page = match attempt_with(&agent, &server, "juergen", &initial).await {
        Attempt::Elsewhere(page) => page,
        other => panic!("the lettered password did not lead to /password/change: {other:?}"),
    };
    assert_change_form(&page);
    let changed = submit_change(&agent, &page, NEW, NEW).await;
    let code = continue_from(&agent, changed).await.code();
    let (status, body) = redeem(&server, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !attempt(&server, "juergen", &initial)
            .await
            .refused()
            .is_empty()
    );
}
