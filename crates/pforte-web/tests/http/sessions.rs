//! Provider sessions as users and relying parties see them (R-SE-1, R-SE-3):
//! the idle timeout by moving the clock, the countdown and "stay logged in",
//! the self-service session list, and the status endpoint for relying
//! parties.

use crate::support::*;
use base64::Engine;
use chrono::TimeDelta;
use pforte_identity::AuditKind;
use pforte_testkit::{Browser, Page, TestClient, TestServer};

const PASSWORD: &str = "richtig-und-lang";
const SESSIONS: &str = "/account/sessions";
const SECURITY: &str = "/account/security";

/// Logs `browser` in as erika through the authorization endpoint of `client`.
async fn log_in(server: &TestServer, browser: &Browser, client: &TestClient) {
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("scope", "openid")
        .append_pair("state", "st-1")
        .append_pair(
            "code_challenge",
            &pforte_crypto::random::sha256_b64url("a-verifier-long-enough-0123456789-0123456789"),
        )
        .append_pair("code_challenge_method", "S256");
    let start = browser.get(url.as_str()).await.unwrap();
    assert_eq!(start.status, 303, "{}", start.body);
    let login = browser.follow(&start).await.unwrap();
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", "erika"));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    let back = browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(back.location().unwrap().starts_with(REDIRECT_URI));
}

/// A server with erika and the confidential client "portal".
async fn set_up() -> (TestServer, TestClient) {
    let server = server().await;
    server.add_account("erika", PASSWORD).await.unwrap();
    let client = server
        .add_confidential_client("portal", REDIRECT_URI)
        .await
        .unwrap();
    (server, client)
}

async fn signed_in_browser(server: &TestServer, client: &TestClient) -> Browser {
    let browser = browser();
    log_in(server, &browser, client).await;
    browser
}

async fn page(server: &TestServer, browser: &Browser, path: &str) -> Page {
    let page = browser.get(&server.url(path)).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_page_headers(&page);
    page
}

fn signed_in(page: &Page) -> bool {
    page.text_by_id("account-sign-in").is_none()
}

/// Presses "stay logged in" on `page`.
async fn stay(browser: &Browser, page: &Page) -> Page {
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.action.as_deref() == Some("/session/extend"))
        .unwrap_or_else(|| panic!("no stay-logged-in form: {}", page.body));
    browser.submit(page, &form, None).await.unwrap()
}

#[tokio::test]
async fn r_se_1_idle_session_ends_after_fifteen_minutes_without_use() {
    let (server, client) = set_up().await;
    let browser = signed_in_browser(&server, &client).await;
    server.clock.advance(TimeDelta::seconds(899));
    assert!(signed_in(&page(&server, &browser, SECURITY).await));
    // That view was a use: the window starts again from here.
    server.clock.advance(TimeDelta::seconds(899));
    assert!(signed_in(&page(&server, &browser, SECURITY).await));
    server.clock.advance(TimeDelta::seconds(900));
    let ended = page(&server, &browser, SECURITY).await;
    assert!(!signed_in(&ended), "{}", ended.body);
    assert!(ended.text_by_id("session-countdown").is_none());
}

#[tokio::test]
async fn r_se_1_pages_count_down_and_stay_logged_in_extends_the_session() {
    let (server, client) = set_up().await;
    let browser = signed_in_browser(&server, &client).await;
    server.clock.advance(TimeDelta::seconds(30));
    let security = page(&server, &browser, SECURITY).await;
    // Within the first 45 s a view is not written: 14:30 are left.
    assert_eq!(
        security.text_by_id("session-remaining").as_deref(),
        Some("14:30")
    );
    let countdown = security.text_by_id("session-countdown").unwrap();
    assert!(countdown.contains("Ihre Sitzung endet in"), "{countdown}");
    assert!(security.body.contains("/assets/session.js?v="));
    let csp = security.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");

    let english = pforte_testkit::Browser::new().unwrap().with_language("en");
    english.set_cookie("pforte_session", &browser.cookie("pforte_session").unwrap());
    let english = english.get(&server.url(SESSIONS)).await.unwrap();
    assert!(
        english
            .text_by_id("session-countdown")
            .unwrap()
            .contains("Stay logged in")
    );

    // Without another view, ten seconds are left at 890 s; "stay logged in"
    // (pressed on the page shown earlier) restarts the window.
    server.clock.advance(TimeDelta::seconds(860));
    let back = stay(&browser, &security).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.location(), Some(server.url(SECURITY)));
    let renewed = browser.follow(&back).await.unwrap();
    assert_eq!(
        renewed.text_by_id("session-remaining").as_deref(),
        Some("15:00")
    );
    server.clock.advance(TimeDelta::seconds(899));
    assert!(signed_in(&page(&server, &browser, SECURITY).await));

    let script = browser
        .get(&server.url("/assets/session.js"))
        .await
        .unwrap();
    assert_eq!(script.status, 200);
    assert!(
        script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
}

