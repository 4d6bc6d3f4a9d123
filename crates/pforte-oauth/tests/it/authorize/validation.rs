//! What the pipeline refuses, and how: error pages before the redirect URI is
//! verified, error redirects with `state` and `iss` after.

use super::*;

#[tokio::test]
async fn rfc9700_4_1_unverified_client_or_redirect_uri_never_redirects() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let cases: Vec<(&str, Params)> = vec![
        ("no client_id", portal(&[("client_id", "")])),
        ("unknown client", portal(&[("client_id", "nobody")])),
        ("repeated client_id", {
            let mut pairs = PORTAL.to_vec();
            pairs.push(("client_id", "portal"));
            params(&pairs)
        }),
        ("no redirect_uri", portal(&[("redirect_uri", "")])),
        (
            "unregistered redirect_uri",
            portal(&[("redirect_uri", "https://evil.example/cb")]),
        ),
        (
            "redirect_uri with added query",
            portal(&[("redirect_uri", "https://portal.example/cb?x=1")]),
        ),
        (
            "redirect_uri of another client",
            portal(&[("redirect_uri", "http://127.0.0.1/callback")]),
        ),
        (
            "loopback port for a web client",
            portal(&[("redirect_uri", "https://portal.example:8443/cb")]),
        ),
        ("repeated redirect_uri", {
            let mut pairs = PORTAL.to_vec();
            pairs.push(("redirect_uri", PORTAL_CB));
            params(&pairs)
        }),
        // Broken in other ways too: the page still wins over a redirect.
        (
            "unknown client and bad response_type",
            portal(&[("client_id", "nobody"), ("response_type", "token")]),
        ),
    ];
    for (what, request) in cases {
        let error = error_page(fixture.provider.authorize(&request, Some(&session)).await);
        assert_eq!(error.code, ErrorCode::InvalidRequest, "{what}");
        assert!(error.public_code.starts_with("PF-OAUTH-"), "{what}");
    }
}

#[tokio::test]
async fn rfc6749_4_1_2_1_invalid_requests_go_back_with_error_state_and_iss() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let cases: Vec<(&str, Params, &str)> = vec![
        (
            "no response_type",
            portal(&[("response_type", "")]),
            "invalid_request",
        ),
        (
            "implicit",
            portal(&[("response_type", "token")]),
            "unsupported_response_type",
        ),
        (
            "hybrid",
            portal(&[("response_type", "code id_token")]),
            "unsupported_response_type",
        ),
        (
            "fragment mode",
            portal(&[("response_mode", "fragment")]),
            "invalid_request",
        ),
        (
            "unknown scope",
            portal(&[("scope", "openid admin")]),
            "invalid_scope",
        ),
        ("no scope", portal(&[("scope", "")]), "invalid_scope"),
        (
            "request object",
            portal(&[("request", "eyJhbGciOiJub25lIn0.e30.")]),
            "request_not_supported",
        ),
        (
            "registration",
            portal(&[("registration", "{}")]),
            "invalid_request",
        ),
        (
            "prompt none with login",
            portal(&[("prompt", "none login")]),
            "invalid_request",
        ),
        (
            "unknown prompt",
            portal(&[("prompt", "select_account")]),
            "invalid_request",
        ),
        (
            "negative max_age",
            portal(&[("max_age", "-1")]),
            "invalid_request",
        ),
        (
            "non-numeric max_age",
            portal(&[("max_age", "soon")]),
            "invalid_request",
        ),
        (
            "claims not JSON",
            portal(&[("claims", "{userinfo")]),
            "invalid_request",
        ),
        (
            "claims not an object",
            portal(&[("claims", r#"{"userinfo":["email"]}"#)]),
            "invalid_request",
        ),
        (
            "plain PKCE",
            portal(&[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ]),
            "invalid_request",
        ),
        (
            "forged id_token_hint",
            portal(&[("id_token_hint", "eyJhbGciOiJub25lIn0.e30.")]),
            "invalid_request",
        ),
        (
            "repeated scope",
            {
                let mut pairs = PORTAL.to_vec();
                pairs.push(("scope", "email"));
                params(&pairs)
            },
            "invalid_request",
        ),
    ];
    for (what, request, expected) in cases {
        let response = respond(fixture.provider.authorize(&request, Some(&session)).await);
        assert_eq!(response.redirect_uri, PORTAL_CB, "{what}");
        assert_eq!(error_of(&response), expected, "{what}");
        assert_eq!(response_param(&response, "state"), Some("st-1"), "{what}");
        let description = response_param(&response, "error_description").unwrap();
        assert!(
            description
                .bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
            "{what}: {description}"
        );
    }
}

#[tokio::test]
async fn form_post_2_success_and_errors_use_the_requested_mode() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let success = respond(
        fixture
            .provider
            .authorize(&portal(&[("response_mode", "form_post")]), Some(&session))
            .await,
    );
    assert_eq!(success.mode, ResponseMode::FormPost);
    assert!(response_param(&success, "code").is_some());
    assert_eq!(response_param(&success, "iss"), Some(ISSUER));

    let failure = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("response_mode", "form_post"), ("scope", "openid admin")]),
                Some(&session),
            )
            .await,
    );
    assert_eq!(failure.mode, ResponseMode::FormPost);
    assert_eq!(error_of(&failure), "invalid_scope");

    // An unsupported mode is reported in the default one.
    let bad_mode = respond(
        fixture
            .provider
            .authorize(&portal(&[("response_mode", "web_message")]), Some(&session))
            .await,
    );
    assert_eq!(bad_mode.mode, ResponseMode::Query);
    assert_eq!(error_of(&bad_mode), "invalid_request");
}

