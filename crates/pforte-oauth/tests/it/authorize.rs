//! Tests of `authorize`, `resume_authorization` and `abort_authorization`
//! through the `Provider` API, as the web layer calls them.

use crate::support::{Fixture, ISSUER, params, response_param, web_client};
use chrono::TimeDelta;
use pforte_crypto::random::sha256_b64url;
use pforte_oauth::model::{Client, CodeConsumption, GrantType};
use pforte_oauth::ports::GrantStore;
use pforte_oauth::{
    AuthorizationResponse, AuthorizeOutcome, ConsentDecision, ErrorCode, InteractionRequired,
    OAuthError, Params, ResponseMode,
};
use pforte_types::{AccountId, Prompt};

/// RFC 7636 Appendix B.
const CHALLENGE: &str = "E9Melhoe2OwvFrEMTJguCQAYS9lB6acdlUv4rJ3bM6L";
const PORTAL_CB: &str = "https://portal.example/cb";
const APP_CB: &str = "http://127.0.0.1:51234/callback";

/// `base` with `changes` applied: a change replaces the parameter of the same
/// name, an empty value removes it, and new names are added.
fn with(base: &[(&str, &str)], changes: &[(&str, &str)]) -> Params {
    let mut pairs: Vec<(&str, &str)> = base
        .iter()
        .filter(|(name, _)| !changes.iter().any(|(changed, _)| changed == name))
        .copied()
        .collect();
    pairs.extend(changes.iter().filter(|(_, value)| !value.is_empty()));
    params(&pairs)
}

const PORTAL: &[(&str, &str)] = &[
    ("response_type", "code"),
    ("client_id", "portal"),
    ("redirect_uri", PORTAL_CB),
    ("scope", "openid profile"),
    ("state", "st-1"),
    ("nonce", "n-1"),
];

const APP: &[(&str, &str)] = &[
    ("response_type", "code"),
    ("client_id", "app"),
    ("redirect_uri", APP_CB),
    ("scope", "openid offline_access"),
    ("state", "st-2"),
    ("code_challenge", CHALLENGE),
    ("code_challenge_method", "S256"),
];

fn portal(changes: &[(&str, &str)]) -> Params {
    with(PORTAL, changes)
}

fn app(changes: &[(&str, &str)]) -> Params {
    with(APP, changes)
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

#[track_caller]
fn interaction(outcome: AuthorizeOutcome) -> InteractionRequired {
    match outcome {
        AuthorizeOutcome::Interaction(interaction) => *interaction,
        other => panic!("expected an interaction, got {other:?}"),
    }
}

/// The error a response carries, after checking it has `iss` (RFC 9207).
#[track_caller]
fn error_of(response: &AuthorizationResponse) -> &str {
    assert_eq!(
        response_param(response, "iss"),
        Some(ISSUER),
        "{response:?}"
    );
    assert_eq!(response_param(response, "code"), None);
    response_param(response, "error").expect("an error response")
}

/// Redeems nothing: reads the stored code record by consuming it in the store.
async fn stored_code(
    fixture: &Fixture,
    response: &AuthorizationResponse,
) -> pforte_oauth::model::AuthorizationCode {
    let code = response_param(response, "code").expect("a code");
    match fixture
        .store
        .consume_code(&sha256_b64url(code))
        .await
        .unwrap()
    {
        CodeConsumption::Fresh(record) => record,
        other => panic!("code not stored: {other:?}"),
    }
}

#[tokio::test]
async fn oidc_core_3_1_2_5_live_session_gets_a_code_with_state_and_iss() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[]), Some(&session))
            .await,
    );
    assert_eq!(response.redirect_uri, PORTAL_CB);
    assert_eq!(response.mode, ResponseMode::Query);
    let names: Vec<&str> = response.params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["code", "state", "iss"]);
    assert_eq!(response_param(&response, "state"), Some("st-1"));
    assert_eq!(response_param(&response, "iss"), Some(ISSUER));
    let code = response_param(&response, "code").unwrap();
    assert_eq!(code.len(), 43, "256-bit code");
    assert!(
        response
            .redirect_location()
            .starts_with(&format!("{PORTAL_CB}?code="))
    );

    let record = stored_code(&fixture, &response).await;
    assert_eq!(record.client_id, "portal");
    assert_eq!(record.account_id, fixture.account);
    assert_eq!(record.redirect_uri, PORTAL_CB);
    assert_eq!(record.scope, "openid profile");
    assert_eq!(record.nonce.as_deref(), Some("n-1"));
    assert_eq!(record.code_challenge, None);
    assert_eq!(record.auth.sid.as_deref(), Some("sid-1"));
    assert_eq!(record.auth.acr, "loa-low");
    assert_eq!(record.auth.amr, ["pwd"]);
    assert_eq!(record.auth.auth_time, session.auth_time);
    assert_eq!(
        record.expires_at,
        fixture.clock_now() + TimeDelta::seconds(60)
    );
    let grant = fixture
        .store
        .get_grant(&record.grant_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (grant.client_id.as_str(), grant.account_id),
        ("portal", fixture.account)
    );
    assert_eq!(grant.scope, "openid profile");
}

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
    fixture.add_client(&strict).await;

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
    fixture.add_client(&machine).await;
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
    fixture.add_client(&strict).await;
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

