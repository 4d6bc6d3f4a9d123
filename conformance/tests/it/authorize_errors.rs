//! Authorization endpoint failures: who gets an error page (never a redirect)
//! and who gets an error redirect (RFC 6749 4.1.2.1, OIDC Core 3.1.2.6,
//! RFC 9700 4.1 exact redirect URI matching).

use crate::support::http::Page;
use crate::support::rp::{Request, Rp, walk};
use crate::support::{UserAgent, clients, shared};
use reqwest::StatusCode;
use url::Url;

/// The page must be the HTML error page with a `PF-` code and no redirect.
fn assert_error_page(page: &Page) {
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.describe());
    assert!(
        page.header("location").is_none(),
        "error page with a Location header"
    );
    assert!(
        page.body.contains("PF-"),
        "error page without a PF- code: {}",
        page.describe()
    );
    assert!(
        page.header("content-type")
            .is_some_and(|value| value.starts_with("text/html")),
        "error page is not HTML"
    );
}

fn with_param(url: &Url, name: &str, value: Option<&str>) -> Url {
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != name)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    if let Some(value) = value {
        pairs.push((name.to_owned(), value.to_owned()));
    }
    let mut copy = url.clone();
    copy.query_pairs_mut().clear().extend_pairs(pairs);
    copy
}

async fn authorize_url() -> (Rp, Url, String) {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB).await;
    let started = rp.start(&Request::scopes(&["openid"]));
    let state = started.state.secret().clone();
    (rp, started.url, state)
}

#[tokio::test]
async fn oidcc_unknown_client_shows_error_page_without_redirect() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = agent
        .get(with_param(&url, "client_id", Some("no-such-client")).as_str())
        .await;
    assert_error_page(&page);
}

#[tokio::test]
async fn oidcc_missing_client_id_shows_error_page_without_redirect() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = agent
        .get(with_param(&url, "client_id", None).as_str())
        .await;
    assert_error_page(&page);
}

#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri_shows_error_page() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = agent
        .get(
            with_param(
                &url,
                "redirect_uri",
                Some("https://attacker.example.test/callback"),
            )
            .as_str(),
        )
        .await;
    assert_error_page(&page);
}

#[tokio::test]
async fn oidcc_redirect_uri_query_added_shows_error_page() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let uri = format!("{}?extra=1", crate::support::fixture::WEB_REDIRECT);
    let page = agent
        .get(with_param(&url, "redirect_uri", Some(&uri)).as_str())
        .await;
    assert_error_page(&page);
}

#[tokio::test]
async fn rfc9700_redirect_uri_prefix_or_case_variant_shows_error_page() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let agent = UserAgent::new(&fixture.server.issuer);
    for variant in [
        "https://rp.example.test/callback/deeper",
        "https://rp.example.test/Callback",
        "https://rp.example.test:8443/callback",
        "http://rp.example.test/callback",
    ] {
        let page = agent
            .get(with_param(&url, "redirect_uri", Some(variant)).as_str())
            .await;
        assert_error_page(&page);
    }
}

/// Errors that can be reported to a valid redirect URI go there with state and
/// iss (RFC 6749 4.1.2.1, RFC 9207).
async fn expect_error_redirect(url: Url, state: &str, allowed: &[&str]) {
    let fixture = shared();
    let agent = UserAgent::new(&fixture.server.issuer);
    let response = walk(&agent, url.as_str(), None).await.done();
    assert_eq!(response.target, fixture.client(clients::WEB).redirect_uri);
    let error = response.get("error").unwrap_or_default();
    assert!(
        allowed.contains(&error),
        "error {error:?}, expected one of {allowed:?}: {:?}",
        response.params
    );
    assert_eq!(response.get("state"), Some(state));
    assert_eq!(response.get("iss"), Some(fixture.server.issuer.as_str()));
    assert!(response.get("code").is_none());
}

#[tokio::test]
async fn oidcc_response_type_missing_is_an_error_redirect() {
    let (_, url, state) = authorize_url().await;
    expect_error_redirect(
        with_param(&url, "response_type", None),
        &state,
        &["invalid_request", "unsupported_response_type"],
    )
    .await;
}

