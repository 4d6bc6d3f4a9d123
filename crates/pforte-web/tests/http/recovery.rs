//! Recovery and self-service (R-RC-1 … R-RC-4): forgot password and
//! username with the same answer either way, single-use codes, the reset
//! that lifts a deactivation and ends sessions, changing e-mail and mobile
//! with the notice to the old address, the password change, and account
//! deletion with its pseudonymised audit trail and the blocker.

use crate::support::*;
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_identity::ports::{OutboxQuery, OutboxStore, ProfileStore};
use pforte_identity::recovery::{ResetChannel, ResetTicket};
use pforte_identity::{AuditKind, IdentityError, RequestContext};
use pforte_testkit::{Browser, Page, TestServer};
use pforte_types::AccountId;

const PASSWORD: &str = "Richtig-und-lang-1";
const NEW_PASSWORD: &str = "Ganz-neu-und-lang-2";

fn policy_file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "pforte-http-recovery-{}.toml",
        pforte_crypto::random::random_token()
    ));
    std::fs::write(
        &path,
        r#"
name = "http-recovery"
[password]
min_length = 10
history = 3
[password.composition]
rule = "at_least"
classes = ["upper", "lower", "digit", "special"]
at_least = 3
[password.hashing]
memory_kib = 1024
iterations = 1
parallelism = 1
[lockout]
max_failures = 3
lock_duration = "1h"
during_lock = "deactivate"
"#,
    )
    .unwrap();
    path
}

async fn recovery_server(blocked: &[&str]) -> (TestServer, AccountId) {
    let path = policy_file();
    let blocked: Vec<String> = blocked.iter().map(|name| (*name).to_owned()).collect();
    let server = TestServer::start_with(|settings| {
        settings.policy_file = Some(path);
        settings.deletion.blocked_while = blocked;
    })
    .await
    .unwrap();
    let account = server.add_account("erika", PASSWORD).await.unwrap();
    (server, account)
}

async fn outbox_to(server: &TestServer, to: &str) -> Vec<OutboundMessage> {
    server
        .app
        .store
        .outbox(&OutboxQuery {
            to: Some(to.to_owned()),
            ..OutboxQuery::default()
        })
        .await
        .unwrap()
}

/// Fills and sends the first step of `/password/forgot`.
async fn request_reset(
    server: &TestServer,
    browser: &Browser,
    identifier: &str,
    channel: &str,
) -> Page {
    let page = browser.get(&server.url("/password/forgot")).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_page_headers(&page);
    let mut form = page.post_form().unwrap();
    assert!(form.fill_by_label(
        "Benutzername, Versichertennummer oder E-Mail-Adresse",
        identifier
    ));
    // The radio buttons: only the chosen one is sent, as a browser does.
    let mut pairs: Vec<(String, String)> = form
        .submission(Some(("action", "request")))
        .into_iter()
        .filter(|(name, _)| name != "channel")
        .collect();
    pairs.push(("channel".into(), channel.into()));
    browser
        .post_form(&server.url("/password/forgot"), &pairs)
        .await
        .unwrap()
}

/// The form of the deletion page (the layout has the countdown's form too).
fn delete_form(page: &Page) -> pforte_testkit::Form {
    page.forms()
        .into_iter()
        .find(|form| form.action.as_deref() == Some("/account/delete"))
        .unwrap_or_else(|| panic!("no deletion form: {}", page.body))
}

async fn submit(browser: &Browser, page: &Page, action: &str, fill: &[(&str, &str)]) -> Page {
    let mut form = page
        .forms()
        .into_iter()
        .find(|form| {
            form.buttons
                .iter()
                .any(|(name, value)| name == "action" && value == action)
        })
        .unwrap_or_else(|| panic!("no form with {action}: {}", page.body));
    for (name, value) in fill {
        assert!(form.set(name, value), "field {name}");
    }
    browser
        .submit(page, &form, Some(("action", action)))
        .await
        .unwrap()
}

