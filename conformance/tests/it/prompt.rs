//! Session-dependent parameters: `oidcc-prompt-none-*`, `oidcc-prompt-login`,
//! `oidcc-max-age-*`, `oidcc-id-token-hint`, `oidcc-login-hint`,
//! `oidcc-ui-locales`. The clock of the provider process cannot be moved, so
//! re-authentication is forced with `max_age=0`.

use crate::support::forms::html_lang;
use crate::support::rp::{Request, Rp, walk};
use crate::support::{PASSWORD, UserAgent, clients, shared, users};

async fn logged_in(rp: &Rp, agent: &UserAgent) -> crate::support::rp::Completed {
    rp.login_flow(agent, users::ALICE, &Request::scopes(&["openid"]))
        .await
}

#[tokio::test]
async fn oidcc_prompt_none_not_logged_in_returns_login_required() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]).param("prompt", "none"));
    let response = walk(&agent, started.url.as_str(), None).await.done();
    assert_eq!(response.target, fixture.client(clients::WEB).redirect_uri);
    assert_eq!(
        response.get("error"),
        Some("login_required"),
        "{:?}",
        response.params
    );
    assert_eq!(response.get("state"), Some(started.state.secret().as_str()));
    assert_eq!(
        response.get("iss"),
        Some(fixture.server.issuer.as_str()),
        "RFC 9207: iss in error responses too"
    );
    assert!(response.get("code").is_none());
    if let Some(description) = response.get("error_description") {
        assert!(
            !description.contains(['\r', '\n', '\t']),
            "error_description with control characters"
        );
    }
}

#[tokio::test]
async fn oidcc_prompt_none_logged_in_succeeds_without_login_page() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let first = logged_in(&rp, &agent).await;
    let second = rp
        .login_flow(
            &agent,
            users::ALICE,
            &Request::scopes(&["openid"]).param("prompt", "none"),
        )
        .await;
    assert_eq!(second.response.logins, 0, "prompt=none showed a login page");
    assert_eq!(second.claims.subject(), first.claims.subject());
    assert_eq!(second.claims.auth_time(), first.claims.auth_time());
}

#[tokio::test]
async fn oidcc_prompt_login_forces_a_new_login() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let first = logged_in(&rp, &agent).await;
    let second = rp
        .login_flow(
            &agent,
            users::ALICE,
            &Request::scopes(&["openid"]).param("prompt", "login"),
        )
        .await;
    assert_eq!(
        second.response.logins, 1,
        "prompt=login did not ask for credentials"
    );
    assert_eq!(second.claims.subject(), first.claims.subject());
    assert!(second.claims.auth_time().unwrap() >= first.claims.auth_time().unwrap());
}

#[tokio::test]
async fn oidcc_session_is_reused_without_prompt() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    logged_in(&rp, &agent).await;
    let again = logged_in(&rp, &agent).await;
    assert_eq!(
        again.response.logins, 0,
        "single sign-on did not reuse the session"
    );
}

/// `oidcc-max-age-1`, with the age bound at 0 instead of waiting a second:
/// the session is older than 0 s, so the user must log in again and the ID
/// token carries auth_time (OIDC Core 3.1.2.1).
#[tokio::test]
async fn oidcc_max_age_zero_forces_reauthentication() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let first = logged_in(&rp, &agent).await;
    let second = rp
        .login_flow(
            &agent,
            users::ALICE,
            &Request::scopes(&["openid"]).param("max_age", "0"),
        )
        .await;
    assert_eq!(second.response.logins, 1, "max_age=0 did not force a login");
    let auth_time = second.claims.auth_time().expect("auth_time with max_age");
    assert!(auth_time >= first.claims.auth_time().unwrap());
}

#[tokio::test]
async fn oidcc_max_age_with_prompt_none_and_old_session_is_login_required() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    logged_in(&rp, &agent).await;
    let started = rp.start(
        &Request::scopes(&["openid"])
            .param("max_age", "0")
            .param("prompt", "none"),
    );
    let response = walk(&agent, started.url.as_str(), None).await.done();
    assert_eq!(
        response.get("error"),
        Some("login_required"),
        "{:?}",
        response.params
    );
}

#[tokio::test]
async fn oidcc_max_age_10000_reuses_the_session() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let first = logged_in(&rp, &agent).await;
    let second = rp
        .login_flow(
            &agent,
            users::ALICE,
            &Request::scopes(&["openid"]).param("max_age", "10000"),
        )
        .await;
    assert_eq!(second.response.logins, 0);
    assert_eq!(second.claims.auth_time(), first.claims.auth_time());
    assert_eq!(second.claims.subject(), first.claims.subject());
}

#[tokio::test]
async fn oidcc_id_token_hint_with_prompt_none_succeeds_silently() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let first = logged_in(&rp, &agent).await;
    let second = rp
        .login_flow(
            &agent,
            users::ALICE,
            &Request::scopes(&["openid"])
                .param("prompt", "none")
                .param("id_token_hint", first.id_token()),
        )
        .await;
    assert_eq!(second.response.logins, 0);
    assert_eq!(second.claims.subject(), first.claims.subject());
}

/// OIDC Core 3.1.2.1: with prompt=none and a hint naming another user than
/// the one logged in, the provider must not answer for the wrong user.
#[tokio::test]
async fn oidcc_id_token_hint_for_another_user_with_prompt_none_is_an_error() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let alice_agent = UserAgent::new(&fixture.server.issuer);
    logged_in(&rp, &alice_agent).await;
    let dave_agent = UserAgent::new(&fixture.server.issuer);
    let dave = rp
        .login_flow(&dave_agent, users::DAVE, &Request::scopes(&["openid"]))
        .await;
    let started = rp.start(
        &Request::scopes(&["openid"])
            .param("prompt", "none")
            .param("id_token_hint", dave.id_token()),
    );
    let response = walk(&alice_agent, started.url.as_str(), None).await.done();
    assert!(response.get("code").is_none(), "a code for the wrong user");
    assert!(response.get("error").is_some(), "{:?}", response.params);
}

