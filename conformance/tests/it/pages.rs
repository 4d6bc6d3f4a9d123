//! The provider's HTML pages from outside: security headers on every page,
//! the session cookie's attributes, the login form contract (labels,
//! autocomplete, lang), CSRF protection, and one message for wrong password
//! and unknown user.

use crate::support::forms::{element_text, html_lang};
use crate::support::http::Page;
use crate::support::rp::{Request, Rp, walk};
use crate::support::{PASSWORD, UserAgent, clients, shared, users};
use reqwest::StatusCode;

fn assert_security_headers(page: &Page) {
    let what = page.url.path().to_owned();
    assert_eq!(
        page.header("x-frame-options")
            .map(|value| value.to_ascii_uppercase())
            .as_deref(),
        Some("DENY"),
        "{what}: X-Frame-Options"
    );
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{what}: CSP without frame-ancestors 'none': {csp:?}"
    );
    assert!(
        page.header("cache-control")
            .is_some_and(|value| value.contains("no-store")),
        "{what}: Cache-Control {:?}",
        page.header("cache-control")
    );
    assert_eq!(
        page.header("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}: Referrer-Policy"
    );
}

async fn login_page(agent: &UserAgent, extra: &[(&'static str, &str)]) -> Page {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let mut request = Request::scopes(&["openid"]);
    for (name, value) in extra {
        request = request.param(name, *value);
    }
    let started = rp.start(&request);
    let page = walk(agent, started.url.as_str(), None).await.stuck();
    assert!(page.is_login_page(), "{}", page.describe());
    page
}

#[tokio::test]
async fn login_page_has_anti_framing_no_store_and_no_referrer_headers() {
    let fixture = shared();
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = login_page(&agent, &[]).await;
    assert_security_headers(&page);
}

#[tokio::test]
async fn error_page_has_the_security_headers() {
    let fixture = shared();
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = agent
        .get(
            &fixture
                .server
                .url("/authorize?client_id=nobody&response_type=code"),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_security_headers(&page);
}

#[tokio::test]
async fn logout_and_form_post_pages_have_the_security_headers() {
    let fixture = shared();
    let agent = UserAgent::new(&fixture.server.issuer);
    let logout = agent.get(&fixture.server.url("/logout")).await;
    assert_security_headers(&logout);
    let rp = Rp::new(fixture, clients::WEB).await;
    rp.login_flow(&agent, users::ALICE, &Request::scopes(&["openid"]))
        .await;
    let started = rp.start(&Request::scopes(&["openid"]).param("response_mode", "form_post"));
    let mut page = agent.get(started.url.as_str()).await;
    while page.status.is_redirection() {
        page = agent.get(page.location().unwrap().as_str()).await;
    }
    assert!(page.body.contains("<form"), "{}", page.describe());
    // The auto-submitting page may be framed by nobody either.
    assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));
    assert!(
        page.header("cache-control")
            .is_some_and(|value| value.contains("no-store"))
    );
}

/// The session cookie: `pforte_session` over plain HTTP (the `__Host-` prefix
/// needs TLS), HttpOnly, SameSite=Lax, Path=/. Every cookie the pages set is
/// HttpOnly.
#[tokio::test]
async fn session_cookie_is_httponly_samesite_lax_path_root() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    rp.login_flow(&agent, users::ALICE, &Request::scopes(&["openid"]))
        .await;
    let cookies = agent.set_cookie_headers();
    let session = cookies
        .iter()
        .find(|cookie| cookie.starts_with("pforte_session="))
        .unwrap_or_else(|| panic!("no pforte_session cookie among {cookies:?}"));
    let attributes: Vec<String> = session
        .split(';')
        .skip(1)
        .map(|part| part.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{session}");
    assert!(attributes.iter().any(|a| a == "samesite=lax"), "{session}");
    assert!(attributes.iter().any(|a| a == "path=/"), "{session}");
    for cookie in &cookies {
        let lower = cookie.to_ascii_lowercase();
        assert!(
            lower.contains("httponly"),
            "cookie without HttpOnly: {cookie}"
        );
        assert!(
            lower.contains("samesite="),
            "cookie without SameSite: {cookie}"
        );
    }
}

/// The HTML contract: `<html lang>`, labels bound to the inputs, autocomplete
/// tokens for password managers, hidden fields, a submit button.
#[tokio::test]
async fn login_page_inputs_have_labels_autocomplete_and_lang() {
    let fixture = shared();
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = login_page(&agent, &[("ui_locales", "en")]).await;
    assert_eq!(html_lang(&page.body).as_deref(), Some("en"));
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_field("password"))
        .unwrap();
    assert!(form.method.eq_ignore_ascii_case("post"));
    let username = form.input("username").unwrap();
    assert_eq!(username.attr("id"), Some("username"));
    assert_eq!(username.attr("autocomplete"), Some("username"));
    let password = form.input("password").unwrap();
    assert_eq!(password.attr("id"), Some("password"));
    assert_eq!(password.attr("type"), Some("password"));
    assert_eq!(password.attr("autocomplete"), Some("current-password"));
    for id in ["username", "password"] {
        assert!(
            form.labels
                .iter()
                .any(|label| label.attr("for") == Some(id)),
            "no <label for=\"{id}\">"
        );
    }
    assert!(
        form.inputs
            .iter()
            .any(|input| input.attr("type") == Some("hidden")),
        "no hidden CSRF/interaction inputs"
    );
    assert!(
        form.buttons
            .iter()
            .any(|button| button.attr("type") == Some("submit")),
        "no submit button"
    );
}