/// The page without what differs per request (flow id, CSRF token).
fn shape(page: &Page) -> (u16, Option<String>, Vec<Vec<String>>) {
    let forms = page
        .forms()
        .iter()
        .map(|form| {
            form.submission(None)
                .into_iter()
                .map(|(name, _)| name)
                .collect()
        })
        .collect();
    (page.status, page.text_by_id("forgot-code-sent"), forms)
}

fn kinds(events: &[pforte_identity::AuditEvent]) -> Vec<AuditKind> {
    events.iter().map(|event| event.kind).collect()
}

/// A browser with a live session of `account`.
async fn signed_in(server: &TestServer, account: AccountId) -> (Browser, String) {
    let session = server
        .app
        .identity
        .start_password_session(account)
        .await
        .unwrap();
    let browser = browser();
    browser.set_cookie("pforte_session", &session.sid);
    (browser, session.sid)
}

#[tokio::test]
async fn r_rc_1_unknown_account_and_missing_channel_get_the_same_answer() {
    let (server, _) = recovery_server(&[]).await;
    let known = request_reset(&server, &browser(), "erika", "email").await;
    let unknown = request_reset(&server, &browser(), "niemand", "email").await;
    // erika has no verified mobile number.
    let no_channel = request_reset(&server, &browser(), "erika", "sms").await;
    let by_address = request_reset(&server, &browser(), "erika@example.test", "email").await;
    assert_eq!(known.status, 200, "{}", known.body);
    let text = known.text_by_id("forgot-code-sent").unwrap();
    assert!(text.starts_with("Wenn ein Konto"), "{text}");
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(shape(&known), shape(&by_address));
    let sms = shape(&no_channel);
    assert_eq!(sms.0, 200);
    assert_eq!(sms.2, shape(&known).2);
    assert!(sms.1.unwrap().contains("SMS"));

    // Only the real path with a channel sent anything: one code to erika
    // (her second request came within the resend interval and sent none).
    let mail = outbox_to(&server, "erika@example.test").await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].template, "reset_code");
    let all = server
        .app
        .store
        .outbox(&OutboxQuery::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 1);

    // A wrong code on the dummy path answers like a wrong code on a real one.
    let wrong_unknown = submit(&browser(), &unknown, "code", &[("code", "000000")]).await;
    let wrong_known = submit(&browser(), &known, "code", &[("code", "000000")]).await;
    assert_eq!(wrong_unknown.alert(), wrong_known.alert());
    assert_eq!(wrong_known.status, 200);

    let trail = server.app.identity.audit_events(None, None).await.unwrap();
    let requested: Vec<_> = trail
        .iter()
        .filter(|event| event.kind == AuditKind::PasswordResetRequested)
        .filter_map(|event| event.detail.clone())
        .collect();
    assert!(requested.iter().any(|d| d.contains("unknown_account")));
    assert!(
        requested
            .iter()
            .any(|d| d.contains("no_verified_destination"))
    );
}

