//! Pushed authorization requests (RFC 9126): 201 with a one-time
//! `request_uri` bound to its client, client authentication at the PAR
//! endpoint, and clients that must use PAR.

use crate::support::fixture::WEB_REDIRECT;
use crate::support::raw::{self, Raw, basic};
use crate::support::rp::{Request, Rp, Walk, walk};
use crate::support::{Fixture, PASSWORD, UserAgent, clients, shared, users};
use reqwest::StatusCode;
use url::Url;

/// Pushes the parameters of a fresh authorization request for `client_id`.
async fn push(
    fixture: &Fixture,
    client_id: &str,
    extra: &[(&str, &str)],
) -> (Raw, Vec<(String, String)>) {
    let rp = Rp::new(fixture, client_id).await;
    let started = rp.start(&Request::scopes(&["openid"]));
    let mut params: Vec<(String, String)> = started
        .url
        .query_pairs()
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    for (name, value) in extra {
        params.push(((*name).to_owned(), (*value).to_owned()));
    }
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let authorization = basic(client_id, fixture.secret(client_id));
    let response = raw::post(fixture, "/par", &borrowed, Some(&authorization)).await;
    (response, params)
}

fn authorize_with(fixture: &Fixture, client_id: &str, request_uri: &str) -> String {
    let mut url = Url::parse(&fixture.server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri);
    url.to_string()
}

async fn pushed_request_uri(fixture: &Fixture, client_id: &str) -> String {
    let (response, _) = push(fixture, client_id, &[]).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    response.str("request_uri").unwrap().to_owned()
}

fn no_code(walk: Walk) {
    match walk {
        Walk::Done(response) => {
            assert!(
                response.get("code").is_none(),
                "a code was issued: {:?}",
                response.params
            );
            assert!(response.get("error").is_some());
        }
        Walk::Stuck { page } => {
            assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.describe());
            assert!(page.header("location").is_none());
        }
    }
}

#[tokio::test]
async fn rfc9126_push_then_authorize_with_request_uri() {
    let fixture = shared();
    let (response, _) = push(fixture, clients::WEB, &[]).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    let request_uri = response.str("request_uri").unwrap();
    assert!(
        request_uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "RFC 9126 2.2: {request_uri}"
    );
    let expires_in = response.json["expires_in"].as_u64().expect("expires_in");
    assert!(
        expires_in > 0 && expires_in <= 600,
        "short lifetime: {expires_in}"
    );
    let agent = UserAgent::new(&fixture.server.issuer);
    let result = walk(
        &agent,
        &authorize_with(fixture, clients::WEB, request_uri),
        Some((users::ALICE, PASSWORD)),
    )
    .await
    .done();
    assert!(result.get("code").is_some(), "{:?}", result.params);
    assert_eq!(result.get("iss"), Some(fixture.server.issuer.as_str()));
    assert_eq!(result.target, WEB_REDIRECT);
    let rp = Rp::new(fixture, clients::WEB).await;
    rp.redeem(result.code(), None, None).await.unwrap();
}

#[tokio::test]
async fn rfc9126_request_uri_is_single_use() {
    let fixture = shared();
    let request_uri = pushed_request_uri(fixture, clients::WEB).await;
    let url = authorize_with(fixture, clients::WEB, &request_uri);
    let agent = UserAgent::new(&fixture.server.issuer);
    walk(&agent, &url, Some((users::ALICE, PASSWORD)))
        .await
        .done();
    let second = UserAgent::new(&fixture.server.issuer);
    no_code(walk(&second, &url, Some((users::ALICE, PASSWORD))).await);
}

#[tokio::test]
async fn rfc9126_request_uri_is_bound_to_its_client() {
    let fixture = shared();
    let request_uri = pushed_request_uri(fixture, clients::WEB).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    no_code(
        walk(
            &agent,
            &authorize_with(fixture, clients::OTHER, &request_uri),
            Some((users::ALICE, PASSWORD)),
        )
        .await,
    );
}

