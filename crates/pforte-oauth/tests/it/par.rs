//! Tests of pushed authorization requests (RFC 9126) through the `Provider`
//! API. Validation is driven through `push_authenticated_request` (the client
//! already authenticated); the end-to-end test through
//! `push_authorization_request` also needs client authentication.

use crate::support::{
    CHALLENGE, Fixture, ISSUER, SECRET, basic, params, response_param, web_client,
};
use chrono::TimeDelta;
use pforte_crypto::random::sha256_b64url;
use pforte_oauth::model::{Client, PushedRequest};
use pforte_oauth::ports::{ClientStore, GrantStore};
use pforte_oauth::{AuthorizationResponse, AuthorizeOutcome, ErrorCode, OAuthError, Params};

/// Literal parameters in a test table.
type Pairs = &'static [(&'static str, &'static str)];

const PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

fn pushed_params(extra: &[(&str, &str)]) -> Params {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "portal"),
        ("redirect_uri", "https://portal.example/cb"),
        ("scope", "openid email"),
        ("state", "pushed-state"),
        ("nonce", "pushed-nonce"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    pairs.retain(|(name, _)| !extra.iter().any(|(changed, _)| changed == name));
    pairs.extend(extra.iter().filter(|(_, value)| !value.is_empty()));
    params(&pairs)
}

async fn portal(fixture: &Fixture) -> Client {
    fixture.store.get_client("portal").await.unwrap().unwrap()
}

#[track_caller]
fn respond(outcome: AuthorizeOutcome) -> AuthorizationResponse {
    match outcome {
        AuthorizeOutcome::Respond(response) => response,
        other => panic!("expected a response to the client, got {other:?}"),
    }
}

#[track_caller]
fn error_page(outcome: AuthorizeOutcome) -> OAuthError {
    match outcome {
        AuthorizeOutcome::ErrorPage(error) => error,
        other => panic!("expected an error page, got {other:?}"),
    }
}

#[tokio::test]
async fn rfc9126_2_2_pushed_request_is_used_at_the_authorization_endpoint() {
    let fixture = Fixture::new().await;
    let client = portal(&fixture).await;
    let pushed = fixture
        .provider
        .push_authenticated_request(&client, &pushed_params(&[]))
        .await
        .unwrap();
    assert!(pushed.request_uri.starts_with(PREFIX));
    assert!(
        pushed.request_uri.len() >= PREFIX.len() + 43,
        "≥ 256-bit handle"
    );
    assert_eq!(pushed.expires_in, 60);

    // RFC 9126 4: only the pushed parameters count.
    let front = params(&[
        ("client_id", "portal"),
        ("request_uri", &pushed.request_uri),
        ("state", "front-state"),
        ("scope", "openid api"),
    ]);
    let session = fixture.session();
    let response = respond(fixture.provider.authorize(&front, Some(&session)).await);
    assert_eq!(response.redirect_uri, "https://portal.example/cb");
    assert_eq!(response_param(&response, "state"), Some("pushed-state"));
    assert_eq!(response_param(&response, "iss"), Some(ISSUER));
    let code = response_param(&response, "code").unwrap();
    let record = match fixture
        .store
        .consume_code(&sha256_b64url(code))
        .await
        .unwrap()
    {
        pforte_oauth::model::CodeConsumption::Fresh(record) => record,
        other => panic!("{other:?}"),
    };
    assert_eq!(record.scope, "openid email");
    assert_eq!(record.nonce.as_deref(), Some("pushed-nonce"));
    assert_eq!(record.code_challenge.as_deref(), Some(CHALLENGE));
}

#[tokio::test]
async fn rfc9126_2_2_request_uri_is_single_use() {
    let fixture = Fixture::new().await;
    let client = portal(&fixture).await;
    let pushed = fixture
        .provider
        .push_authenticated_request(&client, &pushed_params(&[]))
        .await
        .unwrap();
    let front = params(&[
        ("client_id", "portal"),
        ("request_uri", &pushed.request_uri),
    ]);
    let first = fixture.provider.authorize(&front, None).await;
    assert!(
        matches!(first, AuthorizeOutcome::Interaction(_)),
        "{first:?}"
    );
    let error = error_page(fixture.provider.authorize(&front, None).await);
    assert_eq!(error.code, ErrorCode::InvalidRequestUri);
}

#[tokio::test]
async fn rfc9126_2_2_request_uri_expires_after_par_ttl() {
    let fixture = Fixture::new().await;
    let client = portal(&fixture).await;
    let pushed = fixture
        .provider
        .push_authenticated_request(&client, &pushed_params(&[]))
        .await
        .unwrap();
    fixture.clock.advance(TimeDelta::seconds(60));
    let front = params(&[
        ("client_id", "portal"),
        ("request_uri", &pushed.request_uri),
    ]);
    let error = error_page(fixture.provider.authorize(&front, None).await);
    assert_eq!(error.code, ErrorCode::InvalidRequestUri);
}

#[tokio::test]
async fn rfc9126_request_uri_is_bound_to_the_client_that_pushed_it() {
    let fixture = Fixture::new().await;
    let client = portal(&fixture).await;
    let pushed = fixture
        .provider
        .push_authenticated_request(&client, &pushed_params(&[]))
        .await
        .unwrap();
    let front = params(&[("client_id", "app"), ("request_uri", &pushed.request_uri)]);
    let error = error_page(fixture.provider.authorize(&front, None).await);
    assert_eq!(error.code, ErrorCode::InvalidRequestUri);
}