#[tokio::test]
async fn r_se_1_stay_logged_in_needs_the_form_token_and_never_revives() {
    let (server, client) = set_up().await;
    let browser = signed_in_browser(&server, &client).await;
    let forged = browser
        .post_form(
            &server.url("/session/extend"),
            &[
                ("csrf_token".into(), "guessed".into()),
                ("return_to".into(), SESSIONS.into()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(forged.status, 403, "{}", forged.body);

    let security = page(&server, &browser, SECURITY).await;
    server.clock.advance(TimeDelta::seconds(900));
    let too_late = stay(&browser, &security).await;
    assert_eq!(too_late.status, 303);
    assert!(!signed_in(&browser.follow(&too_late).await.unwrap()));

    // The form never sends the browser elsewhere.
    let other = signed_in_browser(&server, &client).await;
    let security = page(&server, &other, SECURITY).await;
    let mut form = security
        .forms()
        .into_iter()
        .find(|form| form.action.as_deref() == Some("/session/extend"))
        .unwrap();
    assert!(form.set("return_to", "https://evil.example/"));
    let back = other.submit(&security, &form, None).await.unwrap();
    assert_eq!(back.location(), Some(server.url(SECURITY)));
}

#[tokio::test]
async fn r_se_3_the_user_lists_sessions_and_ends_one_and_then_all_others() {
    let (server, client) = set_up().await;
    let laptop = signed_in_browser(&server, &client).await;
    server.clock.advance(TimeDelta::seconds(60));
    let phone = signed_in_browser(&server, &client).await;
    server.clock.advance(TimeDelta::seconds(60));
    let tablet = signed_in_browser(&server, &client).await;

    let security = page(&server, &laptop, SECURITY).await;
    assert!(security.text_by_id("account-sessions-link").is_some());
    let list = page(&server, &laptop, SESSIONS).await;
    let this = list.text_by_id("session-this-browser").unwrap();
    assert!(this.contains("Dieser Browser"), "{this}");
    let end_forms: Vec<_> = list
        .forms()
        .into_iter()
        .filter(|form| form.value("session").is_some())
        .collect();
    assert_eq!(end_forms.len(), 2, "one end button per other session");
    assert!(
        list.body.contains("Test client portal"),
        "the application is named"
    );
    assert!(
        !list
            .body
            .contains(&laptop.cookie("pforte_session").unwrap()),
        "the session id itself never appears"
    );

    // End the phone's session by its handle.
    let phone_sid = phone.cookie("pforte_session").unwrap();
    let phone_handle = pforte_identity::session::handle_of(&phone_sid);
    let form = end_forms
        .iter()
        .find(|form| form.value("session") == Some(phone_handle.as_str()))
        .unwrap();
    let after = laptop
        .submit(&list, form, Some(("action", "end")))
        .await
        .unwrap();
    assert_eq!(after.status, 200, "{}", after.body);
    assert!(after.text_by_id("sessions-notice").is_some());
    assert!(!signed_in(&page(&server, &phone, SESSIONS).await));
    assert!(signed_in(&page(&server, &tablet, SESSIONS).await));

    // Ending it again names it gone; a forged token is refused.
    let again = laptop
        .submit(&list, form, Some(("action", "end")))
        .await
        .unwrap();
    assert!(
        again.text_by_id("sessions-error").is_some(),
        "{}",
        again.body
    );
    let forged = laptop
        .post_form(
            &server.url(SESSIONS),
            &[
                ("csrf_token".into(), "guessed".into()),
                ("action".into(), "end_others".into()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(forged.status, 403);
    assert!(signed_in(&page(&server, &tablet, SESSIONS).await));

    let list = page(&server, &laptop, SESSIONS).await;
    let end_all = list
        .forms()
        .into_iter()
        .find(|form| form.buttons.iter().any(|(_, value)| value == "end_others"))
        .unwrap();
    let after = laptop
        .submit(&list, &end_all, Some(("action", "end_others")))
        .await
        .unwrap();
    assert!(
        after.text_by_id("sessions-none-other").is_some(),
        "{}",
        after.body
    );
    assert!(!signed_in(&page(&server, &tablet, SESSIONS).await));
    assert!(signed_in(&page(&server, &laptop, SESSIONS).await));

    let ended = server
        .app
        .identity
        .audit_events(Some("erika"), None)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == AuditKind::SessionEnded)
        .filter(|event| {
            event
                .detail
                .as_deref()
                .is_some_and(|detail| detail.starts_with("reason=self_service"))
        })
        .count();
    assert_eq!(ended, 2);
}

#[tokio::test]
async fn r_se_3_without_a_session_the_list_says_to_sign_in() {
    let server = server().await;
    let page = page(&server, &browser(), SESSIONS).await;
    assert!(page.text_by_id("account-sign-in").is_some());
    assert!(page.text_by_id("session-countdown").is_none());
}

fn basic(client: &TestClient) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            client.client_id,
            client.secret.as_deref().unwrap()
        ))
    )
}

async fn status(server: &TestServer, client: &TestClient, sid: &str) -> serde_json::Value {
    let answer = browser()
        .post_form_with(
            &server.url("/session/status"),
            &[("sid".into(), sid.into())],
            &[("authorization", &basic(client))],
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    serde_json::from_str(&answer.body).unwrap()
}

#[tokio::test]
async fn r_se_1_a_relying_party_learns_the_remaining_time_without_extending_it() {
    let (server, client) = set_up().await;
    let browser = signed_in_browser(&server, &client).await;
    let sid = browser.cookie("pforte_session").unwrap();
    server.clock.advance(TimeDelta::seconds(300));
    let answer = status(&server, &client, &sid).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["expires_in"], 600);
    assert_eq!(answer["idle_timeout"], 900);
    assert_eq!(answer["sid"], sid.as_str());
    let start = server.clock_now().timestamp() - 300;
    assert_eq!(answer["idle_expires_at"], start + 900);
    assert_eq!(answer["absolute_expires_at"], start + 8 * 3600);

    // Asking again later shows the same end: the question is no use.
    server.clock.advance(TimeDelta::seconds(500));
    let answer = status(&server, &client, &sid).await;
    assert_eq!(answer["expires_in"], 100);
    server.clock.advance(TimeDelta::seconds(100));
    assert_eq!(
        status(&server, &client, &sid).await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn r_se_1_session_status_is_only_for_the_sessions_own_authenticated_clients() {
    let (server, client) = set_up().await;
    let other = server
        .add_confidential_client("other", REDIRECT_URI)
        .await
        .unwrap();
    let browser = signed_in_browser(&server, &client).await;
    let sid = browser.cookie("pforte_session").unwrap();
    assert_eq!(
        status(&server, &other, &sid).await,
        serde_json::json!({"active": false}),
        "a client that was never answered in the session learns nothing"
    );
    assert_eq!(
        status(&server, &client, "unknown").await,
        serde_json::json!({"active": false})
    );

    let wrong = pforte_testkit::Browser::new()
        .unwrap()
        .post_form_with(
            &server.url("/session/status"),
            &[("sid".into(), sid.clone())],
            &[("authorization", "Basic cG9ydGFsOndyb25n")],
        )
        .await
        .unwrap();
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("invalid_client"));
    let missing = browser
        .post_form_with(
            &server.url("/session/status"),
            &[],
            &[("authorization", &basic(&client))],
        )
        .await
        .unwrap();
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert!(missing.body.contains("invalid_request"));
}
