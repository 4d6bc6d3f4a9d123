//! A real browser on the login page: headless Chromium driven over CDP
//! (chromiumoxide, no chromedriver). It checks what a person with a screen
//! reader or a password manager relies on (`lang`, labels, autocomplete),
//! types the credentials, submits, and arrives at the relying party's
//! loopback callback with a code, which the RP then redeems.

use crate::support::rp::{Request, Rp};
use crate::support::{PASSWORD, clients, shared, users};
use axum::Form;
use axum::extract::{Query, State};
use axum::routing::get;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::page::Page;
use futures::StreamExt;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// Debian's chromium, or `CHROME`. Missing: skip locally with a reason, fail
/// under CI (where `.ci/run` installs it).
pub(crate) fn chromium() -> Option<PathBuf> {
    let candidates = std::env::var_os("CHROME")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from));
    for candidate in candidates {
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("chromium is required under CI=true: apt-get install -y chromium");
    }
    crate::support::server::report_skip(
        "browser test: no chromium found (apt-get install -y chromium, or set CHROME)",
    );
    None
}

/// A relying party's callback on a loopback port: every query it receives is
/// sent to the test.
pub(crate) async fn callback_server() -> (u16, mpsc::UnboundedReceiver<BTreeMap<String, String>>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    type Sender = mpsc::UnboundedSender<BTreeMap<String, String>>;
    let app = axum::Router::new()
        .route(
            "/callback",
            get(
                |State(sender): State<Sender>, Query(query): Query<BTreeMap<String, String>>| async move {
                    let _ = sender.send(query);
                    axum::response::Html("<!doctype html><title>RP</title><p>received</p>")
                },
            )
            .post(
                |State(sender): State<Sender>, Form(form): Form<BTreeMap<String, String>>| async move {
                    let _ = sender.send(form);
                    axum::response::Html("<!doctype html><title>RP</title><p>posted</p>")
                },
            ),
        )
        .with_state(sender);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (port, receiver)
}

pub(crate) struct Chromium {
    pub(crate) browser: Browser,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub(crate) async fn launch(executable: PathBuf) -> Chromium {
        let profile = tempfile::tempdir().unwrap();
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .no_sandbox()
            .user_data_dir(profile.path())
            .arg("disable-gpu")
            .arg("disable-background-networking")
            .arg("no-first-run")
            .launch_timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let (browser, mut events) = Browser::launch(config).await.unwrap();
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        Chromium {
            browser,
            handler,
            _profile: profile,
        }
    }