#[tokio::test]
async fn oidc_core_3_1_2_3_without_session_the_login_flow_takes_over() {
    let fixture = Fixture::new().await;
    let request = portal(&[
        ("scope", "openid email api"),
        ("login_hint", "erika"),
        ("ui_locales", "de en"),
        ("acr_values", "loa-high"),
        (
            "claims",
            r#"{"id_token":{"acr":{"essential":true,"values":["loa-substantial"]}},"userinfo":{"email":null}}"#,
        ),
        ("max_age", "600"),
        ("response_mode", "form_post"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let InteractionRequired { target, pending } =
        interaction(fixture.provider.authorize(&request, None).await);
    assert_eq!(target.client_id, "portal");
    assert_eq!(target.client_name.as_deref(), Some("portal portal"));
    assert_eq!(target.login_hint.as_deref(), Some("erika"));
    assert_eq!(target.required_account, None);
    assert!(!target.force_reauthentication);
    assert!(!target.consent_required);
    assert_eq!(target.acr_values, ["loa-high", "loa-substantial"]);
    assert_eq!(target.ui_locales, ["de", "en"]);
    assert_eq!(target.requested_scopes, ["openid", "email", "api"]);

    assert_eq!(pending.client_id, "portal");
    assert_eq!(pending.redirect_uri, PORTAL_CB);
    assert_eq!(pending.response_mode, ResponseMode::FormPost);
    assert_eq!(pending.scopes, ["openid", "email", "api"]);
    assert_eq!(pending.state.as_deref(), Some("st-1"));
    assert_eq!(pending.nonce.as_deref(), Some("n-1"));
    assert_eq!(pending.code_challenge.as_deref(), Some(CHALLENGE));
    assert_eq!(pending.max_age, Some(600));
    assert_eq!(pending.acr_values, target.acr_values);
    assert!(pending.claims.is_some());
    assert_eq!(pending.hinted_account, None);
}

#[tokio::test]
async fn oidc_core_3_1_2_1_prompt_login_and_consent_ask_the_user_again() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let cases = [
        ("login", true, false),
        ("consent", false, true),
        ("login consent", true, true),
    ];
    for (prompt, force, consent) in cases {
        let InteractionRequired { target, pending } = interaction(
            fixture
                .provider
                .authorize(&portal(&[("prompt", prompt)]), Some(&session))
                .await,
        );
        assert_eq!(target.force_reauthentication, force, "{prompt}");
        assert_eq!(target.consent_required, consent, "{prompt}");
        assert_eq!(pending.prompt.contains(&Prompt::Consent), consent);
    }
}

#[tokio::test]
async fn oidc_core_3_1_2_6_prompt_none_without_session_is_login_required() {
    let fixture = Fixture::new().await;
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[("prompt", "none")]), None)
            .await,
    );
    assert_eq!(error_of(&response), "login_required");
    assert_eq!(response_param(&response, "state"), Some("st-1"));
    assert_eq!(response.redirect_uri, PORTAL_CB);
}

#[tokio::test]
async fn oidc_core_3_1_2_1_prompt_none_with_session_issues_without_ui() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    fixture.clock.advance(TimeDelta::minutes(10));
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[("prompt", "none")]), Some(&session))
            .await,
    );
    let record = stored_code(&fixture, &response).await;
    assert_eq!(record.account_id, fixture.account);
    assert_eq!(
        record.auth.auth_time, session.auth_time,
        "auth_time stays the login's"
    );
}