#[tokio::test]
async fn response_type_token_is_unsupported() {
    let (_, url, state) = authorize_url().await;
    expect_error_redirect(
        with_param(&url, "response_type", Some("token")),
        &state,
        &["unsupported_response_type"],
    )
    .await;
}

#[tokio::test]
async fn response_type_code_id_token_hybrid_is_unsupported() {
    let (_, url, state) = authorize_url().await;
    expect_error_redirect(
        with_param(&url, "response_type", Some("code id_token")),
        &state,
        &["unsupported_response_type"],
    )
    .await;
}

#[tokio::test]
async fn unknown_prompt_value_is_an_error_redirect() {
    let (_, url, state) = authorize_url().await;
    expect_error_redirect(
        with_param(&url, "prompt", Some("sometimes")),
        &state,
        &["invalid_request"],
    )
    .await;
}

#[tokio::test]
async fn prompt_none_combined_with_login_is_an_error_redirect() {
    let (_, url, state) = authorize_url().await;
    expect_error_redirect(
        with_param(&url, "prompt", Some("none login")),
        &state,
        &["invalid_request"],
    )
    .await;
}

#[tokio::test]
async fn unsupported_response_mode_is_an_error() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let walk = walk(
        &agent,
        with_param(&url, "response_mode", Some("fragment.jwt")).as_str(),
        None,
    )
    .await;
    match walk {
        crate::support::rp::Walk::Done(response) => {
            assert!(response.get("error").is_some(), "{:?}", response.params);
            assert!(response.get("code").is_none());
        }
        crate::support::rp::Walk::Stuck { page } => assert_error_page(&page),
    }
}

/// `oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported`
/// and its by-value twin: request objects are not supported and say so.
#[tokio::test]
async fn oidcc_request_object_is_rejected_as_unsupported() {
    let (_, url, state) = authorize_url().await;
    expect_error_redirect(
        with_param(
            &url,
            "request",
            Some("eyJhbGciOiJub25lIn0.eyJzdGF0ZSI6IngifQ."),
        ),
        &state,
        &["request_not_supported", "invalid_request"],
    )
    .await;
}

#[tokio::test]
async fn oidcc_request_uri_by_reference_is_rejected_as_unsupported() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let walk = walk(
        &agent,
        with_param(
            &url,
            "request_uri",
            Some("https://rp.example.test/request.jwt"),
        )
        .as_str(),
        None,
    )
    .await;
    match walk {
        crate::support::rp::Walk::Done(response) => {
            let error = response.get("error").unwrap_or_default();
            assert!(
                [
                    "request_uri_not_supported",
                    "invalid_request_uri",
                    "invalid_request"
                ]
                .contains(&error),
                "{:?}",
                response.params
            );
        }
        crate::support::rp::Walk::Stuck { page } => assert_error_page(&page),
    }
}

/// `oidcc-redirect-uri-query-OK`: a registered URI with a query works, and
/// the response keeps that query next to code, state and iss.
#[tokio::test]
async fn oidcc_redirect_uri_with_registered_query_works() {
    use crate::support::fixture::QUERY_REDIRECT;
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB_QUERY).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(
            &agent,
            crate::support::users::ALICE,
            &Request::scopes(&["openid"]),
        )
        .await;
    assert_eq!(
        done.response.get("tenant"),
        Some("a"),
        "{:?}",
        done.response.params
    );
    assert_eq!(rp.spec.redirect_uri, QUERY_REDIRECT);
}

/// `oidcc-redirect-uri-query-mismatch`.
#[tokio::test]
async fn oidcc_redirect_uri_query_mismatch_shows_error_page() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB_QUERY).await;
    let started = rp.start(&Request::scopes(&["openid"]));
    let agent = UserAgent::new(&fixture.server.issuer);
    let url = with_param(
        &started.url,
        "redirect_uri",
        Some("https://rp.example.test/callback?tenant=b"),
    );
    assert_error_page(&agent.get(url.as_str()).await);
}

