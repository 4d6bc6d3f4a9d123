//! Tests of `introspection` (RFC 7662).

use crate::support::*;
use chrono::Duration;
use pforte_oauth::ErrorCode;
use serde_json::{Value, json};

async fn introspect_as_portal(f: &Fixture, pairs: &[(&str, &str)]) -> Value {
    f.provider
        .introspect(&params(pairs), Some(&basic("portal", SECRET)))
        .await
        .unwrap()
}

#[tokio::test]
async fn rfc7662_2_2_rfc9470_6_2_active_access_token_is_described_with_its_login() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let answer = introspect_as_portal(&f, &[("token", &tokens.access_token)]).await;
    let claims = claims_of(&tokens.access_token);
    let now = f.clock_now().timestamp();
    assert_eq!(
        answer,
        json!({
            "active": true,
            "scope": "openid profile email",
            "client_id": "portal",
            "token_type": "Bearer",
            "exp": now + 300,
            "iat": now,
            "sub": f.account.to_string(),
            "aud": ["portal", format!("{ISSUER}/userinfo")],
            "iss": ISSUER,
            "jti": claims["jti"],
            "username": "erika",
            "auth_time": now,
            "acr": "loa-low",
            "amr": ["pwd"],
        })
    );
}

#[tokio::test]
async fn rfc7662_2_2_rfc9470_6_2_active_refresh_token_is_described_with_its_login() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let refresh = tokens.refresh_token.as_deref().unwrap();
    let answer = introspect_as_portal(&f, &[("token", refresh)]).await;
    let now = f.clock_now();
    assert_eq!(
        answer,
        json!({
            "active": true,
            "scope": "openid profile email",
            "client_id": "portal",
            "token_type": "refresh_token",
            "exp": (now + Duration::days(30)).timestamp(),
            "iat": now.timestamp(),
            "sub": f.account.to_string(),
            "aud": "portal",
            "iss": ISSUER,
            "username": "erika",
            "auth_time": now.timestamp(),
            "acr": "loa-low",
            "amr": ["pwd"],
        })
    );
}

#[tokio::test]
async fn rfc7662_2_1_a_wrong_hint_still_finds_the_token() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let refresh = tokens.refresh_token.as_deref().unwrap();
    let answer = introspect_as_portal(
        &f,
        &[
            ("token", &tokens.access_token),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await;
    assert_eq!(answer["active"], true);
    let answer = introspect_as_portal(
        &f,
        &[("token", refresh), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(answer["active"], true);
    let answer =
        introspect_as_portal(&f, &[("token", refresh), ("token_type_hint", "made_up")]).await;
    assert_eq!(answer["active"], true);
}

#[tokio::test]
async fn rfc7662_2_2_unknown_and_malformed_tokens_are_inactive() {
    let f = Fixture::new().await;
    for token in ["never-issued", "a.b.c", "x"] {
        assert_eq!(
            introspect_as_portal(&f, &[("token", token)]).await,
            json!({"active": false}),
            "{token}"
        );
    }
}

#[tokio::test]
async fn rfc7662_2_2_expired_tokens_are_inactive() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    f.clock.advance(Duration::seconds(300));
    assert_eq!(
        introspect_as_portal(&f, &[("token", &tokens.access_token)]).await,
        json!({"active": false})
    );
    f.clock.advance(Duration::days(30));
    assert_eq!(
        introspect_as_portal(&f, &[("token", tokens.refresh_token.as_deref().unwrap())]).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn rfc7662_2_2_revoked_and_rotated_tokens_are_inactive() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let old_refresh = tokens.refresh_token.clone().unwrap();
    let rotated = f.refresh_portal(&old_refresh, None).await.unwrap();
    assert_eq!(
        introspect_as_portal(&f, &[("token", &old_refresh)]).await["active"],
        false
    );
    f.provider
        .revoke(
            &params(&[("token", &rotated.access_token)]),
            Some(&basic("portal", SECRET)),
        )
        .await
        .unwrap();
    assert_eq!(
        introspect_as_portal(&f, &[("token", &rotated.access_token)]).await["active"],
        false
    );
    // The first access token's grant stands: still active.
    assert_eq!(
        introspect_as_portal(&f, &[("token", &tokens.access_token)]).await["active"],
        true
    );
}

#[tokio::test]
async fn rfc7662_4_tokens_of_another_client_are_inactive() {
    let f = Fixture::new().await;
    f.add_client(web_client("broker", &f.secrets)).await;
    let tokens = f.portal_tokens().await;
    for token in [
        tokens.access_token.as_str(),
        tokens.refresh_token.as_deref().unwrap(),
    ] {
        let answer = f
            .provider
            .introspect(&params(&[("token", token)]), Some(&basic("broker", SECRET)))
            .await
            .unwrap();
        assert_eq!(answer, json!({"active": false}));
    }
}

#[tokio::test]
async fn rfc7662_2_1_caller_must_authenticate_as_a_confidential_client() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let error = f
        .provider
        .introspect(
            &params(&[("token", &tokens.access_token), ("client_id", "app")]),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidClient);
    let error = f
        .provider
        .introspect(
            &params(&[("token", &tokens.access_token)]),
            Some(&basic("portal", "wrong")),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidClient);
}

#[tokio::test]
async fn rfc7662_2_1_token_parameter_is_required() {
    let f = Fixture::new().await;
    let error = f
        .provider
        .introspect(&params(&[]), Some(&basic("portal", SECRET)))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}