async fn failed_login_message(username: &str, password: &str) -> (Page, String) {
    let fixture = shared();
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = login_page(&agent, &[("ui_locales", "en")]).await;
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_field("password"))
        .unwrap();
    let answer = agent
        .submit(
            &page,
            &form,
            &[("username", username), ("password", password)],
        )
        .await;
    let message = element_text(&answer.body, "role", "alert")
        .unwrap_or_else(|| panic!("no role=alert message: {}", answer.describe()));
    (answer, message)
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_message() {
    let (wrong_password, first) = failed_login_message(users::ALICE, "not-her-password").await;
    let (unknown_user, second) = failed_login_message("nobody-by-that-name", "whatever-1234").await;
    assert_eq!(
        first, second,
        "the messages reveal whether the account exists"
    );
    assert_eq!(wrong_password.status, unknown_user.status);
    assert!(wrong_password.is_login_page(), "the form is shown again");
    assert!(!first.is_empty());
}

/// Posting the login form without its CSRF/interaction fields logs nobody in.
#[tokio::test]
async fn login_post_without_the_hidden_fields_is_refused() {
    let fixture = shared();
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = login_page(&agent, &[]).await;
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_field("password"))
        .unwrap();
    let action = form.action_url(&page.url).unwrap();
    let answer = agent
        .post_form(
            action.as_str(),
            &[
                ("username".to_owned(), users::ALICE.to_owned()),
                ("password".to_owned(), PASSWORD.to_owned()),
            ],
        )
        .await;
    let redirected_to_rp = answer.location().is_some_and(|target| {
        target
            .as_str()
            .starts_with(crate::support::fixture::WEB_REDIRECT)
    });
    assert!(!redirected_to_rp, "login without CSRF token succeeded");
    assert!(
        answer.status.is_client_error() || answer.is_login_page(),
        "{}",
        answer.describe()
    );
}

/// A login form of one agent cannot be submitted with another agent's
/// cookies (the CSRF token is bound to the browser).
#[tokio::test]
async fn login_form_from_another_browser_is_refused() {
    let fixture = shared();
    let victim = UserAgent::new(&fixture.server.issuer);
    let page = login_page(&victim, &[]).await;
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_field("password"))
        .unwrap();
    let attacker = UserAgent::new(&fixture.server.issuer);
    let answer = attacker
        .submit(
            &page,
            &form,
            &[("username", users::ALICE), ("password", PASSWORD)],
        )
        .await;
    let redirected_to_rp = answer.location().is_some_and(|target| {
        target
            .as_str()
            .starts_with(crate::support::fixture::WEB_REDIRECT)
    });
    assert!(
        !redirected_to_rp,
        "a form replayed without its cookies logged in"
    );
}

