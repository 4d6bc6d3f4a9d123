//! Cases that need time to pass at the provider: expired codes, PAR
//! request_uris, access tokens, sessions and `max_age=1`. The provider runs
//! under libfaketime and the test moves its wall clock forward instead of
//! sleeping. These tests share one provider and take turns (a lock), since
//! each moves the one clock.

use crate::support::fixture::{PASSWORD, WEB_POST_LOGOUT, WEB_REDIRECT, secret_for};
use crate::support::http::{UserAgent, plain_client};
use crate::support::raw::basic;
use crate::support::rp::{Walk, walk};
use crate::support::server::Server;
use reqwest::StatusCode;
use std::sync::LazyLock;
use tokio::sync::{Mutex, MutexGuard};
use url::Url;

const CLIENT: &str = "clocked";
const USER: &str = "tim";

static SERVER: LazyLock<Option<Server>> = LazyLock::new(|| {
    let server = Server::prepare_with_movable_clock()?;
    let secret = secret_for(CLIENT);
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        CLIENT,
        "--secret",
        &secret,
        "--redirect-uri",
        WEB_REDIRECT,
        "--post-logout-redirect-uri",
        WEB_POST_LOGOUT,
    ]);
    server.cli_ok(&["user", "add", "--username", USER, "--password", PASSWORD]);
    server.start();
    Some(server)
});

static TURN: Mutex<()> = Mutex::const_new(());

/// The clocked provider, exclusively for this test; `None` = skipped.
async fn clocked() -> Option<(&'static Server, MutexGuard<'static, ()>)> {
    let guard = TURN.lock().await;
    let server = SERVER.as_ref()?;
    Some((server, guard))
}

fn authorize_url(server: &Server, extra: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", WEB_REDIRECT)
        .append_pair("state", "clock-state")
        .extend_pairs(extra);
    url.to_string()
}

async fn token(server: &Server, form: &[(&str, &str)]) -> (StatusCode, serde_json::Value) {
    let response = plain_client()
        .post(server.url("/token"))
        .header("authorization", basic(CLIENT, &secret_for(CLIENT)))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

async fn code(server: &Server, agent: &UserAgent, extra: &[(&str, &str)]) -> String {
    let response = walk(agent, &authorize_url(server, extra), Some((USER, PASSWORD)))
        .await
        .done();
    response.code().to_owned()
}

async fn redeem(server: &Server, code: &str) -> (StatusCode, serde_json::Value) {
    token(
        server,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", WEB_REDIRECT),
        ],
    )
    .await
}