#[tokio::test]
async fn oidc_core_3_1_2_1_max_age_forces_reauthentication_once_passed() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    fixture.clock.advance(TimeDelta::seconds(2));

    let within = respond(
        fixture
            .provider
            .authorize(&portal(&[("max_age", "10000")]), Some(&session))
            .await,
    );
    assert!(response_param(&within, "code").is_some());

    for max_age in ["1", "0"] {
        let InteractionRequired { target, .. } = interaction(
            fixture
                .provider
                .authorize(&portal(&[("max_age", max_age)]), Some(&session))
                .await,
        );
        assert!(target.force_reauthentication, "max_age={max_age}");
    }
    let silent = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("max_age", "1"), ("prompt", "none")]),
                Some(&session),
            )
            .await,
    );
    assert_eq!(error_of(&silent), "login_required");
}

#[tokio::test]
async fn oidc_core_3_1_2_1_id_token_hint_names_the_expected_user() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    // An expired hint is still a hint.
    fixture.clock.advance(TimeDelta::hours(2));

    let silent = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("prompt", "none"), ("id_token_hint", &hint)]),
                Some(&session),
            )
            .await,
    );
    assert!(response_param(&silent, "code").is_some(), "{silent:?}");

    let someone_else = fixture.id_token_for("portal", AccountId::new(), "sid-9");
    let silent_mismatch = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("prompt", "none"), ("id_token_hint", &someone_else)]),
                Some(&session),
            )
            .await,
    );
    assert_eq!(error_of(&silent_mismatch), "login_required");

    let InteractionRequired { target, pending } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &someone_else)]), Some(&session))
            .await,
    );
    assert!(target.force_reauthentication);
    assert!(target.required_account.is_some());
    assert_eq!(pending.hinted_account, target.required_account);

    let InteractionRequired { target, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &hint)]), None)
            .await,
    );
    assert_eq!(target.required_account, Some(fixture.account));
}

#[tokio::test]
async fn oidc_core_3_1_2_1_id_token_hint_for_another_client_is_refused() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let for_app = fixture.id_token_for("app", fixture.account, "sid-1");
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &for_app)]), Some(&session))
            .await,
    );
    assert_eq!(error_of(&response), "invalid_request");

    // A hint whose payload was swapped no longer verifies.
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    let other = fixture.id_token_for("portal", AccountId::new(), "sid-1");
    let parts: Vec<&str> = hint.split('.').collect();
    let other_parts: Vec<&str> = other.split('.').collect();
    let spliced = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &spliced)]), Some(&session))
            .await,
    );
    assert_eq!(error_of(&response), "invalid_request");
}

#[tokio::test]
async fn resume_after_login_issues_the_code_for_the_new_login() {
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("prompt", "login")]), None)
            .await,
    );
    fixture.clock.advance(TimeDelta::seconds(30));
    let mut login = fixture.login();
    login.sid = "sid-new".to_owned();
    login.amr = vec!["pwd".to_owned(), "otp".to_owned()];
    let response = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::NotAsked)
            .await,
    );
    assert_eq!(response_param(&response, "state"), Some("st-1"));
    assert_eq!(response_param(&response, "iss"), Some(ISSUER));
    let record = stored_code(&fixture, &response).await;
    assert_eq!(record.auth.sid.as_deref(), Some("sid-new"));
    assert_eq!(record.auth.amr, ["pwd", "otp"]);
    assert_eq!(record.auth.auth_time, login.auth_time);
    assert_eq!(
        record.expires_at,
        fixture.clock_now() + TimeDelta::seconds(60)
    );
}

#[tokio::test]
async fn resume_honours_the_consent_decision() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("prompt", "consent")]), Some(&session))
            .await,
    );
    let login = session.as_auth_result();

    let denied = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::Denied)
            .await,
    );
    assert_eq!(error_of(&denied), "access_denied");
    assert_eq!(response_param(&denied, "state"), Some("st-1"));

    let not_asked = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::NotAsked)
            .await,
    );
    assert_eq!(error_of(&not_asked), "consent_required");

    let granted = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::Granted)
            .await,
    );
    assert!(response_param(&granted, "code").is_some());
}

#[tokio::test]
async fn resume_refuses_a_login_by_another_account_than_the_hint_names() {
    let fixture = Fixture::new().await;
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &hint)]), None)
            .await,
    );
    let mut login = fixture.login();
    login.account_id = AccountId::new();
    let response = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::NotAsked)
            .await,
    );
    assert_eq!(error_of(&response), "login_required");
}