#[tokio::test]
async fn healthz_answers_ok() {
    let fixture = shared();
    let response = crate::support::raw::get(fixture, "/healthz", None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.text.trim(), "ok");
}

/// Behind TLS (an https issuer) the session cookie is `__Host-pforte_session`:
/// Secure, Path=/, no Domain (RFC 6265bis 4.1.3.2).
#[tokio::test]
async fn session_cookie_uses_the_host_prefix_when_the_issuer_is_https() {
    use crate::support::fixture::{WEB_REDIRECT, secret_for};
    use crate::support::server::Server;
    let server = Server::prepare();
    let secret = secret_for("tls");
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        "tls",
        "--secret",
        &secret,
        "--redirect-uri",
        WEB_REDIRECT,
    ]);
    server.cli_ok(&["user", "add", "--username", "tess", "--password", PASSWORD]);
    server.set_configured_issuer(&format!("https://127.0.0.1:{}", server.port));
    server.start();
    // Plain HTTP to the process, as a TLS-terminating proxy would speak.
    let agent = UserAgent::new(&server.url(""));
    let mut authorize = url::Url::parse(&server.url("/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("client_id", "tls")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", WEB_REDIRECT);
    let mut page = agent.get(authorize.as_str()).await;
    while page.status.is_redirection() {
        // Locations point at the https issuer; stay on the plain listener.
        let target = page.location().unwrap();
        page = agent
            .get(&server.url(&format!(
                "{}{}",
                target.path(),
                target.query().map(|query| format!("?{query}")).unwrap_or_default()
            )))
            .await;
    }
    assert!(page.is_login_page(), "{}", page.describe());
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_field("password"))
        .unwrap();
    let mut fields = form.fields();
    fields.retain(|(name, _)| name != "username" && name != "password");
    fields.push(("username".to_owned(), "tess".to_owned()));
    fields.push(("password".to_owned(), PASSWORD.to_owned()));
    let action = form.action_url(&page.url).unwrap();
    agent.post_form(&server.url(action.path()), &fields).await;
    let cookies = agent.set_cookie_headers();
    let session = cookies
        .iter()
        .find(|cookie| cookie.starts_with("__Host-pforte_session="))
        .unwrap_or_else(|| panic!("no __Host-pforte_session among {cookies:?}"));
    let lower = session.to_ascii_lowercase();
    assert!(lower.contains("; secure"), "{session}");
    assert!(lower.contains("path=/"), "{session}");
    assert!(!lower.contains("domain="), "{session}");
    assert!(
        lower.contains("httponly") && lower.contains("samesite=lax"),
        "{session}"
    );
    assert!(
        !cookies
            .iter()
            .any(|cookie| cookie.starts_with("pforte_session=")),
        "the unprefixed cookie is set too"
    );
}

#[tokio::test]
async fn consent_and_logout_confirmation_pages_have_the_security_headers() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    rp.login_flow(&agent, users::ALICE, &Request::scopes(&["openid"]))
        .await;
    let started = rp.start(&Request::scopes(&["openid"]).param("prompt", "consent"));
    let first = agent.get(started.url.as_str()).await;
    let crate::support::http::Arrival::Stopped(page) = agent.follow(first).await else {
        panic!("prompt=consent did not stop at the consent page");
    };
    assert!(page.is_consent_page(), "{}", page.describe());
    assert_security_headers(&page);
    let confirm = agent.get(&fixture.server.url("/logout")).await;
    assert!(
        confirm.body.contains("name=\"confirm\""),
        "{}",
        confirm.describe()
    );
    assert_security_headers(&confirm);
}