    pub(crate) async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

async fn eval<T: serde::de::DeserializeOwned>(page: &Page, script: &str) -> T {
    page.evaluate(script)
        .await
        .unwrap_or_else(|error| panic!("{script}: {error}"))
        .into_value()
        .unwrap()
}

/// Checks the accessibility contract of the login form in the live DOM.
async fn check_login_form(page: &Page, lang: &str) {
    let document_lang: String = eval(page, "document.documentElement.lang").await;
    assert_eq!(document_lang, lang);
    for (id, autocomplete) in [("username", "username"), ("password", "current-password")] {
        let labelled: bool = eval(
            page,
            &format!(
                "(() => {{ const e = document.getElementById('{id}'); \
                 return !!e && e.labels.length > 0 && e.labels[0].textContent.trim().length > 0; }})()"
            ),
        )
        .await;
        assert!(labelled, "#{id} has no visible <label>");
        let actual: String = eval(
            page,
            &format!("document.getElementById('{id}').getAttribute('autocomplete') || ''"),
        )
        .await;
        assert_eq!(actual, autocomplete, "autocomplete of #{id}");
    }
    let password_type: String = eval(page, "document.getElementById('password').type").await;
    assert_eq!(password_type, "password");
}

pub(crate) async fn type_and_submit(page: &Page, username: &str, password: &str) {
    page.find_element("#username")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(username)
        .await
        .unwrap();
    page.find_element("#password")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(password)
        .await
        .unwrap();
    page.find_element("button[type=submit]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_login_page_is_accessible_and_reaches_the_callback_with_a_code() {
    let Some(executable) = chromium() else {
        return;
    };
    let fixture = shared();
    let (port, mut callbacks) = callback_server().await;
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let started = rp.start(
        &Request::scopes(&["openid", "profile"])
            .redirect_uri(&redirect)
            .param("ui_locales", "de"),
    );
    let chromium = Chromium::launch(executable).await;
    let page = chromium
        .browser
        .new_page(started.url.as_str())
        .await
        .unwrap();
    page.wait_for_navigation().await.unwrap();
    let at = page.url().await.unwrap().unwrap_or_default();
    assert!(
        at.starts_with(&fixture.server.issuer),
        "not at the provider: {at}"
    );
    check_login_form(&page, "de").await;
    type_and_submit(&page, users::CAROL, PASSWORD).await;
    let query = tokio::time::timeout(Duration::from_secs(30), callbacks.recv())
        .await
        .expect("the browser never reached the callback")
        .unwrap();
    chromium.close().await;
    assert_eq!(query.get("state"), Some(started.state.secret()));
    assert_eq!(query.get("iss"), Some(&fixture.server.issuer));
    let code = query.get("code").expect("code at the callback");
    let tokens = rp
        .redeem(code, started.verifier, Some(&redirect))
        .await
        .unwrap();
    let claims = rp.verify(&tokens, &started.nonce);
    let userinfo = rp
        .userinfo(openidconnect::OAuth2TokenResponse::access_token(&tokens))
        .await
        .unwrap();
    assert_eq!(userinfo.subject(), claims.subject());
}

/// Waits until the page (after a form submission) shows `selector`: the
/// answer page arrives asynchronously after the click.
pub(crate) async fn wait_for_element(
    page: &Page,
    selector: &str,
) -> chromiumoxide::element::Element {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(element) = page.find_element(selector).await {
            return element;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{selector} never appeared; page: {:?}",
            page.url().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn alert_after_failed_login(chromium: &Chromium, url: &str, username: &str) -> String {
    let page = chromium.browser.new_page(url).await.unwrap();
    page.wait_for_navigation().await.unwrap();
    type_and_submit(&page, username, "definitely-wrong-password").await;
    let alert = wait_for_element(&page, "[role=alert]").await;
    let text = alert.inner_text().await.unwrap().unwrap_or_default();
    // The form is offered again.
    assert!(page.find_element("#password").await.is_ok());
    let _ = page.close().await;
    text.trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_wrong_password_and_unknown_user_show_the_same_message() {
    let Some(executable) = chromium() else {
        return;
    };
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let chromium = Chromium::launch(executable).await;
    let first_url = rp
        .start(&Request::scopes(&["openid"]).param("ui_locales", "en"))
        .url;
    let wrong_password =
        alert_after_failed_login(&chromium, first_url.as_str(), users::CAROL).await;
    let second_url = rp
        .start(&Request::scopes(&["openid"]).param("ui_locales", "en"))
        .url;
    let unknown_user =
        alert_after_failed_login(&chromium, second_url.as_str(), "no-such-user").await;
    chromium.close().await;
    assert!(!wrong_password.is_empty());
    assert_eq!(wrong_password, unknown_user);
}

/// Form Post OP plan in a real browser: the provider's form_post page submits
/// itself by script (allowed by its CSP nonce and form-action) and the
/// relying party receives code, state and iss by POST.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_form_post_page_posts_the_response_to_the_callback() {
    let Some(executable) = chromium() else {
        return;
    };
    let fixture = shared();
    let (port, mut callbacks) = callback_server().await;
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let started = rp.start(
        &Request::scopes(&["openid"])
            .redirect_uri(&redirect)
            .param("response_mode", "form_post")
            .param("ui_locales", "en"),
    );
    let chromium = Chromium::launch(executable).await;
    let page = chromium
        .browser
        .new_page(started.url.as_str())
        .await
        .unwrap();
    page.wait_for_navigation().await.unwrap();
    check_login_form(&page, "en").await;
    type_and_submit(&page, users::CAROL, PASSWORD).await;
    let posted = tokio::time::timeout(Duration::from_secs(30), callbacks.recv())
        .await
        .expect("the form_post page never posted to the callback")
        .unwrap();
    chromium.close().await;
    assert_eq!(posted.get("state"), Some(started.state.secret()));
    assert_eq!(posted.get("iss"), Some(&fixture.server.issuer));
    let code = posted.get("code").expect("code in the posted form");
    let tokens = rp
        .redeem(code, started.verifier, Some(&redirect))
        .await
        .unwrap();
    rp.verify(&tokens, &started.nonce);
}
