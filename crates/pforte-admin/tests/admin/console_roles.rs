//! The client screens for a logged-in operator (R-OP-1, R-AC-2): support sees
//! no client links and a crafted POST is refused; a security admin registers
//! a client through the form and sees its secret once.

use crate::PASSWORD;
use pforte_factors::totp::{TotpParams, TotpSecret};
use pforte_identity::RequestContext;
use pforte_identity::operator_roles::{OperatorRoleStore, Role, RoleGrant};
use pforte_oauth::ports::ClientStore;
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

/// A console server with an operator who has an authenticator app and `role`.
pub async fn operator_server(username: &str, role: Role) -> (TestServer, TotpSecret) {
    let server = TestServer::start_with(|settings| {
        settings.admin.required_acr = Some("loa-substantial".to_owned());
    })
    .await
    .unwrap();
    let account = server.add_account(username, PASSWORD).await.unwrap();
    let secret = TotpSecret::generate();
    server
        .app
        .identity
        .provision_totp(account, secret.as_bytes(), &RequestContext::default())
        .await
        .unwrap();
    let grant = RoleGrant {
        account,
        role,
        granted_at: server.clock_now(),
        granted_by: "test".into(),
    };
    server.app.store.grant_role(&grant).await.unwrap();
    (server, secret)
}

/// Logs in to the console with password and TOTP; returns the home page.
pub async fn console_login_as(
    server: &TestServer,
    browser: &Browser,
    username: &str,
    secret: &TotpSecret,
) -> Page {
    let start = browser.get(&server.url("/admin")).await.unwrap();
    let login = settle(browser, start).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", username));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    let next = browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    let factor = settle(browser, next).await;
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

fn csrf_of(page: &Page) -> String {
    page.forms()
        .into_iter()
        .find_map(|form| form.value("csrf_token").map(str::to_owned))
        .expect("a form with the CSRF token")
}

fn client_fields(csrf: &str, client_id: &str) -> Vec<(String, String)> {
    [
        ("csrf_token", csrf),
        ("client_id", client_id),
        ("application_type", "web"),
        ("name", "Shop"),
        ("redirect_uris", "https://shop.example/cb"),
        ("post_logout_redirect_uris", ""),
        ("auth_method", "client_secret_basic"),
        ("minimum_acr", ""),
    ]
    .iter()
    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
    .collect()
}

#[tokio::test]
async fn r_op_1_support_sees_no_client_links_and_a_crafted_client_post_is_403() {
    let (server, secret) = operator_server("anna", Role::Support).await;
    let browser = Browser::new().unwrap();
    let home = console_login_as(&server, &browser, "anna", &secret).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(
        !home.body.contains("href=\"/admin/clients"),
        "{}",
        home.body
    );
    assert!(!home.body.contains("href=\"/admin/keys"));
    let csrf = csrf_of(&home);

    let created = browser
        .post_form(
            &server.url("/admin/clients/new"),
            &client_fields(&csrf, "crafted"),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 403, "{}", created.body);
    let edited = browser
        .post_form(
            &server.url("/admin/clients/pforte-admin"),
            &client_fields(&csrf, "pforte-admin"),
        )
        .await
        .unwrap();
    assert_eq!(edited.status, 403, "{}", edited.body);
    let listing = browser.get(&server.url("/admin/clients")).await.unwrap();
    assert_eq!(listing.status, 403);
    let stored = server.app.store.get_client("crafted").await.unwrap();
    assert!(stored.is_none(), "nothing created");
}

#[tokio::test]
async fn r_op_1_a_security_admin_registers_a_client_in_the_console_and_sees_the_secret_once() {
    let (server, secret) = operator_server("ada", Role::SecurityAdmin).await;
    let browser = Browser::new().unwrap();
    let home = console_login_as(&server, &browser, "ada", &secret).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(
        home.body.contains("href=\"/admin/clients\""),
        "{}",
        home.body
    );

    let new = browser
        .get(&server.url("/admin/clients/new"))
        .await
        .unwrap();
    assert_eq!(new.status, 200, "{}", new.body);
    assert!(
        new.forms()
            .iter()
            .any(|form| form.action.as_deref() == Some("/admin/clients/new")),
        "the client form"
    );
    // The test client reads no textareas: the form's fields are sent as a
    // browser would send them.
    let shown = browser
        .post_form(
            &server.url("/admin/clients/new"),
            &client_fields(&csrf_of(&new), "shop"),
        )
        .await
        .unwrap();
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(
        shown
            .text_by_id("secret-client-id")
            .as_deref()
            .map(str::trim),
        Some("shop")
    );
    let client_secret = shown.text_by_id("client-secret").unwrap();
    assert!(client_secret.trim().len() >= 32, "a generated secret");

    let detail = browser
        .get(&server.url("/admin/clients/shop"))
        .await
        .unwrap();
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert!(
        !detail.body.contains(client_secret.trim()),
        "the secret is shown only once"
    );
    let stored = server.app.store.get_client("shop").await.unwrap().unwrap();
    assert_eq!(
        stored.redirect_uris,
        vec!["https://shop.example/cb".to_owned()]
    );
}
