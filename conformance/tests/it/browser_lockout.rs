//! Issue 3 "Browser test" in headless Chromium: five wrong passwords, then
//! the right one is refused with the same message; after the lock duration
//! (the provider's clock moved through libfaketime) the right password
//! reaches the relying party's callback with a code, which it redeems.

use crate::browser::{Chromium, callback_server, chromium, type_and_submit, wait_for_element};
use crate::support::PASSWORD;
use crate::support::http::plain_client;
use crate::support::lockout::{
    DuringLock, FIVE_FAILURES, LOCK_SECS, Lockout, NATIVE_CLIENT, add_user, prepare,
};
use crate::support::server::Server;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::time::Duration;
use url::Url;

const USER: &str = "bea";

/// An authorization request of the native client with PKCE (RFC 7636 S256);
/// returns the URL and the verifier.
fn authorize_url(server: &Server, redirect: &str) -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", NATIVE_CLIENT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", redirect)
        .append_pair("state", &uuid::Uuid::new_v4().simple().to_string())
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("ui_locales", "en");
    (url.to_string(), verifier)
}

/// Opens a fresh authorization, types the credentials and returns the alert
/// the answer page shows.
async fn refused_alert(chromium: &Chromium, url: &str, password: &str) -> String {
    let page = chromium.browser.new_page(url).await.unwrap();
    page.wait_for_navigation().await.unwrap();
    type_and_submit(&page, USER, password).await;
    let alert = wait_for_element(&page, "[role=alert]").await;
    let text = alert.inner_text().await.unwrap().unwrap_or_default();
    assert!(
        page.find_element("#password").await.is_ok(),
        "the login form is not offered again"
    );
    let _ = page.close().await;
    text.trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_r_lo_1_five_wrong_passwords_lock_then_the_lock_ends() {
    let Some(executable) = chromium() else {
        return;
    };
    let Some(server) = prepare(
        Lockout {
            max_failures: FIVE_FAILURES,
            lock_secs: LOCK_SECS,
            during_lock: DuringLock::Ignore,
        },
        true,
    ) else {
        return;
    };
    add_user(&server, USER, PASSWORD, &[]);
    server.start();
    let (port, mut callbacks) = callback_server().await;
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let chromium = Chromium::launch(executable).await;

    let mut alerts = Vec::new();
    for _ in 0..FIVE_FAILURES {
        let (url, _) = authorize_url(&server, &redirect);
        alerts.push(refused_alert(&chromium, &url, "Falsches-Passwort-77").await);
    }
    let (url, _) = authorize_url(&server, &redirect);
    let locked = refused_alert(&chromium, &url, PASSWORD).await;
    assert!(
        callbacks.try_recv().is_err(),
        "the relying party got an answer during the lock"
    );

    server.advance_clock(LOCK_SECS + 1);
    let (url, verifier) = authorize_url(&server, &redirect);
    let page = chromium.browser.new_page(url.as_str()).await.unwrap();
    page.wait_for_navigation().await.unwrap();
    type_and_submit(&page, USER, PASSWORD).await;
    let query = tokio::time::timeout(Duration::from_secs(30), callbacks.recv())
        .await
        .expect("after the lock the browser never reached the callback")
        .unwrap();
    chromium.close().await;

    assert!(!alerts[0].is_empty());
    for (index, alert) in alerts.iter().enumerate() {
        assert_eq!(
            alert,
            &alerts[0],
            "wrong password #{} got another message",
            index + 1
        );
    }
    assert_eq!(
        locked, alerts[0],
        "the right password during the lock got another message"
    );
    let code = query
        .get("code")
        .unwrap_or_else(|| panic!("no code at the callback: {query:?}"));
    let response = plain_client()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("client_id", NATIVE_CLIENT),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