#[tokio::test]
async fn rfc9126_unknown_request_uri_is_rejected() {
    let fixture = shared();
    let agent = UserAgent::new(&fixture.server.issuer);
    no_code(
        walk(
            &agent,
            &authorize_with(
                fixture,
                clients::WEB,
                "urn:ietf:params:oauth:request_uri:never-issued",
            ),
            Some((users::ALICE, PASSWORD)),
        )
        .await,
    );
}

#[tokio::test]
async fn rfc9126_client_that_requires_par_rejects_a_direct_request() {
    let fixture = shared();
    let rp = Rp::new(fixture, clients::PAR_ONLY).await;
    let started = rp.start(&Request::scopes(&["openid"]));
    let agent = UserAgent::new(&fixture.server.issuer);
    no_code(walk(&agent, started.url.as_str(), Some((users::ALICE, PASSWORD))).await);
}

#[tokio::test]
async fn rfc9126_client_that_requires_par_succeeds_through_par() {
    let fixture = shared();
    let request_uri = pushed_request_uri(fixture, clients::PAR_ONLY).await;
    let agent = UserAgent::new(&fixture.server.issuer);
    let result = walk(
        &agent,
        &authorize_with(fixture, clients::PAR_ONLY, &request_uri),
        Some((users::ALICE, PASSWORD)),
    )
    .await
    .done();
    let rp = Rp::new(fixture, clients::PAR_ONLY).await;
    rp.redeem(result.code(), None, None).await.unwrap();
}

#[tokio::test]
async fn rfc9126_par_requires_client_authentication() {
    let fixture = shared();
    let response = raw::post(
        fixture,
        "/par",
        &[
            ("client_id", clients::WEB),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", WEB_REDIRECT),
        ],
        None,
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_client"));
    let wrong = raw::post(
        fixture,
        "/par",
        &[
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", WEB_REDIRECT),
        ],
        Some(&basic(
            clients::WEB,
            "wrong-secret-wrong-secret-wrong-secret",
        )),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);
}

#[tokio::test]
async fn rfc9126_request_uri_inside_a_pushed_request_is_rejected() {
    let fixture = shared();
    let (response, _) = push(
        fixture,
        clients::WEB,
        &[("request_uri", "urn:ietf:params:oauth:request_uri:nested")],
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    assert_eq!(response.error(), Some("invalid_request"));
}

#[tokio::test]
async fn rfc9126_pushed_request_with_unregistered_redirect_uri_is_rejected() {
    let fixture = shared();
    let authorization = basic(clients::WEB, fixture.secret(clients::WEB));
    let response = raw::post(
        fixture,
        "/par",
        &[
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", "https://attacker.example.test/cb"),
        ],
        Some(&authorization),
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    assert!(response.error().is_some());
}

#[tokio::test]
async fn rfc9126_get_on_par_endpoint_is_rejected() {
    let fixture = shared();
    let response = raw::get(fixture, "/par", None).await;
    assert!(
        response.status == StatusCode::METHOD_NOT_ALLOWED
            || response.status == StatusCode::BAD_REQUEST,
        "{}",
        response.status
    );
}

/// RFC 9126 4: with a request_uri, only the pushed parameters count; a
/// scope added to the front-channel request grants nothing more.
#[tokio::test]
async fn rfc9126_front_channel_parameters_do_not_override_the_pushed_ones() {
    let fixture = shared();
    let request_uri = pushed_request_uri(fixture, clients::WEB).await;
    let mut url = Url::parse(&authorize_with(fixture, clients::WEB, &request_uri)).unwrap();
    url.query_pairs_mut().append_pair("scope", "openid email");
    let agent = UserAgent::new(&fixture.server.issuer);
    let result = walk(&agent, url.as_str(), Some((users::ALICE, PASSWORD)))
        .await
        .done();
    let rp = Rp::new(fixture, clients::WEB).await;
    let tokens = rp.redeem(result.code(), None, None).await.unwrap();
    let userinfo = raw::userinfo_get(
        fixture,
        openidconnect::OAuth2TokenResponse::access_token(&tokens).secret(),
    )
    .await;
    assert_eq!(userinfo.status, StatusCode::OK);
    assert!(
        userinfo.json.get("email").is_none(),
        "front-channel scope was honoured: {}",
        userinfo.text
    );
}
