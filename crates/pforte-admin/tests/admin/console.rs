//! The console's main journey over HTTP (R-OP-1, R-LO-2, R-LO-6): a support
//! operator with an authenticator app logs in through Pforte, finds a user
//! locked by wrong passwords, unlocks them, and the user can log in again.
//! A revoked role takes effect at the next request; logout ends the session.

use crate::PASSWORD;
use pforte_factors::totp::{TotpParams, TotpSecret};
use pforte_identity::RequestContext;
use pforte_identity::audit::AuditKind;
use pforte_identity::operator_roles::{OperatorRoleStore, Role, RoleGrant};
use pforte_testkit::{Browser, Page, TestServer};

async fn settle(browser: &Browser, mut page: Page) -> Page {
    for _ in 0..10 {
        if page.status != 303 {
            break;
        }
        page = browser.follow(&page).await.unwrap();
    }
    page
}

/// Logs in to the console as anna with password and TOTP.
async fn console_login(server: &TestServer, browser: &Browser, secret: &TotpSecret) -> Page {
    let start = browser.get(&server.url("/admin")).await.unwrap();
    let login = settle(browser, start).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", "anna"));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    let next = browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    let factor = settle(browser, next).await;
    assert_eq!(factor.status, 200, "{}", factor.body);
    let mut form = factor
        .forms()
        .into_iter()
        .find(|form| form.value("code").is_some())
        .expect("the TOTP step");
    let code = TotpParams::default()
        .code_at(secret, server.clock_now())
        .unwrap();
    assert!(form.fill_by_label("Code", &code));
    let next = browser
        .submit(&factor, &form, Some(("action", "verify")))
        .await
        .unwrap();
    settle(browser, next).await
}

#[tokio::test]
async fn r_op_1_support_logs_in_with_totp_finds_a_locked_user_and_unlocks_them() {
    let server = TestServer::start_with(|settings| {
        settings.admin.required_acr = Some("loa-substantial".to_owned());
    })
    .await
    .unwrap();
    let anna = server.add_account("anna", PASSWORD).await.unwrap();
    let secret = TotpSecret::generate();
    server
        .app
        .identity
        .provision_totp(anna, secret.as_bytes(), &RequestContext::default())
        .await
        .unwrap();
    let grant = RoleGrant {
        account: anna,
        role: Role::Support,
        granted_at: server.clock_now(),
        granted_by: "test".into(),
    };
    server.app.store.grant_role(&grant).await.unwrap();
    server.add_account("erika", PASSWORD).await.unwrap();
    let context = RequestContext::default();
    let mut locked = false;
    for _ in 0..20 {
        let _ = server
            .app
            .identity
            .login("erika", "Wrong-Pass-1", &context)
            .await;
        let status = server.app.identity.account_status("erika").await.unwrap();
        if status.state.as_str() == "locked" {
            locked = true;
            break;
        }
    }
    assert!(locked);

    let browser = Browser::new().unwrap();
    let home = console_login(&server, &browser, &secret).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert_eq!(home.text_by_id("operator-name").as_deref(), Some("anna"));
    assert!(
        home.body.contains("href=\"/admin/users\""),
        "support may search"
    );
    assert!(
        !home.body.contains("href=\"/admin/outbox\""),
        "the outbox is off"
    );

    let search = browser
        .get(&server.url("/admin/users?q=erika"))
        .await
        .unwrap();
    assert_eq!(search.status, 200, "{}", search.body);
    assert!(
        search.body.contains("href=\"/admin/users/erika\""),
        "{}",
        search.body
    );
    let detail = browser
        .get(&server.url("/admin/users/erika"))
        .await
        .unwrap();
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(detail.text_by_id("user-state").as_deref(), Some("Gesperrt"));
    let unlock = detail
        .forms()
        .into_iter()
        .find(|form| form.action.as_deref() == Some("/admin/users/erika/unlock"))
        .expect("the unlock button for support");

    // Without the CSRF token the POST is refused.
    let mut forged = unlock.clone();
    assert!(forged.set("csrf_token", "forged"));
    let refused = browser.submit(&detail, &forged, None).await.unwrap();
    assert_eq!(refused.status, 403);

    let done = browser.submit(&detail, &unlock, None).await.unwrap();
    assert_eq!(done.status, 303);
    let after = browser.follow(&done).await.unwrap();
    assert_eq!(after.text_by_id("user-state").as_deref(), Some("Aktiv"));
    assert!(after.text_by_id("admin-notice").is_some());
    assert!(
        server
            .app
            .identity
            .login("erika", PASSWORD, &context)
            .await
            .is_ok(),
        "erika can log in again"
    );
    let trail = server.app.identity.audit_events(None, None).await.unwrap();
    let unlocked = trail
        .iter()
        .find(|event| event.kind == AuditKind::AccountUnlocked)
        .unwrap();
    assert_eq!(unlocked.operator.as_deref(), Some("anna"));
    let login = trail
        .iter()
        .find(|event| event.kind == AuditKind::AdminLogin)
        .unwrap();
    assert_eq!(
        login.detail.as_deref(),
        Some("roles=support acr=loa-substantial")
    );

    // A revoked role takes effect at the next request.
    server
        .app
        .store
        .revoke_role(anna, Role::Support)
        .await
        .unwrap();
    let gone = browser.get(&server.url("/admin")).await.unwrap();
    assert_eq!(gone.status, 403);
    server.app.store.grant_role(&grant).await.unwrap();

    // Logout ends the console session.
    let home = browser.get(&server.url("/admin")).await.unwrap();
    let logout = home
        .forms()
        .into_iter()
        .find(|form| form.action.as_deref() == Some("/admin/logout"))
        .unwrap();
    let bye = browser.submit(&home, &logout, None).await.unwrap();
    assert_eq!(bye.status, 200, "{}", bye.body);
    let again = browser.get(&server.url("/admin")).await.unwrap();
    assert_eq!(again.status, 303);
    let trail = server.app.identity.audit_events(None, None).await.unwrap();
    assert!(
        trail
            .iter()
            .any(|event| event.kind == AuditKind::AdminLogout
                && event.detail.as_deref() == Some("logout"))
    );
    server.stop().await.unwrap();
}
