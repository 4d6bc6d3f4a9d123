//! Tests of `revocation` (RFC 7009).

use crate::support::*;
use pforte_oauth::ErrorCode;
use serde_json::json;

async fn revoke_as_portal(
    f: &Fixture,
    pairs: &[(&str, &str)],
) -> Result<(), pforte_oauth::OAuthError> {
    f.provider
        .revoke(&params(pairs), Some(&basic("portal", SECRET)))
        .await
}

async fn is_active(f: &Fixture, token: &str) -> bool {
    f.provider
        .introspect(&params(&[("token", token)]), Some(&basic("portal", SECRET)))
        .await
        .unwrap()["active"]
        == json!(true)
}

#[tokio::test]
async fn rfc7009_2_1_revoking_a_refresh_token_revokes_its_grant_and_access_tokens() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let refresh = tokens.refresh_token.clone().unwrap();
    revoke_as_portal(
        &f,
        &[("token", &refresh), ("token_type_hint", "refresh_token")],
    )
    .await
    .unwrap();
    assert!(!is_active(&f, &refresh).await);
    assert!(!is_active(&f, &tokens.access_token).await);
    let error = f
        .provider
        .userinfo(Some(&bearer(&tokens.access_token)), &params(&[]))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidToken);
    let error = f.refresh_portal(&refresh, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc7009_2_1_revoking_an_access_token_leaves_the_refresh_token() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    revoke_as_portal(&f, &[("token", &tokens.access_token)])
        .await
        .unwrap();
    assert!(!is_active(&f, &tokens.access_token).await);
    let refresh = tokens.refresh_token.as_deref().unwrap();
    assert!(is_active(&f, refresh).await);
    let refreshed = f.refresh_portal(refresh, None).await.unwrap();
    assert!(is_active(&f, &refreshed.access_token).await);
}

#[tokio::test]
async fn rfc7009_2_1_a_wrong_hint_still_revokes_the_token() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    revoke_as_portal(
        &f,
        &[
            ("token", &tokens.access_token),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .await
    .unwrap();
    assert!(!is_active(&f, &tokens.access_token).await);
    let refresh = tokens.refresh_token.as_deref().unwrap();
    revoke_as_portal(
        &f,
        &[("token", refresh), ("token_type_hint", "access_token")],
    )
    .await
    .unwrap();
    assert!(!is_active(&f, refresh).await);
}

#[tokio::test]
async fn rfc7009_2_2_unknown_expired_or_repeated_tokens_are_answered_with_success() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    for token in ["never-issued", "a.b.c"] {
        revoke_as_portal(&f, &[("token", token)]).await.unwrap();
    }
    let refresh = tokens.refresh_token.as_deref().unwrap();
    revoke_as_portal(&f, &[("token", refresh)]).await.unwrap();
    revoke_as_portal(&f, &[("token", refresh)]).await.unwrap();
    f.clock.advance(chrono::Duration::seconds(300));
    revoke_as_portal(&f, &[("token", &tokens.access_token)])
        .await
        .unwrap();
}

#[tokio::test]
async fn rfc7009_2_1_tokens_of_another_client_are_refused_and_stay_valid() {
    let f = Fixture::new().await;
    f.add_client(web_client("broker", &f.secrets)).await;
    let tokens = f.portal_tokens().await;
    let refresh = tokens.refresh_token.as_deref().unwrap();
    for token in [tokens.access_token.as_str(), refresh] {
        let error = f
            .provider
            .revoke(&params(&[("token", token)]), Some(&basic("broker", SECRET)))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidGrant);
        assert!(is_active(&f, token).await);
    }
}

#[tokio::test]
async fn rfc7009_2_1_public_client_revokes_its_own_refresh_token_with_client_id() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::app()).await;
    let body = params(&[
        ("grant_type", "authorization_code"),
        ("code", &code.code),
        ("redirect_uri", "http://127.0.0.1/callback"),
        ("client_id", "app"),
        ("code_verifier", VERIFIER),
    ]);
    let tokens = f.provider.token(&body, None).await.unwrap();
    let refresh = tokens.refresh_token.as_deref().unwrap();
    f.provider
        .revoke(&params(&[("token", refresh), ("client_id", "app")]), None)
        .await
        .unwrap();
    let refresh_body = params(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", "app"),
    ]);
    let error = f.provider.token(&refresh_body, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc7009_2_1_client_must_authenticate_and_name_the_token() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let error = f
        .provider
        .revoke(
            &params(&[("token", &tokens.access_token)]),
            Some(&basic("portal", "wrong")),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidClient);
    assert!(is_active(&f, &tokens.access_token).await);
    let error = revoke_as_portal(&f, &[]).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}
