//! The admin console's main journeys in headless Chromium (R-OP-1,
//! docs/admin.md): operators log in through Pforte with a password and an
//! authenticator app; a support operator unlocks a locked user, a security
//! admin registers a client that a relying party of the `openidconnect` crate
//! then uses, and support sees no client screens.
//!
//! With `PFORTE_SCREENSHOTS_DIR` set, the first journey saves the overview,
//! the user search and the user detail page there (full-page PNG).

use crate::browser::{Chromium, callback_server, chromium};
use crate::second_factor_browser::{click, present, text_of, try_eval, type_into};
use crate::support::admin::{
    Operator, add_operator, catalog_text, console_login, enable_console, path, screenshot,
    set_value,
};
use crate::support::fixture::{AuthKind, ClientSpec, WEB_REDIRECT, secret_for};
use crate::support::lockout::{
    CLIENT, DuringLock, FIVE_FAILURES, LOCK_SECS, Lockout, add_user, attempt, prepare, user_show,
};
use crate::support::rp::{Request, Rp};
use crate::support::server::Server;
use crate::support::{PASSWORD, UserAgent};
use chromiumoxide::cdp::browser_protocol::network::EventResponseReceived;
use futures::StreamExt;
use std::time::Duration;

const LOCKOUT: Lockout = Lockout {
    max_failures: FIVE_FAILURES,
    lock_secs: LOCK_SECS,
    during_lock: DuringLock::Ignore,
};

/// A started provider with the console, the operator `operator` with `role`
/// and the users `users`, and a browser; `None` without Chromium.
async fn scene(operator: &str, role: &str, users: &[&str]) -> Option<(Server, Chromium)> {
    let executable = chromium()?;
    let server = prepare(LOCKOUT, false)?;
    enable_console(&server);
    add_operator(&server, operator, role);
    for user in users {
        add_user(&server, user, PASSWORD, &[]);
    }
    server.start();
    let chromium = Chromium::launch(executable).await;
    Some((server, chromium))
}

