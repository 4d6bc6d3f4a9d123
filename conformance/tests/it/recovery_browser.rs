//! Recovery and self-service in a real browser (R-RC-1, R-RC-3, R-RC-4):
//! headless Chromium resets a forgotten password by e-mail and by SMS (the
//! codes read from the dev outbox, as a person reads their mail or phone),
//! confirms a new mobile number on `/account/profile`, and deletes the
//! account on `/account/delete`; the relying party is the `openidconnect`
//! crate at a loopback callback.

use crate::browser::{Chromium, callback_server, chromium, wait_for_element};
use crate::support::PASSWORD;
use crate::support::factors::{add_user, native_rp, newest_message, outbox_code, prepare};
use crate::support::rp::{Request, Rp, Started};
use crate::support::server::Server;
use chromiumoxide::page::Page;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

const NEW_PASSWORD: &str = "Neue-Wolke-77-Berg!";
const ADDRESS: &str = "rosa@example.test";
const MOBILE: &str = "+4915112345678";

pub(crate) async fn try_eval<T: serde::de::DeserializeOwned>(
    page: &Page,
    script: &str,
) -> Option<T> {
    page.evaluate(script).await.ok()?.into_value().ok()
}

pub(crate) async fn mark_document(page: &Page) {
    let _: Option<bool> = try_eval(page, "(window.__seen = true)").await;
}