/// `ensure-token-endpoint-fails-with-expired-auth-code`: codes live at most
/// 60 s (RFC 9700 4.2).
#[tokio::test]
async fn rfc6749_code_older_than_60_seconds_is_invalid_grant() {
    let Some((server, _turn)) = clocked().await else {
        return;
    };
    let agent = UserAgent::new(&server.issuer);
    let code = code(server, &agent, &[]).await;
    server.advance_clock(61);
    let (status, body) = redeem(server, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn rfc6749_fresh_code_on_the_moved_clock_still_works() {
    let Some((server, _turn)) = clocked().await else {
        return;
    };
    server.advance_clock(10);
    let agent = UserAgent::new(&server.issuer);
    let code = code(server, &agent, &[]).await;
    let (status, body) = redeem(server, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// `par-attempt-to-use-expired-request_uri` (RFC 9126 2.2).
#[tokio::test]
async fn rfc9126_expired_request_uri_is_rejected() {
    let Some((server, _turn)) = clocked().await else {
        return;
    };
    let pushed = plain_client()
        .post(server.url("/par"))
        .header("authorization", basic(CLIENT, &secret_for(CLIENT)))
        .form(&[
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", WEB_REDIRECT),
            ("state", "par-state"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), StatusCode::CREATED);
    let body: serde_json::Value = pushed.json().await.unwrap();
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();
    let lifetime = body["expires_in"].as_u64().unwrap();
    server.advance_clock(lifetime + 1);
    let mut url = Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT)
        .append_pair("request_uri", &request_uri);
    let agent = UserAgent::new(&server.issuer);
    match walk(&agent, url.as_str(), Some((USER, PASSWORD))).await {
        Walk::Done(response) => {
            assert!(
                response.get("code").is_none(),
                "expired request_uri still works"
            );
            assert!(response.get("error").is_some());
        }
        Walk::Stuck { page } => {
            assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.describe())
        }
    }
}

/// `oidcc-max-age-1`, for real: one second after the login, max_age=1
/// requires a new login.
#[tokio::test]
async fn oidcc_max_age_1_after_two_seconds_forces_a_new_login() {
    let Some((server, _turn)) = clocked().await else {
        return;
    };
    let agent = UserAgent::new(&server.issuer);
    code(server, &agent, &[]).await;
    server.advance_clock(2);
    let response = walk(
        &agent,
        &authorize_url(server, &[("max_age", "1")]),
        Some((USER, PASSWORD)),
    )
    .await
    .done();
    assert_eq!(response.logins, 1, "max_age=1 did not ask for a new login");
    let (status, body) = redeem(server, response.code()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, claims) = crate::support::jwt::peek(body["id_token"].as_str().unwrap());
    assert!(
        claims["auth_time"].as_i64().is_some(),
        "auth_time with max_age"
    );
}

#[tokio::test]
async fn access_token_stops_working_after_it_expires() {
    let Some((server, _turn)) = clocked().await else {
        return;
    };
    let agent = UserAgent::new(&server.issuer);
    let code = code(server, &agent, &[]).await;
    let (status, body) = redeem(server, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access_token = body["access_token"].as_str().unwrap().to_owned();
    let lifetime = body["expires_in"].as_u64().unwrap();
    server.advance_clock(lifetime + 1);
    let userinfo = plain_client()
        .get(server.url("/userinfo"))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
    // The refresh token outlives it and gets a new one.
    let refresh_token = body["refresh_token"].as_str().unwrap();
    let (status, refreshed) = token(
        server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
}

/// The provider session has an absolute lifetime (`session.ttl_secs`, 8 h by
/// default): after it, prompt=none answers login_required.
#[tokio::test]
async fn provider_session_ends_after_its_lifetime() {
    let Some((server, _turn)) = clocked().await else {
        return;
    };
    let agent = UserAgent::new(&server.issuer);
    code(server, &agent, &[]).await;
    let silent = walk(&agent, &authorize_url(server, &[("prompt", "none")]), None)
        .await
        .done();
    assert!(
        silent.get("code").is_some(),
        "session not reused: {:?}",
        silent.params
    );
    server.advance_clock(9 * 3600);
    let expired = walk(&agent, &authorize_url(server, &[("prompt", "none")]), None)
        .await
        .done();
    assert_eq!(
        expired.get("error"),
        Some("login_required"),
        "{:?}",
        expired.params
    );
}

/// A signed-in user's ID token, for use as a hint later.
async fn id_token(server: &Server, agent: &UserAgent) -> String {
    let code = code(server, agent, &[]).await;
    let (status, body) = redeem(server, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id_token"].as_str().unwrap().to_owned()
}

/// OIDC Core 3.1.2.1: an expired ID token still works as `id_token_hint`
/// while the session lives.
#[tokio::test]
async fn oidcc_expired_id_token_still_works_as_hint_for_prompt_none() {
    let Some((server, _turn)) = clocked().await else {
        return;
    };
    let agent = UserAgent::new(&server.issuer);
    let hint = id_token(server, &agent).await;
    let (_, claims) = crate::support::jwt::peek(&hint);
    let lifetime = (claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()) as u64;
    server.advance_clock(lifetime + 1);
    let response = walk(
        &agent,
        &authorize_url(server, &[("prompt", "none"), ("id_token_hint", &hint)]),
        None,
    )
    .await
    .done();
    assert!(response.get("code").is_some(), "{:?}", response.params);
}

/// RP-Initiated Logout 1.0 section 2: the OP SHOULD accept an expired ID
/// token as hint, so the user still returns to the relying party.
#[tokio::test]
async fn rp_initiated_logout_accepts_an_expired_id_token_hint() {
    let Some((server, _turn)) = clocked().await else {
        return;
    };
    let agent = UserAgent::new(&server.issuer);
    let hint = id_token(server, &agent).await;
    let (_, claims) = crate::support::jwt::peek(&hint);
    let lifetime = (claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()) as u64;
    server.advance_clock(lifetime + 1);
    let mut url = Url::parse(&server.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", &hint)
        .append_pair("post_logout_redirect_uri", WEB_POST_LOGOUT)
        .append_pair("state", "late");
    let mut page = agent.get(url.as_str()).await;
    for _ in 0..3 {
        let Some(form) = page
            .forms()
            .into_iter()
            .find(|form| form.has_button("confirm", "yes"))
        else {
            break;
        };
        page = agent.submit(&page, &form, &[("confirm", "yes")]).await;
    }
    let target = page
        .location()
        .unwrap_or_else(|| panic!("no redirect: {}", page.describe()));
    assert!(target.as_str().starts_with(WEB_POST_LOGOUT), "{target}");
    assert!(
        target
            .query_pairs()
            .any(|(key, value)| key == "state" && value == "late")
    );
}

async fn kids(server: &Server) -> std::collections::BTreeSet<String> {
    let jwks = crate::support::raw::plain_get_json(&server.url("/jwks")).await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Issue 2: after `keys rotate` the previous keys stay in the JWKS until the
/// tokens they signed can have expired, and no longer than that.
#[tokio::test]
async fn keys_previous_keys_leave_the_jwks_after_the_overlap() {
    let Some((server, _turn)) = clocked().await else {
        return;
    };
    let before = kids(server).await;
    server.stop();
    server.cli_ok(&["keys", "rotate"]);
    server.start();
    let during = kids(server).await;
    assert!(
        before.is_subset(&during),
        "previous keys left at once: {before:?} → {during:?}"
    );
    assert!(during.len() > before.len());
    // Longest signed token lifetime is 300 s by default (access and ID tokens).
    server.advance_clock(301);
    server.stop();
    server.start();
    let after = kids(server).await;
    assert!(
        before.is_disjoint(&after),
        "previous keys still published after the overlap: {after:?}"
    );
    assert!(!after.is_empty());
}