/// `oidcc-ensure-redirect-uri-in-authorization-request`: with two registered
/// URIs the request must say which one (OIDC Core 3.1.2.1: redirect_uri is
/// REQUIRED).
#[tokio::test]
async fn oidcc_missing_redirect_uri_with_two_registered_shows_error_page() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB_TWO).await;
    let started = rp.start(&Request::scopes(&["openid"]));
    let agent = UserAgent::new(&fixture.server.issuer);
    assert_error_page(
        &agent
            .get(with_param(&started.url, "redirect_uri", None).as_str())
            .await,
    );
}

#[tokio::test]
async fn second_registered_redirect_uri_works() {
    use crate::support::fixture::SECOND_REDIRECT;
    let fixture = shared();
    let rp = Rp::new(fixture, clients::WEB_TWO).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let done = rp
        .login_flow(
            &agent,
            crate::support::users::ALICE,
            &Request::scopes(&["openid"]).redirect_uri(SECOND_REDIRECT),
        )
        .await;
    assert_eq!(done.response.target, SECOND_REDIRECT);
}

/// RFC 6749 3.1: parameters must not be repeated. A repeated client_id or
/// redirect_uri cannot be trusted: error page.
#[tokio::test]
async fn rfc6749_repeated_client_id_shows_error_page() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let mut repeated = url.clone();
    repeated
        .query_pairs_mut()
        .append_pair("client_id", clients::OTHER);
    let agent = UserAgent::new(&fixture.server.issuer);
    assert_error_page(&agent.get(repeated.as_str()).await);
}

#[tokio::test]
async fn rfc6749_repeated_scope_is_an_error() {
    let fixture = shared();
    let (_, url, state) = authorize_url().await;
    let mut repeated = url.clone();
    repeated
        .query_pairs_mut()
        .append_pair("scope", "openid email");
    let agent = UserAgent::new(&fixture.server.issuer);
    match walk(&agent, repeated.as_str(), None).await {
        crate::support::rp::Walk::Done(response) => {
            assert_eq!(
                response.get("error"),
                Some("invalid_request"),
                "{:?}",
                response.params
            );
            assert_eq!(response.get("state"), Some(state.as_str()));
        }
        crate::support::rp::Walk::Stuck { page } => assert_error_page(&page),
    }
}

#[tokio::test]
async fn redirect_uri_with_fragment_shows_error_page() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let uri = format!("{}#fragment", crate::support::fixture::WEB_REDIRECT);
    assert_error_page(
        &agent
            .get(with_param(&url, "redirect_uri", Some(&uri)).as_str())
            .await,
    );
}

/// Bad input gets a clear error, never a server error: invalid UTF-8 in the
/// query.
#[tokio::test]
async fn malformed_percent_encoding_gets_a_clean_client_error() {
    let fixture = shared();
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = agent
        .get(
            &fixture
                .server
                .url("/authorize?client_id=%FF%FE&response_type=code&scope=openid"),
        )
        .await;
    assert!(page.status.is_client_error(), "{}", page.describe());
    assert!(page.header("location").is_none());
}

#[tokio::test]
async fn oversized_state_is_returned_intact_or_cleanly_rejected() {
    let fixture = shared();
    let (_, url, _) = authorize_url().await;
    let state = "s".repeat(6000);
    let agent = UserAgent::new(&fixture.server.issuer);
    let page = agent
        .get(with_param(&url, "state", Some(&state)).as_str())
        .await;
    assert!(!page.status.is_server_error(), "{}", page.describe());
    if page.status.is_redirection() {
        let walked = walk(
            &agent,
            with_param(&url, "state", Some(&state)).as_str(),
            Some((crate::support::users::ALICE, crate::support::PASSWORD)),
        )
        .await;
        if let crate::support::rp::Walk::Done(response) = walked {
            assert_eq!(
                response.get("state"),
                Some(state.as_str()),
                "state truncated"
            );
        }
    }
}