#[tokio::test]
async fn oidcc_login_hint_prefills_the_username() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]).param("login_hint", users::ALICE));
    let page = walk(&agent, started.url.as_str(), None).await.stuck();
    assert!(page.is_login_page(), "{}", page.describe());
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_field("username"))
        .unwrap();
    assert_eq!(
        form.input("username").unwrap().attr("value"),
        Some(users::ALICE)
    );
    // …and the flow still completes.
    let done = rp
        .login_flow(
            &agent,
            users::ALICE,
            &Request::scopes(&["openid"]).param("login_hint", users::ALICE),
        )
        .await;
    assert!(done.response.get("code").is_some());
}

async fn login_page_lang(ui_locales: Option<&str>, accept_language: Option<&str>) -> String {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let mut agent = UserAgent::new(&fixture.server.issuer);
    if let Some(language) = accept_language {
        agent = agent.with_accept_language(language);
    }
    let mut request = Request::scopes(&["openid"]);
    if let Some(locales) = ui_locales {
        request = request.param("ui_locales", locales);
    }
    let started = rp.start(&request);
    let page = walk(&agent, started.url.as_str(), None).await.stuck();
    assert!(page.is_login_page(), "{}", page.describe());
    html_lang(&page.body).expect("<html lang>")
}

#[tokio::test]
async fn oidcc_ui_locales_de_renders_german_login_page() {
    assert_eq!(login_page_lang(Some("de"), Some("en")).await, "de");
}

#[tokio::test]
async fn oidcc_ui_locales_en_renders_english_login_page() {
    assert_eq!(login_page_lang(Some("en"), Some("de")).await, "en");
}

#[tokio::test]
async fn oidcc_ui_locales_first_supported_entry_wins() {
    assert_eq!(login_page_lang(Some("fr-CA de en"), None).await, "de");
}

#[tokio::test]
async fn accept_language_chooses_the_login_language_without_ui_locales() {
    assert_eq!(
        login_page_lang(None, Some("de-DE,de;q=0.9,en;q=0.5")).await,
        "de"
    );
    assert_eq!(login_page_lang(None, Some("en-GB,en;q=0.9")).await, "en");
}

#[tokio::test]
async fn ui_locales_and_login_complete_in_german() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]).param("ui_locales", "de"));
    let response = walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    assert!(response.get("code").is_some());
}

/// Follows the walk by hand to the page that needs the user.
async fn page_after_login(agent: &UserAgent, url: &str) -> crate::support::http::Page {
    use crate::support::http::Arrival;
    let first = agent.get(url).await;
    let Arrival::Stopped(login) = agent.follow(first).await else {
        panic!("no login page");
    };
    assert!(login.is_login_page(), "{}", login.describe());
    let form = login
        .forms()
        .into_iter()
        .find(|form| form.has_field("password"))
        .unwrap();
    let answer = agent
        .submit(
            &login,
            &form,
            &[("username", users::ALICE), ("password", PASSWORD)],
        )
        .await;
    match agent.follow(answer).await {
        Arrival::Stopped(page) => page,
        other => panic!("expected a page after login, got {other:?}"),
    }
}

async fn decide(
    agent: &UserAgent,
    page: &crate::support::http::Page,
    decision: &str,
) -> crate::support::rp::AuthResponse {
    assert!(page.is_consent_page(), "{}", page.describe());
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_button("decision", decision))
        .unwrap();
    let answer = agent.submit(page, &form, &[("decision", decision)]).await;
    crate::support::rp::walk_from(agent, answer, None)
        .await
        .done()
}

#[tokio::test]
async fn oidcc_prompt_consent_shows_the_consent_page_and_allow_issues_a_code() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid", "email"]).param("prompt", "consent"));
    let page = page_after_login(&agent, started.url.as_str()).await;
    let response = decide(&agent, &page, "allow").await;
    assert_eq!(response.get("state"), Some(started.state.secret().as_str()));
    let tokens = rp.redeem(response.code(), None, None).await.unwrap();
    rp.verify(&tokens, &started.nonce);
}

#[tokio::test]
async fn prompt_consent_denied_returns_access_denied() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]).param("prompt", "consent"));
    let page = page_after_login(&agent, started.url.as_str()).await;
    let response = decide(&agent, &page, "deny").await;
    assert_eq!(
        response.get("error"),
        Some("access_denied"),
        "{:?}",
        response.params
    );
    assert_eq!(response.get("state"), Some(started.state.secret().as_str()));
    assert_eq!(response.get("iss"), Some(fixture.server.issuer.as_str()));
    assert!(response.get("code").is_none());
}

/// `user-rejects-authentication`: cancelling the login answers the RP with
/// access_denied.
#[tokio::test]
async fn user_cancelling_the_login_returns_access_denied() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let started = rp.start(&Request::scopes(&["openid"]));
    let login = walk(&agent, started.url.as_str(), None).await.stuck();
    let form = login
        .forms()
        .into_iter()
        .find(|form| form.has_field("password"))
        .unwrap();
    if !form.has_button("action", "cancel") {
        panic!(
            "the login form offers no cancel button: {}",
            login.describe()
        );
    }
    let answer = agent.submit(&login, &form, &[("action", "cancel")]).await;
    let response = crate::support::rp::walk_from(&agent, answer, None)
        .await
        .done();
    assert_eq!(
        response.get("error"),
        Some("access_denied"),
        "{:?}",
        response.params
    );
    assert_eq!(response.get("state"), Some(started.state.secret().as_str()));
}