/// Waits until the browser shows a new, fully loaded document.
pub(crate) async fn next_document(page: &Page) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let fresh: Option<bool> = try_eval(
            page,
            "(typeof window.__seen === 'undefined') && document.readyState === 'complete'",
        )
        .await;
        if fresh == Some(true) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no new page; at {:?}",
            page.url().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn press(page: &Page, selector: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let clicked = match page.find_element(selector).await {
            Ok(element) => element.click().await.map(|_| ()),
            Err(error) => Err(error),
        };
        match clicked {
            Ok(()) => return,
            Err(error) => assert!(
                tokio::time::Instant::now() < deadline,
                "{selector}: {error}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks a control that sends a form or follows a link, and waits for the
/// next page.
pub(crate) async fn click(page: &Page, selector: &str) {
    mark_document(page).await;
    press(page, selector).await;
    next_document(page).await;
}

pub(crate) async fn type_into(page: &Page, selector: &str, text: &str) {
    press(page, selector).await;
    page.find_element(selector)
        .await
        .unwrap_or_else(|error| panic!("{selector}: {error}"))
        .type_str(text)
        .await
        .unwrap();
}

pub(crate) async fn text_of(page: &Page, selector: &str) -> String {
    wait_for_element(page, selector)
        .await
        .inner_text()
        .await
        .unwrap()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

pub(crate) async fn present(page: &Page, selector: &str) -> bool {
    let script = format!("!!document.querySelector({selector:?})");
    try_eval(page, &script).await.unwrap_or(false)
}

pub(crate) async fn goto(page: &Page, url: &str) {
    page.goto(url).await.unwrap();
    page.wait_for_navigation().await.unwrap();
}

async fn log_in(page: &Page, password: &str) {
    wait_for_element(page, "#username").await;
    type_into(page, "#username", "rosa").await;
    type_into(page, "#password", password).await;
    click(page, "button[value=login]").await;
}

/// Steps 2 and 3 of `/password/forgot`: the code, then the new password;
/// `done` is the expected confirmation in the page's language.
async fn enter_code_and_new_password(page: &Page, code: &str, done: &str) {
    assert!(present(page, "#forgot-code-sent").await);
    type_into(page, "#code", code).await;
    click(page, "button[value=code]").await;
    type_into(page, "#new_password", NEW_PASSWORD).await;
    type_into(page, "#new_password_confirm", NEW_PASSWORD).await;
    click(page, "button[value=password]").await;
    let shown = text_of(page, "#forgot-done").await;
    assert!(shown.contains(done), "{shown}");
}

struct Scene {
    server: Server,
    chromium: Chromium,
    rp: Rp,
    redirect: String,
    callbacks: UnboundedReceiver<BTreeMap<String, String>>,
}

async fn scene() -> Option<Scene> {
    let executable = chromium()?;
    let server = prepare(None)?;
    add_user(
        &server,
        "rosa",
        PASSWORD,
        &["--email", ADDRESS, "--email-verified"],
    );
    server.start();
    let (port, callbacks) = callback_server().await;
    let rp = native_rp(&server).await;
    let chromium = Chromium::launch(executable).await;
    Some(Scene {
        server,
        chromium,
        rp,
        redirect: format!("http://127.0.0.1:{port}/callback"),
        callbacks,
    })
}

impl Scene {
    fn start(&self) -> Started {
        self.rp.start(
            &Request::scopes(&["openid"])
                .redirect_uri(&self.redirect)
                .param("ui_locales", "de"),
        )
    }

    async fn open(&self, started: &Started) -> Page {
        let page = self
            .chromium
            .browser
            .new_page(started.url.as_str())
            .await
            .unwrap();
        page.wait_for_navigation().await.unwrap();
        page
    }

    /// The relying party receives the code and verifies the ID token.
    async fn finish(&mut self, started: Started) -> String {
        let query = tokio::time::timeout(Duration::from_secs(30), self.callbacks.recv())
            .await
            .expect("the browser never reached the relying party's callback")
            .unwrap();
        assert_eq!(query.get("state"), Some(started.state.secret()));
        let code = query
            .get("code")
            .unwrap_or_else(|| panic!("no code at the callback: {query:?}"));
        let tokens = self
            .rp
            .redeem(code, started.verifier, Some(&self.redirect))
            .await
            .unwrap_or_else(|error| panic!("code exchange failed: {error}"));
        self.rp
            .verify(&tokens, &started.nonce)
            .subject()
            .to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_rc_1_forgot_password_by_email_then_login_at_the_rp_in_chromium() {
    let Some(mut scene) = scene().await else {
        return;
    };
    let started = scene.start();
    let page = scene.open(&started).await;
    click(&page, "#login-forgot-password").await;
    type_into(&page, "#identifier", "rosa").await;
    click(&page, "button[value=request]").await;
    let (template, code) = outbox_code(&scene.server, ADDRESS);
    assert_eq!(template, "reset_code");
    // The pages keep the login's language (ui_locales=de).
    enter_code_and_new_password(&page, &code, "Passwort wurde geändert").await;
    assert_eq!(
        newest_message(&scene.server, ADDRESS)["template"],
        "password_reset_notice"
    );
    // Back to the same login, now with the new password.
    click(&page, "#forgot-back-to-login").await;
    log_in(&page, NEW_PASSWORD).await;
    let subject = scene.finish(started).await;
    assert!(!subject.is_empty());
    let _ = page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_rc_1_forgot_password_by_sms_after_confirming_a_mobile_number_in_chromium() {
    let Some(mut scene) = scene().await else {
        return;
    };
    let started = scene.start();
    let page = scene.open(&started).await;
    log_in(&page, PASSWORD).await;
    scene.finish(started).await;

    // R-RC-3: a new mobile number, confirmed by the code sent to it.
    goto(&page, &scene.server.url("/account/profile")).await;
    type_into(&page, "#new-mobile", MOBILE).await;
    click(&page, "#profile-mobile button[value=contact]").await;
    let (template, code) = outbox_code(&scene.server, MOBILE);
    assert_eq!(template, "contact_change_code");
    type_into(&page, "#profile-code", &code).await;
    click(&page, "button[value=confirm]").await;
    assert!(present(&page, "#profile-notice").await);

    // R-RC-1 by SMS to that number.
    goto(&page, &scene.server.url("/password/forgot")).await;
    type_into(&page, "#identifier", "rosa").await;
    press(&page, "#channel-sms").await;
    click(&page, "button[value=request]").await;
    let sent = text_of(&page, "#forgot-code-sent").await;
    assert!(sent.contains("SMS"), "{sent}");
    let (template, code) = outbox_code(&scene.server, MOBILE);
    assert_eq!(template, "reset_code");
    // Opened directly, the page follows the browser's English.
    enter_code_and_new_password(&page, &code, "password has been changed").await;

    // The reset ended the browser's session as well.
    goto(&page, &scene.server.url("/account/profile")).await;
    assert!(present(&page, "#account-sign-in").await);

    let started = scene.start();
    let page = scene.open(&started).await;
    log_in(&page, NEW_PASSWORD).await;
    scene.finish(started).await;
    let _ = page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_rc_4_account_deletion_in_chromium() {
    let Some(mut scene) = scene().await else {
        return;
    };
    let started = scene.start();
    let page = scene.open(&started).await;
    log_in(&page, PASSWORD).await;
    scene.finish(started).await;

    goto(&page, &scene.server.url("/account/security")).await;
    click(&page, "#account-delete-link").await;
    assert_eq!(text_of(&page, "#delete-username").await, "rosa");
    type_into(&page, "#delete-password", PASSWORD).await;
    press(&page, "#delete-confirm").await;
    click(&page, "#delete-submit").await;
    // The browser asks for English; the page follows it.
    let done = text_of(&page, "#delete-done").await;
    assert!(done.contains("deleted"), "{done}");

    assert_eq!(
        newest_message(&scene.server, ADDRESS)["template"],
        "account_deleted_notice"
    );
    let show = scene.server.cli(&["user", "show", "rosa"]);
    assert!(!show.success, "the account is gone: {}", show.stdout);
    let trail = scene.server.cli_ok(&["audit", "list"]).stdout;
    assert!(trail.contains("account_deleted"), "{trail}");
    assert!(!trail.contains("username=rosa"), "{trail}");
    let _ = page.close().await;
}