#[tokio::test]
async fn resume_checks_the_client_and_redirect_uri_again() {
    use pforte_oauth::ports::ClientStore;
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } =
        interaction(fixture.provider.authorize(&portal(&[]), None).await);

    let mut tampered = pending.clone();
    tampered.redirect_uri = "https://evil.example/cb".to_owned();
    error_page(
        fixture
            .provider
            .resume_authorization(&tampered, &fixture.login(), ConsentDecision::NotAsked)
            .await,
    );

    fixture.store.remove_client("portal").await.unwrap();
    error_page(
        fixture
            .provider
            .resume_authorization(&pending, &fixture.login(), ConsentDecision::NotAsked)
            .await,
    );
}

#[tokio::test]
async fn abort_sends_the_error_with_state_and_iss_to_the_verified_uri() {
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("response_mode", "form_post")]), None)
            .await,
    );
    let error = OAuthError::new(ErrorCode::AccessDenied, "PF-TEST-1", "the user cancelled");
    let response = fixture.provider.abort_authorization(&pending, &error);
    assert_eq!(response.redirect_uri, PORTAL_CB);
    assert_eq!(response.mode, ResponseMode::FormPost);
    assert_eq!(
        response.params,
        [
            ("error".to_owned(), "access_denied".to_owned()),
            (
                "error_description".to_owned(),
                "the user cancelled".to_owned()
            ),
            ("state".to_owned(), "st-1".to_owned()),
            ("iss".to_owned(), ISSUER.to_owned()),
        ]
    );
}

#[tokio::test]
async fn codes_are_single_use_and_distinct() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let first = respond(
        fixture
            .provider
            .authorize(&portal(&[]), Some(&session))
            .await,
    );
    let second = respond(
        fixture
            .provider
            .authorize(&portal(&[]), Some(&session))
            .await,
    );
    assert_ne!(
        response_param(&first, "code"),
        response_param(&second, "code")
    );
    let digest = sha256_b64url(response_param(&first, "code").unwrap());
    assert!(matches!(
        fixture.store.consume_code(&digest).await.unwrap(),
        CodeConsumption::Fresh(_)
    ));
    assert!(matches!(
        fixture.store.consume_code(&digest).await.unwrap(),
        CodeConsumption::AlreadyUsed { .. }
    ));
}

/// A provider whose configuration asks for ten-minute codes.
async fn provider_with_long_code_ttl() -> (pforte_oauth::Provider, pforte_store::SqlStore, Fixture)
{
    use pforte_crypto::{MasterKey, SecretDigester};
    use pforte_oauth::ports::ClientStore;
    use pforte_oauth::{KeyManager, Provider, ProviderConfig, ProviderPorts};
    use std::sync::Arc;

    let fixture = Fixture::new().await;
    let store = pforte_store::SqlStore::connect("sqlite::memory:")
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let master = MasterKey::generate();
    let secrets = SecretDigester::new(&master);
    let mut config = ProviderConfig::with_issuer(ISSUER);
    config.code_ttl = std::time::Duration::from_secs(600);
    let clock = Arc::new(fixture.clock.clone());
    let keys = KeyManager::load(
        Arc::new(store.clone()),
        master,
        clock.clone(),
        config.longest_signed_token_lifetime(),
    )
    .await
    .unwrap();
    let ports = ProviderPorts {
        clients: Arc::new(store.clone()),
        grants: Arc::new(store.clone()),
        claims: Arc::new(store.clone()),
    };
    let provider = Provider::new(config, ports, Arc::new(keys), secrets.clone(), clock).unwrap();
    store
        .insert_client(&web_client("portal", &secrets))
        .await
        .unwrap();
    (provider, store, fixture)
}

#[tokio::test]
async fn asvs_10_4_3_codes_live_at_most_sixty_seconds_whatever_the_configuration() {
    let (provider, store, fixture) = provider_with_long_code_ttl().await;
    let response = respond(
        provider
            .authorize(&portal(&[]), Some(&fixture.session()))
            .await,
    );
    let code = response_param(&response, "code").unwrap();
    let CodeConsumption::Fresh(record) = store.consume_code(&sha256_b64url(code)).await.unwrap()
    else {
        panic!("code not stored");
    };
    assert_eq!(
        record.expires_at,
        fixture.clock_now() + TimeDelta::seconds(60)
    );
}
