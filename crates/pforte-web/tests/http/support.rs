//! Shared set-up: a server, a browser, and parked interactions for page tests
//! that do not need the protocol core.

use pforte_oauth::{PendingAuthorization, ResponseMode};
use pforte_testkit::{Browser, TestServer};
use pforte_types::AuthTarget;
use pforte_web::interaction::{self, Interaction};
use std::time::Duration;

pub const REDIRECT_URI: &str = "https://rp.example/callback";

pub async fn server() -> TestServer {
    TestServer::start().await.expect("test server starts")
}

pub fn browser() -> Browser {
    Browser::new().expect("client builds")
}

/// Parks a login interaction as the authorization endpoint would, and gives
/// `browser` the matching flow cookie. Returns the interaction id.
pub async fn park_interaction(
    server: &TestServer,
    browser: &Browser,
    ui_locales: &[&str],
    login_hint: Option<&str>,
) -> (String, Interaction) {
    let binding = browser
        .cookie("pforte_flow")
        .unwrap_or_else(pforte_crypto::random::random_token);
    // Both names, so that tests with an https issuer (`__Host-` prefix) work too.
    browser.set_cookie("pforte_flow", &binding);
    browser.set_cookie("__Host-pforte_flow", &binding);
    let ui_locales: Vec<String> = ui_locales.iter().map(|tag| tag.to_string()).collect();
    let record = Interaction {
        pending: PendingAuthorization {
            client_id: "portal".to_owned(),
            redirect_uri: REDIRECT_URI.to_owned(),
            response_mode: ResponseMode::Query,
            scopes: vec!["openid".to_owned()],
            state: Some("s-1".to_owned()),
            nonce: None,
            code_challenge: None,
            prompt: Vec::new(),
            max_age: None,
            acr_values: Vec::new(),
            required_acr: None,
            essential_acr: false,
            claims: None,
            login_hint: login_hint.map(str::to_owned),
            ui_locales: ui_locales.clone(),
            hinted_account: None,
        },
        target: AuthTarget {
            client_id: "portal".to_owned(),
            client_name: Some("Kundenportal".to_owned()),
            login_hint: login_hint.map(str::to_owned),
            required_account: None,
            force_reauthentication: false,
            acr_values: Vec::new(),
            required_acr: None,
            essential_acr: false,
            max_age: None,
            ui_locales,
            requested_scopes: vec!["openid".to_owned()],
            consent_required: false,
        },
        csrf_token: pforte_crypto::random::random_token(),
        browser_binding: binding,
        login: None,
        password_change: None,
        txn: None,
        brand: None,
    };
    let id = pforte_crypto::random::random_token();
    interaction::save(
        server.app.memory.as_ref(),
        &id,
        &record,
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    (id, record)
}

/// Asserts the headers every page carries.
pub fn assert_page_headers(page: &pforte_testkit::Page) {
    assert_eq!(page.header("x-frame-options"), Some("DENY"), "{}", page.url);
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(
        page.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html")
    );
}
