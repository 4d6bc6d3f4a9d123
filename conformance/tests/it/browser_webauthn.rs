//! Issue 4 "WebAuthn / passkeys" in headless Chromium with Chrome's virtual
//! authenticator (CDP `WebAuthn.addVirtualAuthenticator`: CTAP2, internal
//! transport, resident keys, user verification that always succeeds).
//!
//! A user with only a password asks for `loa-high`: after the password the
//! provider leads to enrolment, the user chooses a passkey, names it and
//! creates it, sees the recovery codes once and arrives at the relying
//! party with a code whose ID token says `acr=loa-high` and `amr` with
//! `hwk`. A second login (`prompt=login`) on the same browser proves the
//! passkey as the second factor. The provider's issuer is
//! `http://localhost:<port>`: browsers refuse an IP address as WebAuthn RP
//! id, and `localhost` is a secure context without TLS.
//!
//! With a policy that allows passwordless sign-in and has a level that a
//! hardware key alone reaches, the same passkey later signs in from the
//! login page's passkey link without any password (R-MF-1, ADR 0005
//! "Passwordless"); without that policy the login page offers no such link.

use crate::browser::{Chromium, callback_server, chromium, type_and_submit, wait_for_element};
use crate::support::PASSWORD;
use crate::support::http::plain_client;
use crate::support::lockout::{NATIVE_CLIENT, add_clients, add_user, audit_kinds, count};
use crate::support::server::Server;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chromiumoxide::cdp::browser_protocol::network::ClearBrowserCookiesParams;
use chromiumoxide::cdp::browser_protocol::web_authn::{
    AddVirtualAuthenticatorParams, AuthenticatorProtocol, AuthenticatorTransport, EnableParams,
    GetCredentialsParams, VirtualAuthenticatorOptions,
};
use chromiumoxide::page::Page;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use url::Url;

const USER: &str = "paula";