#[tokio::test]
async fn rfc6749_3_1_unknown_parameters_are_ignored_and_order_does_not_matter() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let mut pairs: Vec<(&str, &str)> = PORTAL.iter().rev().copied().collect();
    pairs.extend([
        ("extra", "foobar"),
        ("display", "popup"),
        ("claims_locales", "se"),
    ]);
    let request = with(&pairs, &[("scope", "profile openid")]);
    let response = respond(fixture.provider.authorize(&request, Some(&session)).await);
    assert!(response_param(&response, "code").is_some(), "{response:?}");
}

#[tokio::test]
async fn rfc8252_7_3_native_app_loopback_redirect_on_any_port() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    for uri in [
        APP_CB,
        "http://127.0.0.1:60001/callback",
        "de.example.app:/oauth2redirect",
    ] {
        let response = respond(
            fixture
                .provider
                .authorize(&app(&[("redirect_uri", uri)]), Some(&session))
                .await,
        );
        assert_eq!(response.redirect_uri, uri);
        let record = stored_code(&fixture, &response).await;
        assert_eq!(
            record.redirect_uri, uri,
            "the code is bound to the exact URI used"
        );
        assert_eq!(record.code_challenge.as_deref(), Some(CHALLENGE));
    }
    for uri in [
        "http://localhost:51234/callback",
        "http://127.0.0.1:51234/other",
    ] {
        error_page(
            fixture
                .provider
                .authorize(&app(&[("redirect_uri", uri)]), Some(&session))
                .await,
        );
    }
}

#[tokio::test]
async fn rfc9700_2_1_1_public_and_pkce_clients_must_send_an_s256_challenge() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let strict = Client {
        require_pkce: true,
        ..web_client("strict", &fixture.secrets)
    };
    fixture.add_client(strict).await;

    let without = app(&[("code_challenge", ""), ("code_challenge_method", "")]);
    let response = respond(fixture.provider.authorize(&without, Some(&session)).await);
    assert_eq!(error_of(&response), "invalid_request");
    assert_eq!(response.redirect_uri, APP_CB);

    let strict_request = with(
        PORTAL,
        &[
            ("client_id", "strict"),
            ("redirect_uri", "https://strict.example/cb"),
        ],
    );
    let response = respond(
        fixture
            .provider
            .authorize(&strict_request, Some(&session))
            .await,
    );
    assert_eq!(error_of(&response), "invalid_request");

    let with_pkce = with(
        PORTAL,
        &[
            ("client_id", "strict"),
            ("redirect_uri", "https://strict.example/cb"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    );
    let response = respond(fixture.provider.authorize(&with_pkce, Some(&session)).await);
    assert_eq!(
        stored_code(&fixture, &response)
            .await
            .code_challenge
            .as_deref(),
        Some(CHALLENGE)
    );

    for (what, changes) in [
        ("plain", &[("code_challenge_method", "plain")][..]),
        ("method omitted", &[("code_challenge_method", "")][..]),
        ("short challenge", &[("code_challenge", "abc")][..]),
    ] {
        let response = respond(
            fixture
                .provider
                .authorize(&app(changes), Some(&session))
                .await,
        );
        assert_eq!(error_of(&response), "invalid_request", "{what}");
    }
}

#[tokio::test]
async fn rfc6749_4_1_2_1_client_without_code_grant_is_unauthorized() {
    let fixture = Fixture::new().await;
    let machine = Client {
        grant_types: vec![GrantType::ClientCredentials],
        ..web_client("machine", &fixture.secrets)
    };
    fixture.add_client(machine).await;
    let request = with(
        PORTAL,
        &[
            ("client_id", "machine"),
            ("redirect_uri", "https://machine.example/cb"),
        ],
    );
    let response = respond(fixture.provider.authorize(&request, None).await);
    assert_eq!(error_of(&response), "unauthorized_client");
}

#[tokio::test]
async fn rfc9126_5_client_requiring_par_is_refused_at_the_front_door() {
    let fixture = Fixture::new().await;
    let strict = Client {
        require_par: true,
        ..web_client("fapi", &fixture.secrets)
    };
    fixture.add_client(strict).await;
    let request = with(
        PORTAL,
        &[
            ("client_id", "fapi"),
            ("redirect_uri", "https://fapi.example/cb"),
        ],
    );
    let response = respond(
        fixture
            .provider
            .authorize(&request, Some(&fixture.session()))
            .await,
    );
    assert_eq!(error_of(&response), "invalid_request");
    assert_eq!(response_param(&response, "state"), Some("st-1"));
}
