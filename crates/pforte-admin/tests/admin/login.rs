//! Console login through Pforte itself (R-OP-1): without a console session
//! every page leads to a fresh login at the required level; the callback
//! refuses a foreign state and a login without a second factor, and each
//! refusal is audited.

use crate::PASSWORD;
use pforte_identity::audit::AuditKind;
use pforte_identity::operator_roles::{OperatorRoleStore, Role, RoleGrant};
use pforte_testkit::TestServer;
use pforte_testkit::browser::Browser;

async fn refusals(server: &TestServer) -> Vec<String> {
    server
        .app
        .identity
        .audit_events(None, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == AuditKind::AdminLoginRefused)
        .map(|event| event.detail.unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn r_op_1_console_pages_lead_to_a_fresh_login_at_the_required_level() {
    let server = TestServer::start().await.unwrap();
    let browser = Browser::new().unwrap();
    let home = browser.get(&server.url("/admin")).await.unwrap();
    assert_eq!(home.status, 303);
    assert_eq!(home.location().unwrap(), server.url("/admin/login"));
    let users = browser.get(&server.url("/admin/users?q=x")).await.unwrap();
    assert_eq!(users.status, 303, "every console page needs the session");
    let start = browser.get(&server.url("/admin/login")).await.unwrap();
    assert_eq!(start.status, 303);
    let params = start.location_params();
    assert!(
        start
            .location()
            .unwrap()
            .starts_with(&server.url("/authorize?"))
    );
    assert_eq!(params["client_id"], "pforte-admin");
    assert_eq!(params["prompt"], "login");
    assert_eq!(params["code_challenge_method"], "S256");
    // The default policy's highest level.
    assert_eq!(params["acr_values"], "loa-high");
    assert_eq!(params["redirect_uri"], server.url("/admin/callback"));
    // The provider accepts the request of its own console (a login page).
    let authorize = browser.follow(&start).await.unwrap();
    assert_eq!(authorize.status, 303, "{}", authorize.body);
    assert!(
        authorize
            .location()
            .unwrap()
            .contains("/login?interaction=")
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn r_op_1_a_callback_with_a_foreign_state_is_refused_and_audited() {
    let server = TestServer::start().await.unwrap();
    let browser = Browser::new().unwrap();
    // A login started in this browser …
    let start = browser.get(&server.url("/admin/login")).await.unwrap();
    assert_eq!(start.status, 303);
    // … but a callback carrying another state (login CSRF).
    let page = browser
        .get(&server.url("/admin/callback?code=abc&state=forged"))
        .await
        .unwrap();
    assert_eq!(page.status, 403);
    assert_eq!(
        page.text_by_id("error-code").as_deref(),
        Some("PF-ADMIN-403")
    );
    // A browser without the login cookie is refused too.
    let state = start.location_params()["state"].clone();
    let other = Browser::new().unwrap();
    let page = other
        .get(&server.url(&format!("/admin/callback?code=abc&state={state}")))
        .await
        .unwrap();
    assert_eq!(page.status, 403);
    assert_eq!(
        refusals(&server).await,
        ["state_mismatch", "state_mismatch"]
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn r_op_1_a_password_only_login_does_not_open_the_console() {
    // A test-only level setting: `pforte config check` refuses it, so that
    // the callback's own check of the second factor is what refuses here.
    let server = TestServer::start_with(|settings| {
        settings.admin.required_acr = Some("loa-low".to_owned());
    })
    .await
    .unwrap();
    let anna = server.add_account("anna", PASSWORD).await.unwrap();
    server
        .app
        .store
        .grant_role(&RoleGrant {
            account: anna,
            role: Role::Support,
            granted_at: server.clock_now(),
            granted_by: "test".into(),
        })
        .await
        .unwrap();
    let browser = Browser::new().unwrap();
    let start = browser.get(&server.url("/admin/login")).await.unwrap();
    let authorize = browser.follow(&start).await.unwrap();
    let login = browser.follow(&authorize).await.unwrap();
    assert_eq!(login.status, 200, "{}", login.body);
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", "anna"));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    let mut page = browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    // Redirects up to the console's callback.
    for _ in 0..5 {
        if page.status != 303 {
            break;
        }
        page = browser.follow(&page).await.unwrap();
    }
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(refusals(&server).await, ["no_second_factor amr=pwd"]);
    let home = browser.get(&server.url("/admin")).await.unwrap();
    assert_eq!(home.status, 303, "no console session was opened");
    server.stop().await.unwrap();
}
