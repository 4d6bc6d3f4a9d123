//! RP-Initiated Logout 1.0 plan (`oidcc-rp-initiated-logout-*`): redirect
//! back only for a valid `id_token_hint` and a registered
//! `post_logout_redirect_uri`; `state` returned; bad or foreign hints never
//! redirect; the session really ends.

use crate::support::fixture::WEB_POST_LOGOUT;
use crate::support::forms::element_text;
use crate::support::http::Page;
use crate::support::jwt::{peek, unsigned_copy};
use crate::support::rp::{Completed, Request, Rp, walk};
use crate::support::{UserAgent, clients, shared, users};
use reqwest::StatusCode;
use url::Url;

/// Where a logout ended.
enum LogoutEnd {
    /// Redirected to the relying party.
    Redirect(Url),
    /// Stayed at the provider (logged-out page, error page…).
    Page(Page),
}

fn is_confirmation(page: &Page) -> bool {
    page.status == StatusCode::OK
        && page
            .forms()
            .iter()
            .any(|form| form.has_button("confirm", "yes"))
}

/// Opens the logout URL, confirms when asked, and follows redirects within
/// the provider. Returns where it ended and whether a confirmation was asked.
async fn logout(agent: &UserAgent, url: &str) -> (LogoutEnd, bool) {
    let mut page = agent.get(url).await;
    let mut confirmed = false;
    for _ in 0..10 {
        if page.status.is_redirection() {
            let target = page.location().unwrap();
            if target.origin() != page.url.origin() {
                return (LogoutEnd::Redirect(target), confirmed);
            }
            page = agent.get(target.as_str()).await;
            continue;
        }
        if is_confirmation(&page) && !confirmed {
            confirmed = true;
            let form = page
                .forms()
                .into_iter()
                .find(|form| form.has_button("confirm", "yes"))
                .unwrap();
            page = agent.submit(&page, &form, &[("confirm", "yes")]).await;
            continue;
        }
        return (LogoutEnd::Page(page), confirmed);
    }
    panic!("logout did not settle");
}

fn logout_url(params: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&shared().server.url("/logout")).unwrap();
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    url.to_string()
}

async fn logged_in(user: &str) -> (Rp, UserAgent, Completed) {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, user, &Request::scopes(&["openid"]))
        .await;
    (rp, agent, done)
}

/// prompt=none after logout must fail: the provider session is gone.
async fn assert_session_ended(rp: &Rp, agent: &UserAgent) {
    let started = rp.start(&Request::scopes(&["openid"]).param("prompt", "none"));
    let response = walk(agent, started.url.as_str(), None).await.done();
    assert_eq!(
        response.get("error"),
        Some("login_required"),
        "{:?}",
        response.params
    );
}