#[tokio::test]
async fn rfc9126_4_only_our_urns_are_accepted_as_request_uri() {
    let fixture = Fixture::new().await;
    let cases = [
        "https://rp.example/request.jwt",
        "urn:ietf:params:oauth:request_uri:never-issued",
        PREFIX,
    ];
    for request_uri in cases {
        let front = params(&[
            ("client_id", "portal"),
            ("request_uri", request_uri),
            ("response_type", "code"),
            ("redirect_uri", "https://portal.example/cb"),
            ("scope", "openid"),
        ]);
        let error = error_page(fixture.provider.authorize(&front, None).await);
        assert_eq!(error.code, ErrorCode::InvalidRequestUri, "{request_uri}");
    }
}

#[tokio::test]
async fn rfc9126_2_1_request_uri_inside_a_pushed_request_is_refused() {
    let fixture = Fixture::new().await;
    let client = portal(&fixture).await;
    let error = fixture
        .provider
        .push_authenticated_request(
            &client,
            &pushed_params(&[("request_uri", "urn:ietf:params:oauth:request_uri:x")]),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn rfc9126_2_3_invalid_pushed_requests_get_json_errors() {
    let fixture = Fixture::new().await;
    let client = portal(&fixture).await;
    let cases: [(&str, Pairs, ErrorCode); 8] = [
        (
            "unregistered redirect_uri",
            &[("redirect_uri", "https://evil.example/cb")],
            ErrorCode::InvalidRequest,
        ),
        (
            "no redirect_uri",
            &[("redirect_uri", "")],
            ErrorCode::InvalidRequest,
        ),
        (
            "plain PKCE",
            &[("code_challenge_method", "plain")],
            ErrorCode::InvalidRequest,
        ),
        (
            "unknown scope",
            &[("scope", "openid admin")],
            ErrorCode::InvalidScope,
        ),
        (
            "implicit",
            &[("response_type", "token")],
            ErrorCode::UnsupportedResponseType,
        ),
        (
            "request object",
            &[("request", "a.b.c")],
            ErrorCode::RequestNotSupported,
        ),
        (
            "bad prompt",
            &[("prompt", "none consent")],
            ErrorCode::InvalidRequest,
        ),
        (
            "another client_id",
            &[("client_id", "app")],
            ErrorCode::InvalidRequest,
        ),
    ];
    for (what, extra, expected) in cases {
        let error = fixture
            .provider
            .push_authenticated_request(&client, &pushed_params(extra))
            .await
            .unwrap_err();
        assert_eq!(error.code, expected, "{what}");
        assert_eq!(error.status(), 400, "{what}");
    }
}

#[tokio::test]
async fn rfc9126_5_client_requiring_par_passes_through_par() {
    let fixture = Fixture::new().await;
    let strict = Client {
        require_par: true,
        ..web_client("fapi", &fixture.secrets)
    };
    fixture.store.insert_client(&strict).await.unwrap();
    let pushed = fixture
        .provider
        .push_authenticated_request(
            &strict,
            &pushed_params(&[
                ("client_id", ""),
                ("redirect_uri", "https://fapi.example/cb"),
            ]),
        )
        .await
        .unwrap();
    let front = params(&[("client_id", "fapi"), ("request_uri", &pushed.request_uri)]);
    let response = respond(
        fixture
            .provider
            .authorize(&front, Some(&fixture.session()))
            .await,
    );
    assert!(response_param(&response, "code").is_some(), "{response:?}");
}

#[tokio::test]
async fn rfc9126_2_1_client_credentials_are_not_stored_with_the_request() {
    let fixture = Fixture::new().await;
    let client = portal(&fixture).await;
    let pushed = fixture
        .provider
        .push_authenticated_request(
            &client,
            &pushed_params(&[
                ("client_id", ""),
                ("client_secret", SECRET),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", "a.b.c"),
            ]),
        )
        .await
        .unwrap();
    let handle = pushed.request_uri.strip_prefix(PREFIX).unwrap();
    let stored: PushedRequest = fixture
        .store
        .take_pushed_request(&sha256_b64url(handle))
        .await
        .unwrap()
        .expect("stored under the digest of the handle");
    assert_eq!(stored.client_id, "portal");
    assert_eq!(
        stored.expires_at,
        fixture.clock_now() + TimeDelta::seconds(60)
    );
    let names: Vec<&str> = stored.params.iter().map(|(k, _)| k.as_str()).collect();
    assert!(names.contains(&"client_id"));
    for secret in ["client_secret", "client_assertion", "client_assertion_type"] {
        assert!(!names.contains(&secret), "{secret} was stored");
    }
}

/// End to end with `client_secret_basic`. Needs the client authentication of
/// `client_auth.rs`; until that is in place it fails with server_error.
#[tokio::test]
async fn rfc9126_2_1_par_with_basic_authentication_end_to_end() {
    let fixture = Fixture::new().await;
    let body = pushed_params(&[("client_id", "")]);
    let pushed = fixture
        .provider
        .push_authorization_request(&body, Some(&basic("portal", SECRET)))
        .await
        .unwrap();
    assert!(pushed.request_uri.starts_with(PREFIX));

    let wrong = fixture
        .provider
        .push_authorization_request(
            &body,
            Some(&basic("portal", "wrong-secret-of-enough-length")),
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.code, ErrorCode::InvalidClient);

    let front = params(&[
        ("client_id", "portal"),
        ("request_uri", &pushed.request_uri),
    ]);
    let response = respond(
        fixture
            .provider
            .authorize(&front, Some(&fixture.session()))
            .await,
    );
    assert!(response_param(&response, "code").is_some());
}
