//! Second factors in a real browser (issue 4): headless Chromium on the
//! provider's login, enrolment, code, terms and password change pages, a
//! relying party of the `openidconnect` crate at a loopback callback. The
//! browser types what a person types: the password, the code an
//! authenticator app computes from the manual key on the page (RFC 6238), or
//! the SMS-TAN from the dev outbox.

use crate::browser::{Chromium, callback_server, chromium, wait_for_element};
use crate::support::PASSWORD;
use crate::support::factors::{
    acr, add_user, amr, auth_time, native_rp, next_time_step, outbox_code, prepare, totp_now,
};
use crate::support::rp::{Request, Rp, Started};
use crate::support::server::Server;
use chromiumoxide::page::Page;
use openidconnect::core::CoreIdTokenClaims;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

const SUBSTANTIAL: &str = "loa-substantial";

type Callbacks = UnboundedReceiver<BTreeMap<String, String>>;

/// Evaluates a script; `None` while the page is between two documents.
pub(crate) async fn try_eval<T: serde::de::DeserializeOwned>(
    page: &Page,
    script: &str,
) -> Option<T> {
    page.evaluate(script).await.ok()?.into_value().ok()
}

/// Marks the current document, so that [`next_document`] can tell when the
/// browser has loaded another one.
pub(crate) async fn mark_document(page: &Page) {
    let _: Option<bool> = try_eval(page, "(window.__seen = true)").await;
}

/// Waits until the browser shows a new, fully loaded document (polling the
/// browser, not waiting for time to pass at the provider).
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
            "no new page after the click; at {:?}",
            page.url().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks `selector`; retried while the browser
/// still resolves nodes against the previous document.
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

/// Clicks a control that sends a form and waits for the next page.
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

/// What the current document is, by the elements the provider's templates
/// give each page.
pub(crate) async fn screen(page: &Page) -> &'static str {
    for (selector, name) in [
        ("#recovery-codes", "recovery-codes"),
        ("#enrol-manual-key", "enrol-totp"),
        ("#enrol-destination", "enrol-code"),
        ("form.method-choice", "enrol"),
        ("#terms-version", "terms"),
        ("#new_password", "password-change"),
        ("form[action='/login/factor'] #code", "factor"),
        ("#username", "login"),
    ] {
        if present(page, selector).await {
            return name;
        }
    }
    "elsewhere"
}

/// Types the credentials into the login form and sends it.
pub(crate) async fn log_in(page: &Page, username: &str) {
    assert_eq!(screen(page).await, "login");
    let prefilled: String = try_eval(page, "document.getElementById('username').value")
        .await
        .unwrap_or_default();
    if prefilled.is_empty() {
        type_into(page, "#username", username).await;
    }
    type_into(page, "#password", PASSWORD).await;
    click(page, "button[value=login]").await;
}

/// Chooses the authenticator app on the enrolment page, reads the manual key
/// and confirms with the app's code; returns the manual key.
pub(crate) async fn enrol_totp(page: &Page, server: &Server) -> String {
    click(page, "#enrol-totp button[value=start]").await;
    assert_eq!(screen(page).await, "enrol-totp");
    assert!(present(page, "#enrol-qr svg").await, "no QR code drawn");
    let manual_key = text_of(page, "#enrol-manual-key").await;
    type_into(page, "#code", &totp_now(server, &manual_key)).await;
    click(page, "button[value=confirm]").await;
    manual_key
}

/// The recovery codes page: shows the codes once; the person continues.
pub(crate) async fn recovery_codes_then_continue(page: &Page) {
    assert_eq!(screen(page).await, "recovery-codes");
    let codes = text_of(page, "#recovery-codes").await;
    assert!(
        codes.lines().count() >= 5,
        "too few recovery codes: {codes}"
    );
    mark_document(page).await;
    press(page, "form[action='/login/continue'] button").await;
}

/// The code page of an authenticator app: the next time step's code.
pub(crate) async fn prove_totp(page: &Page, server: &Server, manual_key: &str) {
    assert_eq!(screen(page).await, "factor");
    let method: String = try_eval(
        page,
        "document.querySelector(\"form[action='/login/factor'] input[name=method]\").value",
    )
    .await
    .unwrap_or_default();
    assert_eq!(method, "totp");
    next_time_step(server);
    type_into(page, "#code", &totp_now(server, manual_key)).await;
    mark_document(page).await;
    press(page, "button[value=verify]").await;
}

async fn open(chromium: &Chromium, started: &Started) -> Page {
    let page = chromium
        .browser
        .new_page(started.url.as_str())
        .await
        .unwrap();
    page.wait_for_navigation().await.unwrap();
    page
}

async fn at_callback(callbacks: &mut Callbacks) -> BTreeMap<String, String> {
    tokio::time::timeout(Duration::from_secs(30), callbacks.recv())
        .await
        .expect("the browser never reached the relying party's callback")
        .unwrap()
}