#[tokio::test]
async fn r_rc_1_reset_by_email_lifts_deactivation_ends_sessions_and_code_is_single_use() {
    let (server, account) = recovery_server(&[]).await;
    let (_, sid) = signed_in(&server, account).await;
    // Deactivate erika: three wrong passwords lock, a try during the lock
    // deactivates (R-LO-2).
    let context = RequestContext::default();
    for _ in 0..3 {
        let _ = server
            .app
            .identity
            .login("erika", "Falsch-1234", &context)
            .await;
    }
    let _ = server.app.identity.login("erika", PASSWORD, &context).await;
    let status = server.app.identity.account_status("erika").await.unwrap();
    assert_eq!(status.state.as_str(), "deactivated");

    let browser = browser();
    let code_page = request_reset(&server, &browser, "erika", "email").await;
    let mail = outbox_to(&server, "erika@example.test").await;
    let code = mail[0].params["code"].clone();

    let password_page = submit(&browser, &code_page, "code", &[("code", &code)]).await;
    assert!(
        password_page.body.contains("new_password"),
        "{}",
        password_page.body
    );

    // Every broken rule is named (R-PW-2), and the old password is refused.
    let weak = submit(
        &browser,
        &password_page,
        "password",
        &[("new_password", "kurz"), ("new_password_confirm", "kurz")],
    )
    .await;
    let problems = weak.text_by_id("password-problems").unwrap();
    assert!(problems.contains("10"), "{problems}");
    let reused = submit(
        &browser,
        &weak,
        "password",
        &[
            ("new_password", PASSWORD),
            ("new_password_confirm", PASSWORD),
        ],
    )
    .await;
    assert!(
        reused.text_by_id("password-problems").is_some(),
        "{}",
        reused.body
    );

    let done = submit(
        &browser,
        &reused,
        "password",
        &[
            ("new_password", NEW_PASSWORD),
            ("new_password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert!(done.text_by_id("forgot-done").is_some(), "{}", done.body);

    // Lifted, sessions ended, new password works, notice sent, audited.
    let status = server.app.identity.account_status("erika").await.unwrap();
    assert_eq!(status.state.as_str(), "active");
    assert!(
        server
            .app
            .identity
            .live_session(&sid)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        server
            .app
            .identity
            .sessions_of(account)
            .await
            .unwrap()
            .is_empty()
    );
    server
        .app
        .identity
        .login("erika", NEW_PASSWORD, &context)
        .await
        .unwrap();
    let mail = outbox_to(&server, "erika@example.test").await;
    assert_eq!(mail[0].template, "password_reset_notice");
    let trail = kinds(
        &server
            .app
            .identity
            .audit_events(Some("erika"), None)
            .await
            .unwrap(),
    );
    for kind in [
        AuditKind::PasswordResetRequested,
        AuditKind::AccountReactivated,
        AuditKind::PasswordChanged,
        AuditKind::SessionEnded,
        AuditKind::PasswordReset,
    ] {
        assert!(trail.contains(&kind), "{kind:?} in {trail:?}");
    }

    // The code was consumed: it does not verify a second time.
    let ticket = ResetTicket {
        account,
        channel: ResetChannel::Email,
        verified: false,
    };
    let again = server.app.identity.verify_reset_code(&ticket, &code).await;
    assert!(
        matches!(again, Err(IdentityError::CodeExpired)),
        "{again:?}"
    );
    // The finished flow cannot be replayed either.
    let replay = submit(
        &browser,
        &password_page,
        "password",
        &[
            ("new_password", "Noch-einmal-neu-3"),
            ("new_password_confirm", "Noch-einmal-neu-3"),
        ],
    )
    .await;
    assert!(replay.text_by_id("forgot-done").is_none());
}

#[tokio::test]
async fn r_rc_1_reset_by_sms_to_the_verified_mobile_number() {
    let (server, account) = recovery_server(&[]).await;
    server
        .app
        .store
        .set_verified_phone(account, "+4915112345678", server.clock_now(), &[])
        .await
        .unwrap();
    let browser = browser();
    let code_page = request_reset(&server, &browser, "erika", "sms").await;
    let sms = outbox_to(&server, "+4915112345678").await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].channel, Channel::Sms);
    let code = sms[0].params["code"].clone();
    // Wrong codes use up tries; the right one still works within them.
    let wrong = submit(&browser, &code_page, "code", &[("code", "999999")]).await;
    assert!(wrong.alert().is_some());
    let password_page = submit(&browser, &wrong, "code", &[("code", &code)]).await;
    let done = submit(
        &browser,
        &password_page,
        "password",
        &[
            ("new_password", NEW_PASSWORD),
            ("new_password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert!(done.text_by_id("forgot-done").is_some(), "{}", done.body);
}

#[tokio::test]
async fn r_rc_2_forgot_username_is_sent_to_the_verified_address_only() {
    let (server, _) = recovery_server(&[]).await;
    let mut pages = Vec::new();
    for address in ["erika@example.test", "niemand@example.test"] {
        let browser = browser();
        let page = browser.get(&server.url("/username/forgot")).await.unwrap();
        let mut form = page.post_form().unwrap();
        assert!(form.fill_by_label("E-Mail-Adresse", address));
        let sent = browser.submit(&page, &form, None).await.unwrap();
        assert_eq!(sent.status, 200);
        pages.push(sent.text_by_id("username-forgot-sent").unwrap());
    }
    assert_eq!(pages[0], pages[1]);
    let mail = outbox_to(&server, "erika@example.test").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].template, "username_reminder");
    assert_eq!(mail[0].params["username"], "erika");
    assert!(outbox_to(&server, "niemand@example.test").await.is_empty());
}

#[tokio::test]
async fn r_rc_3_changing_the_email_confirms_the_new_and_tells_the_old_address() {
    let (server, account) = recovery_server(&[]).await;
    let (browser, _) = signed_in(&server, account).await;
    let page = browser.get(&server.url("/account/profile")).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_page_headers(&page);
    let email_form = page
        .forms()
        .into_iter()
        .find(|form| form.value("kind") == Some("email"))
        .unwrap();
    let mut form = email_form;
    assert!(form.set("destination", "erika.neu@example.test"));
    let sent = browser
        .submit(&page, &form, Some(("action", "contact")))
        .await
        .unwrap();
    // The login just now is the recent password proof: the code goes out.
    assert!(
        sent.text_by_id("profile-code-sent").is_some(),
        "{}",
        sent.body
    );
    let code = outbox_to(&server, "erika.neu@example.test").await[0].params["code"].clone();
    assert!(outbox_to(&server, "erika@example.test").await.is_empty());

    let wrong = submit(&browser, &sent, "confirm", &[("code", "000000")]).await;
    assert!(wrong.alert().is_some());
    let done = submit(&browser, &wrong, "confirm", &[("code", &code)]).await;
    assert!(done.text_by_id("profile-notice").is_some(), "{}", done.body);

    let account_now = server.app.identity.account(account).await.unwrap().unwrap();
    assert_eq!(account_now.email.as_deref(), Some("erika.neu@example.test"));
    assert!(account_now.email_verified);
    let old = outbox_to(&server, "erika@example.test").await;
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].template, "email_changed_notice");
    let trail = kinds(
        &server
            .app
            .identity
            .audit_events(Some("erika"), None)
            .await
            .unwrap(),
    );
    assert!(trail.contains(&AuditKind::ContactChanged));
}