/// The `href`s of the console's navigation and overview links.
async fn links(page: &chromiumoxide::page::Page) -> Vec<String> {
    try_eval(
        page,
        "Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href'))",
    )
    .await
    .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_1_support_finds_a_locked_user_in_the_browser_unlocks_them_and_the_user_logs_in() {
    let Some((server, chromium)) = scene("sina", "support", &["bea"]).await else {
        return;
    };
    for _ in 0..FIVE_FAILURES {
        let _ = attempt(&server, "bea", "Falsches-Passwort-77")
            .await
            .refused();
    }
    let _ = attempt(&server, "bea", PASSWORD).await.refused();
    assert_eq!(user_show(&server, "bea")["state"], "locked");

    let page = chromium.browser.new_page("about:blank").await.unwrap();
    let mut operator = Operator { manual_key: None };
    console_login(&page, &server, "sina", &mut operator).await;
    assert!(
        operator.manual_key.is_some(),
        "no authenticator app enrolled"
    );
    assert!(links(&page).await.contains(&"/admin/users".to_owned()));
    screenshot(&page, "admin-dashboard.png").await;

    click(&page, "main a[href='/admin/users']").await;
    assert_eq!(path(&page).await, "/admin/users");
    type_into(&page, "#q", "bea").await;
    click(&page, "form[role=search] button[type=submit]").await;
    assert!(present(&page, "#results-heading").await, "no results");
    screenshot(&page, "admin-users.png").await;

    click(&page, "table a[href='/admin/users/bea']").await;
    assert_eq!(path(&page).await, "/admin/users/bea");
    assert_eq!(
        text_of(&page, "#user-state").await,
        catalog_text(&page, "admin_state_locked").await
    );
    assert!(present(&page, "#unlock").await, "no unlock button");
    screenshot(&page, "admin-user.png").await;

    click(&page, "#unlock").await;
    assert_eq!(path(&page).await, "/admin/users/bea");
    assert!(present(&page, "#admin-notice").await, "no notice");
    assert_eq!(
        text_of(&page, "#user-state").await,
        catalog_text(&page, "admin_state_active").await
    );
    assert!(!present(&page, "#unlock").await, "unlock offered again");
    chromium.close().await;

    let spec = ClientSpec {
        id: CLIENT,
        auth: AuthKind::SecretBasic,
        redirect_uri: WEB_REDIRECT,
        secret: Some(secret_for(CLIENT)),
        id_token_alg: "RS256",
    };
    let rp = Rp::for_issuer(&server.issuer, spec).await;
    let completed = rp
        .login_flow(
            &UserAgent::new(&server.issuer),
            "bea",
            &Request::scopes(&["openid"]),
        )
        .await;
    assert!(!completed.claims.subject().as_str().is_empty());
    let shown = user_show(&server, "bea");
    assert_eq!(shown["state"], "active", "{shown:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_1_a_security_admin_creates_a_client_in_the_browser_and_a_relying_party_logs_in_with_it()
 {
    let Some((server, chromium)) = scene("sven", "security_admin", &["rita"]).await else {
        return;
    };
    let (port, _callbacks) = callback_server().await;
    let redirect = format!("http://127.0.0.1:{port}/callback");

    let page = chromium.browser.new_page("about:blank").await.unwrap();
    let mut operator = Operator { manual_key: None };
    console_login(&page, &server, "sven", &mut operator).await;
    click(&page, "main a[href='/admin/clients']").await;
    click(&page, "#client-new").await;
    assert_eq!(path(&page).await, "/admin/clients/new");
    type_into(&page, "#client_id", "console-rp").await;
    type_into(&page, "#name", "Console RP").await;
    set_value(&page, "#redirect_uris", &redirect).await;
    set_value(&page, "#auth_method", "client_secret_basic").await;
    click(&page, "#client-save").await;
    assert!(
        !present(&page, "#client-problems").await,
        "the form was refused: {}",
        text_of(&page, "#client-problems").await
    );
    assert_eq!(text_of(&page, "#secret-client-id").await, "console-rp");
    let secret = text_of(&page, "#client-secret").await;
    assert!(secret.len() >= 20, "short secret {secret:?}");
    chromium.close().await;

    let spec = ClientSpec {
        id: "console-rp",
        auth: AuthKind::SecretBasic,
        redirect_uri: Box::leak(redirect.clone().into_boxed_str()),
        secret: Some(secret),
        id_token_alg: "RS256",
    };
    let rp = Rp::for_issuer(&server.issuer, spec).await;
    let completed = rp
        .login_flow(
            &UserAgent::new(&server.issuer),
            "rita",
            &Request::scopes(&["openid"]).redirect_uri(&redirect),
        )
        .await;
    assert!(
        completed
            .claims
            .audiences()
            .iter()
            .any(|audience| audience.as_str() == "console-rp")
    );
    assert_eq!(completed.response.target, redirect);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_1_support_has_no_client_screens_in_the_browser() {
    let Some((server, chromium)) = scene("sina", "support", &[]).await else {
        return;
    };
    let page = chromium.browser.new_page("about:blank").await.unwrap();
    let mut operator = Operator { manual_key: None };
    console_login(&page, &server, "sina", &mut operator).await;
    let hrefs = links(&page).await;
    assert!(hrefs.contains(&"/admin/users".to_owned()), "{hrefs:?}");
    assert!(
        hrefs.iter().all(|href| !href.starts_with("/admin/clients")),
        "{hrefs:?}"
    );

    // The status of the document, as the browser received it (the page's
    // content security policy allows no script requests).
    let mut responses = page
        .event_listener::<EventResponseReceived>()
        .await
        .unwrap();
    let target = server.url("/admin/clients");
    page.goto(target.as_str()).await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = responses.next().await {
            if event.response.url == target {
                return event.response.status;
            }
        }
        panic!("no response for {target}");
    })
    .await
    .expect("no response event for /admin/clients");
    assert_eq!(status, 403);
    assert_eq!(text_of(&page, "#error-code").await, "PF-ADMIN-403");
    chromium.close().await;
}