fn assert_not_redirected(end: &LogoutEnd) {
    if let LogoutEnd::Redirect(target) = end {
        panic!("logout redirected to {target}");
    }
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_discovery_advertises_end_session_endpoint() {
    let fixture = shared();
    let metadata =
        crate::support::raw::get(fixture, "/.well-known/openid-configuration", None).await;
    assert_eq!(
        metadata.json["end_session_endpoint"],
        fixture.server.url("/logout")
    );
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_redirects_with_state_and_ends_the_session() {
    let (rp, agent, done) = logged_in(users::LOGOUT[0]).await;
    let id_token = done.id_token();
    let url = logout_url(&[
        ("id_token_hint", &id_token),
        ("post_logout_redirect_uri", WEB_POST_LOGOUT),
        ("state", "logout-state-123"),
    ]);
    let (end, _) = logout(&agent, &url).await;
    let LogoutEnd::Redirect(target) = end else {
        panic!("no redirect to the registered post_logout_redirect_uri");
    };
    let mut base = target.clone();
    base.set_query(None);
    assert_eq!(base.as_str(), WEB_POST_LOGOUT);
    let state = target
        .query_pairs()
        .find(|(key, _)| key == "state")
        .map(|(_, value)| value.into_owned());
    assert_eq!(state.as_deref(), Some("logout-state-123"));
    assert_session_ended(&rp, &agent).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state_redirects_without_state() {
    let (rp, agent, done) = logged_in(users::LOGOUT[1]).await;
    let url = logout_url(&[
        ("id_token_hint", &done.id_token()),
        ("post_logout_redirect_uri", WEB_POST_LOGOUT),
    ]);
    let (end, _) = logout(&agent, &url).await;
    let LogoutEnd::Redirect(target) = end else {
        panic!("no redirect");
    };
    assert!(target.query_pairs().all(|(key, _)| key != "state"));
    assert_session_ended(&rp, &agent).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri_does_not_redirect() {
    let (_, agent, done) = logged_in(users::LOGOUT[2]).await;
    let url = logout_url(&[
        ("id_token_hint", &done.id_token()),
        (
            "post_logout_redirect_uri",
            "https://attacker.example.test/bye",
        ),
        ("state", "s"),
    ]);
    let (end, _) = logout(&agent, &url).await;
    assert_not_redirected(&end);
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri_does_not_redirect() {
    let (_, agent, done) = logged_in(users::LOGOUT[3]).await;
    let uri = format!("{WEB_POST_LOGOUT}?extra=1");
    let url = logout_url(&[
        ("id_token_hint", &done.id_token()),
        ("post_logout_redirect_uri", &uri),
    ]);
    let (end, _) = logout(&agent, &url).await;
    assert_not_redirected(&end);
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_id_token_hint_does_not_redirect() {
    let (_, agent, done) = logged_in(users::LOGOUT[4]).await;
    let forged = unsigned_copy(&done.id_token());
    let url = logout_url(&[
        ("id_token_hint", &forged),
        ("post_logout_redirect_uri", WEB_POST_LOGOUT),
    ]);
    let (end, _) = logout(&agent, &url).await;
    assert_not_redirected(&end);
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_id_token_hint_signed_by_someone_else_does_not_redirect() {
    let fixture = shared();
    let (_, agent, done) = logged_in(users::LOGOUT[5]).await;
    let (_, claims) = peek(&done.id_token());
    let forged = fixture.client_key.sign(claims);
    let url = logout_url(&[
        ("id_token_hint", &forged),
        ("post_logout_redirect_uri", WEB_POST_LOGOUT),
    ]);
    let (end, _) = logout(&agent, &url).await;
    assert_not_redirected(&end);
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint_asks_for_confirmation_and_does_not_redirect() {
    let (rp, agent, _) = logged_in(users::LOGOUT[6]).await;
    let url = logout_url(&[
        ("post_logout_redirect_uri", WEB_POST_LOGOUT),
        ("state", "s"),
    ]);
    let first = agent.get(&url).await;
    assert!(
        is_confirmation(&first),
        "expected a confirmation page: {}",
        first.describe()
    );
    let (end, confirmed) = logout(&agent, &url).await;
    assert!(confirmed);
    assert_not_redirected(&end);
    assert_session_ended(&rp, &agent).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params_shows_logged_out_page() {
    let (rp, agent, _) = logged_in(users::LOGOUT[7]).await;
    let (end, _) = logout(&agent, &logout_url(&[])).await;
    let LogoutEnd::Page(page) = end else {
        panic!("logout without parameters redirected");
    };
    assert_eq!(page.status, StatusCode::OK, "{}", page.describe());
    assert!(
        element_text(&page.body, "id", "logged-out").is_some(),
        "no element with id=logged-out: {}",
        page.describe()
    );
    assert_session_ended(&rp, &agent).await;
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_by_post_redirects_with_state() {
    let fixture = shared();
    let (rp, agent, done) = logged_in(users::LOGOUT[8]).await;
    let fields = vec![
        ("id_token_hint".to_owned(), done.id_token()),
        (
            "post_logout_redirect_uri".to_owned(),
            WEB_POST_LOGOUT.to_owned(),
        ),
        ("state".to_owned(), "posted".to_owned()),
    ];
    let mut page = agent
        .post_form(&fixture.server.url("/logout"), &fields)
        .await;
    for _ in 0..5 {
        if is_confirmation(&page) {
            let form = page
                .forms()
                .into_iter()
                .find(|form| form.has_button("confirm", "yes"))
                .unwrap();
            page = agent.submit(&page, &form, &[("confirm", "yes")]).await;
        } else {
            break;
        }
    }
    let target = page
        .location()
        .unwrap_or_else(|| panic!("no redirect: {}", page.describe()));
    assert!(target.as_str().starts_with(WEB_POST_LOGOUT), "{target}");
    assert!(
        target
            .query_pairs()
            .any(|(key, value)| key == "state" && value == "posted")
    );
    assert_session_ended(&rp, &agent).await;
}

/// The URI is registered, but for another client than the hint's audience.
#[tokio::test]
async fn rp_initiated_logout_uri_registered_for_another_client_does_not_redirect() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB_POST).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(&agent, users::LOGOUT[9], &Request::scopes(&["openid"]))
        .await;
    let url = logout_url(&[
        ("id_token_hint", &done.id_token()),
        ("post_logout_redirect_uri", WEB_POST_LOGOUT),
    ]);
    let (end, _) = logout(&agent, &url).await;
    assert_not_redirected(&end);
}