#[tokio::test]
async fn r_rc_3_contact_change_needs_a_recent_password_and_the_password_change_the_current_one() {
    let (server, account) = recovery_server(&[]).await;
    let (browser, _) = signed_in(&server, account).await;
    server.clock.advance(chrono::TimeDelta::minutes(11));
    let page = browser.get(&server.url("/account/profile")).await.unwrap();
    let mut form = page
        .forms()
        .into_iter()
        .find(|form| form.value("kind") == Some("mobile"))
        .unwrap();
    assert!(form.set("destination", "+4915199887766"));
    let asked = browser
        .submit(&page, &form, Some(("action", "contact")))
        .await
        .unwrap();
    assert!(asked.body.contains("profile-reauth"), "{}", asked.body);
    assert!(outbox_to(&server, "+4915199887766").await.is_empty());
    let sent = submit(&browser, &asked, "reauth", &[("password", PASSWORD)]).await;
    assert!(
        sent.text_by_id("profile-code-sent").is_some(),
        "{}",
        sent.body
    );
    assert_eq!(outbox_to(&server, "+4915199887766").await.len(), 1);
    let cancelled = submit(&browser, &sent, "cancel", &[]).await;

    // The password change needs the current password.
    let wrong = submit(
        &browser,
        &cancelled,
        "password",
        &[
            ("current_password", "Falsch-1234"),
            ("new_password", NEW_PASSWORD),
            ("new_password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert!(
        wrong.text_by_id("profile-error").is_some(),
        "{}",
        wrong.body
    );
    let changed = submit(
        &browser,
        &wrong,
        "password",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("new_password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert!(
        changed.text_by_id("profile-notice").is_some(),
        "{}",
        changed.body
    );
    server
        .app
        .identity
        .login("erika", NEW_PASSWORD, &RequestContext::default())
        .await
        .unwrap();
    let mail = outbox_to(&server, "erika@example.test").await;
    assert_eq!(mail[0].template, "password_changed_notice");
}

#[tokio::test]
async fn r_rc_4_deletion_removes_the_account_and_keeps_a_pseudonymised_trail() {
    let (server, account) = recovery_server(&[]).await;
    let (browser, sid) = signed_in(&server, account).await;
    let page = browser.get(&server.url("/account/delete")).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    // Without the tick nothing happens.
    let mut form = delete_form(&page);
    assert!(form.fill_by_label("Passwort", PASSWORD));
    assert!(form.set("confirm", ""));
    let unticked = browser.submit(&page, &form, None).await.unwrap();
    assert!(unticked.text_by_id("delete-error").is_some());
    assert!(
        server
            .app
            .identity
            .account(account)
            .await
            .unwrap()
            .is_some()
    );
    // A wrong password neither.
    let mut form = delete_form(&page);
    assert!(form.fill_by_label("Passwort", "Falsch-1234"));
    assert!(form.set("confirm", "yes"));
    let wrong = browser.submit(&page, &form, None).await.unwrap();
    assert!(wrong.text_by_id("delete-error").is_some());

    let mut form = delete_form(&page);
    assert!(form.fill_by_label("Passwort", PASSWORD));
    assert!(form.set("confirm", "yes"));
    let deleted = browser.submit(&page, &form, None).await.unwrap();
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(deleted.text_by_id("delete-done").is_some());

    assert!(
        server
            .app
            .identity
            .account(account)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        server
            .app
            .identity
            .live_session(&sid)
            .await
            .unwrap()
            .is_none()
    );
    let mail = outbox_to(&server, "erika@example.test").await;
    assert_eq!(mail[0].template, "account_deleted_notice");
    // The name is free again and the trail no longer holds it.
    assert!(matches!(
        server.app.identity.account_status("erika").await,
        Err(IdentityError::UnknownAccount(_))
    ));
    let pseudonym = server.app.identity.audit_pseudonym("erika").unwrap();
    assert!(pseudonym.starts_with("pseud-"));
    let trail = server.app.identity.audit_events(None, None).await.unwrap();
    let own: Vec<_> = trail
        .iter()
        .filter(|event| event.account == Some(account))
        .collect();
    assert!(
        own.iter()
            .any(|event| event.kind == AuditKind::AccountDeleted)
    );
    assert!(
        own.iter()
            .any(|event| event.kind == AuditKind::SessionEnded)
    );
    assert!(
        own.iter()
            .all(|event| event.username.as_deref() == Some(pseudonym.as_str())),
        "{own:?}"
    );
    assert!(
        trail
            .iter()
            .all(|event| event.username.as_deref() != Some("erika")),
        "{trail:?}"
    );
}

#[tokio::test]
async fn r_rc_4_a_configured_blocker_refuses_the_deletion() {
    let (server, erika) = recovery_server(&["co_insured_dependants"]).await;
    let account = main_member_with_a_registered_child(&server, erika).await;
    let (browser, _) = signed_in(&server, account).await;
    let page = browser.get(&server.url("/account/delete")).await.unwrap();
    assert_eq!(page.status, 200);
    let reason = page.text_by_id("delete-blocked").unwrap();
    assert!(reason.contains("Mitversicherte"), "{reason}");
    assert!(page.text_by_id("delete-submit").is_none());
    // A forged POST is refused by the service as well.
    let posted = browser
        .post_form(
            &server.url("/account/delete"),
            &[
                (
                    "csrf_token".into(),
                    pforte_crypto::random::sha256_b64url(&format!(
                        "pforte-session-form:{}",
                        browser.cookie("pforte_session").unwrap()
                    )),
                ),
                ("password".into(), PASSWORD.into()),
                ("confirm".into(), "yes".into()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(posted.status, 409, "{}", posted.body);
    assert!(
        server
            .app
            .identity
            .account(account)
            .await
            .unwrap()
            .is_some()
    );
    let trail = kinds(
        &server
            .app
            .identity
            .audit_events(Some("mainmember"), None)
            .await
            .unwrap(),
    );
    assert!(trail.contains(&AuditKind::AccountDeletionRefused));
    assert!(!trail.contains(&AuditKind::AccountDeleted));
}

/// R-FA-1 data for the deletion blocker: a main member and a co-insured
/// child, both registered (linked to their members); the main member's
/// account has the password of `template`. Returns the main member's account.
async fn main_member_with_a_registered_child(
    server: &TestServer,
    template: AccountId,
) -> AccountId {
    use pforte_identity::member::ImportOptions;
    use pforte_identity::policy::Kvnr;
    use pforte_identity::ports::{AccountStore, MemberLinkStore};
    use pforte_identity::registration::{MemberLink, Proofing, Stage};
    let csv = "kvnr;given_name;family_name;birth_date;postal_code;membership_start;main_member_kvnr\n\
               A123456780;Erika;Mustermann;1964-08-12;10115;2001-01-01;\n\
               B987654320;Lena;Mustermann;2015-06-30;10115;2015-06-30;A123456780\n";
    let report = server
        .app
        .member_registry()
        .import(csv, ImportOptions::default(), &RequestContext::default())
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let password_hash = server
        .app
        .store
        .get_account(template)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    let mut main = None;
    for (username, kvnr) in [("mainmember", "A123456780"), ("child", "B987654320")] {
        let now = chrono::Utc::now();
        let holder = pforte_identity::account::Account {
            id: AccountId::new(),
            username: username.to_owned(),
            password_hash: password_hash.clone(),
            email: None,
            email_verified: false,
            given_name: None,
            family_name: None,
            phone: None,
            phone_verified: false,
            totp_secret_encrypted: None,
            created_at: now,
            updated_at: now,
        };
        let link = MemberLink {
            account_id: holder.id,
            kvnr_digest: server
                .app
                .member_registry()
                .kvnr_digest(&Kvnr::parse(kvnr).unwrap()),
            stage: Stage::Active,
            proofing: Proofing::Letter,
            registered_at: now,
            activated_at: Some(now),
            updated_at: now,
        };
        server
            .app
            .store
            .insert_linked_account(&holder, &link, &[])
            .await
            .unwrap();
        main.get_or_insert(holder.id);
    }
    main.unwrap()
}

#[tokio::test]
async fn r_rc_1_recovery_requests_are_throttled_per_address() {
    let (server, _) = recovery_server(&[]).await;
    let limit = pforte_identity::recovery::RECOVERY_PER_IP;
    for n in 0..limit {
        let page = request_reset(&server, &browser(), &format!("name-{n}"), "email").await;
        assert!(page.text_by_id("forgot-code-sent").is_some(), "request {n}");
    }
    // Over the limit: a message about the connection, for a real account too.
    let refused = request_reset(&server, &browser(), "erika", "email").await;
    assert_eq!(refused.status, 200);
    assert!(refused.text_by_id("forgot-code-sent").is_none());
    let alert = refused.alert().unwrap();
    assert!(alert.contains("Zu viele Anfragen"), "{alert}");
    assert!(outbox_to(&server, "erika@example.test").await.is_empty());
    // The forgot-username form counts against the same limit.
    let other = browser();
    let page = other.get(&server.url("/username/forgot")).await.unwrap();
    let mut form = page.post_form().unwrap();
    assert!(form.fill_by_label("E-Mail-Adresse", "erika@example.test"));
    let refused = other.submit(&page, &form, None).await.unwrap();
    assert!(refused.text_by_id("username-forgot-sent").is_none());
    // The window ends by the clock.
    server.clock.advance(chrono::TimeDelta::minutes(
        pforte_identity::recovery::RECOVERY_WINDOW_MINUTES,
    ));
    let again = request_reset(&server, &browser(), "erika", "email").await;
    assert!(again.text_by_id("forgot-code-sent").is_some());
    assert_eq!(outbox_to(&server, "erika@example.test").await.len(), 1);
}
