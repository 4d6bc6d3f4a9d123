//! The whole code flow through the `Provider`: authorization request, login,
//! code, token request, and the ID token coming back as `id_token_hint` at the
//! authorization and end-session endpoints (OIDC Core 3.1; RP-Initiated
//! Logout 1.0).

use super::*;
use crate::support::{SECRET, VERIFIER, basic, claims_of};
use pforte_oauth::LogoutOutcome;

/// Redeems the code of `response` at the token endpoint.
async fn redeem(
    fixture: &Fixture,
    response: &AuthorizationResponse,
    extra: &[(&str, &str)],
    authorization: Option<&str>,
) -> Result<pforte_oauth::TokenResponse, OAuthError> {
    let code = response_param(response, "code").expect("a code");
    let mut pairs = vec![("grant_type", "authorization_code"), ("code", code)];
    pairs.extend_from_slice(extra);
    fixture.provider.token(&params(&pairs), authorization).await
}

#[tokio::test]
async fn oidc_core_3_1_public_app_logs_in_and_redeems_its_code_with_pkce() {
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } =
        interaction(fixture.provider.authorize(&app(&[]), None).await);
    let login = fixture.login();
    let response = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::NotAsked)
            .await,
    );
    assert_eq!(response.redirect_uri, APP_CB);
    assert_eq!(response_param(&response, "state"), Some("st-2"));

    let tokens = redeem(
        &fixture,
        &response,
        &[
            ("client_id", "app"),
            ("redirect_uri", APP_CB),
            ("code_verifier", VERIFIER),
        ],
        None,
    )
    .await
    .unwrap();
    let id_token = claims_of(tokens.id_token.as_deref().expect("an ID token"));
    assert_eq!(id_token["sub"], fixture.account.to_string());
    assert_eq!(id_token["aud"], "app");
    assert_eq!(id_token["sid"], "sid-1");
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access was asked for"
    );
}

#[tokio::test]
async fn rfc6749_4_1_3_the_code_is_bound_to_the_exact_loopback_uri_and_verifier() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let other_port = "http://127.0.0.1:40000/callback";
    let cases = [
        (
            vec![("redirect_uri", other_port), ("code_verifier", VERIFIER)],
            "another port",
        ),
        (
            vec![
                ("redirect_uri", APP_CB),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX",
                ),
            ],
            "wrong verifier",
        ),
        (vec![("redirect_uri", APP_CB)], "no verifier"),
    ];
    for (extra, what) in cases {
        let response = respond(fixture.provider.authorize(&app(&[]), Some(&session)).await);
        let mut body = vec![("client_id", "app")];
        body.extend(extra);
        let error = redeem(&fixture, &response, &body, None).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidGrant, "{what}");
    }
}

#[tokio::test]
async fn oidc_core_3_1_2_1_the_issued_id_token_works_as_hint_for_silent_login_and_logout() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[]), Some(&session))
            .await,
    );
    let tokens = redeem(
        &fixture,
        &response,
        &[("redirect_uri", PORTAL_CB)],
        Some(&basic("portal", SECRET)),
    )
    .await
    .unwrap();
    let id_token = tokens.id_token.expect("an ID token");
    assert_eq!(claims_of(&id_token)["nonce"], "n-1");

    // Long after it expired, the ID token is still a valid hint.
    fixture.clock.advance(TimeDelta::hours(1));
    let silent = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("prompt", "none"), ("id_token_hint", &id_token)]),
                Some(&session),
            )
            .await,
    );
    assert!(response_param(&silent, "code").is_some(), "{silent:?}");

    let logout = params(&[
        ("id_token_hint", &id_token),
        ("post_logout_redirect_uri", "https://portal.example/bye"),
        ("state", "bye"),
    ]);
    assert_eq!(
        fixture
            .provider
            .end_session(&logout, Some(&session))
            .await
            .unwrap(),
        LogoutOutcome::Proceed {
            redirect_to: Some("https://portal.example/bye?state=bye".to_owned())
        }
    );
}