/// The relying party's part after the callback: state and iss, the code
/// exchange with the PKCE verifier, ID token verification.
async fn redeem(
    rp: &Rp,
    started: Started,
    redirect: &str,
    query: &BTreeMap<String, String>,
) -> CoreIdTokenClaims {
    assert_eq!(
        query.get("state"),
        Some(started.state.secret()),
        "{query:?}"
    );
    assert_eq!(query.get("iss"), Some(&rp.issuer));
    let code = query
        .get("code")
        .unwrap_or_else(|| panic!("no code at the callback: {query:?}"));
    let tokens = rp
        .redeem(code, started.verifier, Some(redirect))
        .await
        .unwrap_or_else(|error| panic!("code exchange failed: {error}"));
    rp.verify(&tokens, &started.nonce)
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// A started provider, a browser, the relying party and its callback.
struct Scene {
    server: Server,
    chromium: Chromium,
    rp: Rp,
    redirect: String,
    callbacks: Callbacks,
}

async fn scene(policy: Option<&str>, users: &[(&str, &[&str])]) -> Option<Scene> {
    let executable = chromium()?;
    let server = prepare(policy)?;
    for (username, extra) in users {
        let password = if extra.contains(&"--initial") {
            INITIAL
        } else {
            PASSWORD
        };
        add_user(&server, username, password, extra);
    }
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
    fn start(&self, extra: &[(&'static str, &str)]) -> Started {
        let mut request = Request::scopes(&["openid"])
            .redirect_uri(&self.redirect)
            .param("ui_locales", "de");
        for (name, value) in extra {
            request = request.param(name, *value);
        }
        self.rp.start(&request)
    }

    async fn finish(&mut self, started: Started) -> CoreIdTokenClaims {
        let query = at_callback(&mut self.callbacks).await;
        redeem(&self.rp, started, &self.redirect, &query).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_mf_1_totp_enrolment_and_login_in_chromium() {
    let Some(mut scene) = scene(None, &[("tilda", &[])]).await else {
        return;
    };
    let started = scene.start(&[("acr_values", SUBSTANTIAL)]);
    let page = open(&scene.chromium, &started).await;
    log_in(&page, "tilda").await;
    // R-AC-4: no factor for the level yet, so the login leads to enrolment.
    assert_eq!(screen(&page).await, "enrol");
    for method in ["totp", "sms_tan", "email_code"] {
        assert!(
            present(&page, &format!("#enrol-{method}")).await,
            "{method} is not offered"
        );
    }
    let manual_key = enrol_totp(&page, &scene.server).await;
    recovery_codes_then_continue(&page).await;
    let claims = scene.finish(started).await;
    assert_eq!(acr(&claims), SUBSTANTIAL);
    assert_eq!(amr(&claims), strings(&["otp", "pwd", "mfa"]));
    let _ = page.close().await;

    // A new login: the password, then only the code of the app.
    let started = scene.start(&[("acr_values", SUBSTANTIAL), ("prompt", "login")]);
    let page = open(&scene.chromium, &started).await;
    log_in(&page, "tilda").await;
    prove_totp(&page, &scene.server, &manual_key).await;
    let again = scene.finish(started).await;
    assert_eq!(acr(&again), SUBSTANTIAL);
    assert_eq!(amr(&again), strings(&["otp", "pwd", "mfa"]));
    assert!(auth_time(&again) > auth_time(&claims));
    scene.chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_mf_4_sms_tan_via_the_outbox_in_chromium() {
    let Some(mut scene) = scene(None, &[("simon", &[])]).await else {
        return;
    };
    let started = scene.start(&[("acr_values", SUBSTANTIAL)]);
    let page = open(&scene.chromium, &started).await;
    log_in(&page, "simon").await;
    assert_eq!(screen(&page).await, "enrol");
    type_into(&page, "#destination-sms", "0171 1234578").await;
    click(&page, "#enrol-sms_tan button[value=start]").await;
    assert_eq!(screen(&page).await, "enrol-code");
    assert_eq!(text_of(&page, "#enrol-destination").await, "+49 ••• ••• 78");
    let (template, code) = outbox_code(&scene.server, "+491711234578");
    assert_eq!(template, "enrol_code");
    assert_eq!(code.len(), 6, "{code}");
    type_into(&page, "#code", &code).await;
    click(&page, "button[value=confirm]").await;
    recovery_codes_then_continue(&page).await;
    let claims = scene.finish(started).await;
    assert_eq!(acr(&claims), SUBSTANTIAL);
    assert_eq!(amr(&claims), strings(&["pwd", "sms", "mfa"]));
    let _ = page.close().await;

    // The next login, a while later, sends a fresh TAN to the verified number.
    scene.server.advance_clock(120);
    let started = scene.start(&[("acr_values", SUBSTANTIAL), ("prompt", "login")]);
    let page = open(&scene.chromium, &started).await;
    log_in(&page, "simon").await;
    assert_eq!(screen(&page).await, "factor");
    assert_eq!(
        text_of(&page, "#factor-destination").await,
        "+49 ••• ••• 78"
    );
    let (template, login_code) = outbox_code(&scene.server, "+491711234578");
    assert_eq!(template, "login_code");
    assert_ne!(login_code, code, "the enrolment code came again");
    type_into(&page, "#code", &login_code).await;
    mark_document(&page).await;
    press(&page, "button[value=verify]").await;
    let again = scene.finish(started).await;
    assert_eq!(acr(&again), SUBSTANTIAL);
    assert_eq!(amr(&again), strings(&["pwd", "sms", "mfa"]));
    scene.chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_ac_3_step_up_asks_only_the_code() {
    let Some(mut scene) = scene(None, &[("stefan", &[])]).await else {
        return;
    };
    // The factor is enrolled in a first login at loa-substantial.
    let started = scene.start(&[("acr_values", SUBSTANTIAL)]);
    let page = open(&scene.chromium, &started).await;
    log_in(&page, "stefan").await;
    let manual_key = enrol_totp(&page, &scene.server).await;
    recovery_codes_then_continue(&page).await;
    scene.finish(started).await;
    let _ = page.close().await;

    // A session at loa-low: the password alone.
    let started = scene.start(&[("prompt", "login")]);
    let page = open(&scene.chromium, &started).await;
    log_in(&page, "stefan").await;
    let low = scene.finish(started).await;
    assert_eq!(acr(&low), "loa-low");
    assert_eq!(amr(&low), strings(&["pwd"]));
    let _ = page.close().await;

    // The same browser asks for loa-substantial: only the code.
    scene.server.advance_clock(120);
    let started = scene.start(&[("acr_values", SUBSTANTIAL)]);
    let page = open(&scene.chromium, &started).await;
    assert_eq!(screen(&page).await, "factor");
    assert!(
        !present(&page, "input[type=password]").await,
        "the step-up asks for the password"
    );
    assert!(present(&page, "#factor-step-up").await, "no step-up notice");
    prove_totp(&page, &scene.server, &manual_key).await;
    let high = scene.finish(started).await;
    assert_eq!(acr(&high), SUBSTANTIAL);
    assert_eq!(amr(&high), strings(&["otp", "pwd", "mfa"]));
    assert!(
        auth_time(&high) > auth_time(&low),
        "auth_time {} is not later than {}",
        auth_time(&high),
        auth_time(&low)
    );
    scene.chromium.close().await;
}

const INITIAL: &str = "Brief-vom-Amt-2026";
const NEW_PASSWORD: &str = "Eigenes-Kennwort-91";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_rg_7_first_login_with_initial_password_runs_required_actions_in_order() {
    let Some(mut scene) = scene(
        Some("health-insurer-mandatory-2fa"),
        // A verified e-mail address: the preset's last action, verify_email,
        // has nothing to do.
        &[(
            "ida",
            &[
                "--initial",
                "--email",
                "ida@example.test",
                "--email-verified",
            ],
        )],
    )
    .await
    else {
        return;
    };
    // No acr_values: the preset's minimum and mandatory factor decide.
    let started = scene.start(&[]);
    let page = open(&scene.chromium, &started).await;
    let mut seen = vec![screen(&page).await];
    assert_eq!(seen[0], "login");
    type_into(&page, "#username", "ida").await;
    type_into(&page, "#password", INITIAL).await;
    click(&page, "button[value=login]").await;
    let mut manual_key = None;
    for _ in 0..10 {
        let now = screen(&page).await;
        seen.push(now);
        match now {
            "password-change" => {
                type_into(&page, "#new_password", NEW_PASSWORD).await;
                type_into(&page, "#new_password_confirm", NEW_PASSWORD).await;
                click(&page, "button[type=submit]").await;
            }
            "terms" => {
                let version = text_of(&page, "#terms-version").await;
                assert_eq!(version, "2026-01");
                click(&page, "button[value=accept]").await;
            }
            "enrol" => {
                manual_key = Some(enrol_totp(&page, &scene.server).await);
                seen.push("enrol-totp");
            }
            "recovery-codes" => {
                recovery_codes_then_continue(&page).await;
                next_document(&page).await;
            }
            // The relying party's callback page.
            "elsewhere" => {
                seen.pop();
                break;
            }
            other => panic!("unexpected page {other} after {seen:?}"),
        }
    }
    assert_eq!(
        seen,
        [
            "login",
            "password-change",
            "terms",
            "enrol",
            "enrol-totp",
            "recovery-codes"
        ],
        "the required actions ran in another order"
    );
    let claims = scene.finish(started).await;
    assert_eq!(acr(&claims), SUBSTANTIAL);
    assert_eq!(amr(&claims), strings(&["otp", "pwd", "mfa"]));
    assert!(manual_key.is_some());
    scene.chromium.close().await;
}