/// An authorization request of the native client (PKCE S256) on the
/// `localhost` issuer; returns the URL and the verifier.
fn authorize_url(issuer: &str, redirect: &str, extra: &[(&str, &str)]) -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = Url::parse(&format!("{issuer}/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", NATIVE_CLIENT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", redirect)
        .append_pair("state", &uuid::Uuid::new_v4().simple().to_string())
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("ui_locales", "en")
        .extend_pairs(extra);
    (url.to_string(), verifier)
}

/// Redeems the code and returns the ID token's claims (the signature is the
/// business of the other suites; here the claims matter).
async fn id_token_claims(
    server: &Server,
    code: &str,
    redirect: &str,
    verifier: &str,
) -> serde_json::Value {
    let response = plain_client()
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("client_id", NATIVE_CLIENT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    let id_token = body["id_token"].as_str().unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn code_at_callback(
    callbacks: &mut UnboundedReceiver<BTreeMap<String, String>>,
    page: &Page,
    server: &Server,
) -> String {
    let Ok(Some(query)) = tokio::time::timeout(Duration::from_secs(30), callbacks.recv()).await
    else {
        let html = page.content().await.unwrap_or_default();
        panic!(
            "the browser never reached the callback; at {:?}\n{html}\n{}",
            page.url().await,
            server.log_text()
        );
    };
    query
        .get("code")
        .unwrap_or_else(|| panic!("no code at the callback: {query:?}"))
        .clone()
}

/// Waits for `selector`; on timeout the failure shows the page and the
/// server log (the ceremony's errors are only visible there).
async fn wait_for(page: &Page, server: &Server, selector: &str) -> chromiumoxide::element::Element {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(element) = page.find_element(selector).await {
            return element;
        }
        if tokio::time::Instant::now() >= deadline {
            let html = page.content().await.unwrap_or_default();
            panic!(
                "{selector} never appeared; at {:?}\n{html}\n{}",
                page.url().await,
                server.log_text()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn amr(claims: &serde_json::Value) -> Vec<String> {
    claims["amr"]
        .as_array()
        .unwrap_or_else(|| panic!("no amr: {claims}"))
        .iter()
        .filter_map(|value| value.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_mf_1_webauthn_passkey_enrolled_at_login_then_proven_as_second_factor() {
    let Some(executable) = chromium() else {
        return;
    };
    let server = Server::prepare();
    let issuer = format!("http://localhost:{}", server.port);
    server.set_configured_issuer(&issuer);
    add_clients(&server);
    add_user(&server, USER, PASSWORD, &[]);
    server.start();
    let (port, mut callbacks) = callback_server().await;
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let chromium = Chromium::launch(executable).await;
    let page = chromium.browser.new_page("about:blank").await.unwrap();
    page.execute(EnableParams::default()).await.unwrap();
    let options = VirtualAuthenticatorOptions::builder()
        .protocol(AuthenticatorProtocol::Ctap2)
        .transport(AuthenticatorTransport::Internal)
        .has_resident_key(true)
        .has_user_verification(true)
        .is_user_verified(true)
        .automatic_presence_simulation(true)
        .build()
        .unwrap();
    let authenticator = page
        .execute(AddVirtualAuthenticatorParams::new(options))
        .await
        .unwrap()
        .result
        .authenticator_id;

    // First login: password, then the level asks for a hardware key, which
    // the user enrols as a passkey.
    let (url, verifier) = authorize_url(&issuer, &redirect, &[("acr_values", "loa-high")]);
    page.goto(url.as_str()).await.unwrap();
    type_and_submit(&page, USER, PASSWORD).await;
    wait_for_element(&page, "#enrol-webauthn button[value=start]")
        .await
        .click()
        .await
        .unwrap();
    wait_for_element(&page, "#webauthn-label")
        .await
        .click()
        .await
        .unwrap()
        .type_str("Laptop")
        .await
        .unwrap();
    let embedded = page
        .evaluate("document.getElementById('webauthn-options') !== null")
        .await
        .unwrap()
        .into_value::<bool>()
        .unwrap();
    assert!(embedded, "the options are not embedded in the page");
    page.find_element("#webauthn-start")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The recovery codes are shown once after the first second factor.
    wait_for(&page, &server, "form[action='/login/continue'] button")
        .await
        .click()
        .await
        .unwrap();
    let code = code_at_callback(&mut callbacks, &page, &server).await;
    let claims = id_token_claims(&server, &code, &redirect, &verifier).await;
    assert_eq!(claims["acr"], "loa-high", "{claims}");
    let methods = amr(&claims);
    for expected in ["pwd", "hwk", "mfa"] {
        assert!(methods.iter().any(|m| m == expected), "amr {methods:?}");
    }
    let stored = page
        .execute(GetCredentialsParams::new(authenticator.clone()))
        .await
        .unwrap()
        .result
        .credentials;
    assert_eq!(stored.len(), 1, "one passkey on the authenticator");

    // Second login: a new authentication is forced, the password comes
    // first, then the passkey proves the hardware key.
    let (url, verifier) = authorize_url(
        &issuer,
        &redirect,
        &[("acr_values", "loa-high"), ("prompt", "login")],
    );
    page.goto(url.as_str()).await.unwrap();
    type_and_submit(&page, USER, PASSWORD).await;
    wait_for(&page, &server, "#webauthn-start")
        .await
        .click()
        .await
        .unwrap();
    let code = code_at_callback(&mut callbacks, &page, &server).await;
    chromium.close().await;
    let claims = id_token_claims(&server, &code, &redirect, &verifier).await;
    assert_eq!(claims["acr"], "loa-high", "{claims}");
    let methods = amr(&claims);
    assert!(methods.iter().any(|m| m == "hwk"), "amr {methods:?}");
    assert!(methods.iter().any(|m| m == "pwd"), "amr {methods:?}");

    let kinds = audit_kinds(&server, USER);
    assert_eq!(count(&kinds, "factor_enrolled"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "factor_verified"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "factor_failed"), 0, "{kinds:?}");
}

/// Levels of the passwordless case: `loa-substantial` is reached by a
/// password with a second factor or by a hardware key alone, `loa-high`
/// needs the password and the hardware key.
const PASSWORDLESS_POLICY: &str = r#"
[[assurance.levels]]
name = "loa-low"
alternatives = [["knowledge"]]

[[assurance.levels]]
name = "loa-substantial"
alternatives = [["knowledge", "possession"], ["hardware_key"]]

[[assurance.levels]]
name = "loa-high"
alternatives = [["knowledge", "hardware_key"]]

[second_factor]
passwordless = true
"#;

/// A started provider on the `localhost` issuer with the native client,
/// the user and, with `policy`, that policy file.
fn localhost_server(policy: Option<&str>) -> (Server, String) {
    let server = Server::prepare();
    let issuer = format!("http://localhost:{}", server.port);
    server.set_configured_issuer(&issuer);
    if let Some(policy) = policy {
        let path = server.scratch().join("policy.toml");
        std::fs::write(&path, policy).unwrap();
        server.prepend_config(&format!("policy_file = {:?}\n", path.display().to_string()));
    }
    add_clients(&server);
    add_user(&server, USER, PASSWORD, &[]);
    server.start();
    (server, issuer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_mf_1_passkey_signs_in_without_password_when_the_policy_allows_it() {
    let Some(executable) = chromium() else {
        return;
    };
    let (server, issuer) = localhost_server(Some(PASSWORDLESS_POLICY));
    let (port, mut callbacks) = callback_server().await;
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let chromium = Chromium::launch(executable).await;
    let page = chromium.browser.new_page("about:blank").await.unwrap();
    page.execute(EnableParams::default()).await.unwrap();
    let options = VirtualAuthenticatorOptions::builder()
        .protocol(AuthenticatorProtocol::Ctap2)
        .transport(AuthenticatorTransport::Internal)
        .has_resident_key(true)
        .has_user_verification(true)
        .is_user_verified(true)
        .automatic_presence_simulation(true)
        .build()
        .unwrap();
    let authenticator = page
        .execute(AddVirtualAuthenticatorParams::new(options))
        .await
        .unwrap()
        .result
        .authenticator_id;

    // First login: password, then `loa-high` asks for a hardware key, which
    // the user enrols as a passkey (with user verification, since the
    // policy allows passwordless sign-in).
    let (url, verifier) = authorize_url(&issuer, &redirect, &[("acr_values", "loa-high")]);
    page.goto(url.as_str()).await.unwrap();
    type_and_submit(&page, USER, PASSWORD).await;
    wait_for(&page, &server, "#enrol-webauthn button[value=start]")
        .await
        .click()
        .await
        .unwrap();
    wait_for(&page, &server, "#webauthn-label")
        .await
        .click()
        .await
        .unwrap()
        .type_str("Laptop")
        .await
        .unwrap();
    page.find_element("#webauthn-start")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&page, &server, "form[action='/login/continue'] button")
        .await
        .click()
        .await
        .unwrap();
    let code = code_at_callback(&mut callbacks, &page, &server).await;
    let claims = id_token_claims(&server, &code, &redirect, &verifier).await;
    assert_eq!(claims["acr"], "loa-high", "{claims}");
    let stored = page
        .execute(GetCredentialsParams::new(authenticator.clone()))
        .await
        .unwrap()
        .result
        .credentials;
    assert_eq!(stored.len(), 1, "one passkey on the authenticator");
    assert!(
        stored[0].is_resident_credential,
        "the passkey is discoverable"
    );

    // The provider's cookies go (a browser without a session); the virtual
    // authenticator stays. The passkey link of the login page signs in
    // without a user name or password.
    page.execute(ClearBrowserCookiesParams::default())
        .await
        .unwrap();
    let (url, verifier) = authorize_url(&issuer, &redirect, &[("acr_values", "loa-substantial")]);
    page.goto(url.as_str()).await.unwrap();
    wait_for(&page, &server, "#login-passkey")
        .await
        .click()
        .await
        .unwrap();
    wait_for(&page, &server, "#webauthn-start")
        .await
        .click()
        .await
        .unwrap();
    let code = code_at_callback(&mut callbacks, &page, &server).await;
    chromium.close().await;
    let claims = id_token_claims(&server, &code, &redirect, &verifier).await;
    assert_eq!(claims["acr"], "loa-substantial", "{claims}");
    let methods = amr(&claims);
    assert!(methods.iter().any(|m| m == "hwk"), "amr {methods:?}");
    assert!(!methods.iter().any(|m| m == "pwd"), "amr {methods:?}");

    let kinds = audit_kinds(&server, USER);
    assert_eq!(count(&kinds, "factor_enrolled"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "factor_verified"), 1, "{kinds:?}");
    assert_eq!(count(&kinds, "factor_failed"), 0, "{kinds:?}");
}

/// The login page's HTML for a new authorization request (following the
/// provider's redirects to it).
async fn login_page_html(issuer: &str) -> String {
    let (mut url, _) = authorize_url(issuer, "http://127.0.0.1:9/callback", &[]);
    for _ in 0..5 {
        let response = plain_client().get(&url).send().await.unwrap();
        if let Some(location) = response.headers().get("location") {
            let base = Url::parse(&url).unwrap();
            url = base.join(location.to_str().unwrap()).unwrap().to_string();
            continue;
        }
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        return response.text().await.unwrap();
    }
    panic!("too many redirects from {url}");
}

#[tokio::test]
async fn r_mf_1_passkey_link_only_when_the_policy_allows_passwordless() {
    let (server, issuer) = localhost_server(None);
    let html = login_page_html(&issuer).await;
    assert!(
        html.contains("id=\"password\""),
        "not the login page: {html}"
    );
    assert!(
        !html.contains("login-passkey"),
        "passkey link offered: {html}"
    );
    server.stop();

    let (_server, issuer) = localhost_server(Some(PASSWORDLESS_POLICY));
    let html = login_page_html(&issuer).await;
    assert!(
        html.contains("id=\"login-passkey\""),
        "no passkey link: {html}"
    );
}
