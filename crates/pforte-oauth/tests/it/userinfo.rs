//! Tests of `userinfo`: token transport (RFC 6750 2), verification and the
//! claims released (OIDC Core 5.3, 5.4, 5.5).

use crate::support::*;
use chrono::Duration;
use pforte_oauth::model::{ClientAuthMethod, GrantType};
use pforte_oauth::ports::GrantStore;
use pforte_oauth::{ErrorCode, OAuthError};
use serde_json::{Value, json};

async fn userinfo_get(f: &Fixture, access_token: &str) -> Result<Value, OAuthError> {
    f.provider
        .userinfo(Some(&bearer(access_token)), &params(&[]))
        .await
}

#[tokio::test]
async fn oidc_core_5_3_get_with_bearer_header_returns_the_scope_claims() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let claims = userinfo_get(&f, &tokens.access_token).await.unwrap();
    assert_eq!(
        claims,
        json!({
            "sub": f.account.to_string(),
            "name": "Erika Mustermann",
            "given_name": "Erika",
            "family_name": "Mustermann",
            "preferred_username": "erika",
            "updated_at": t0().timestamp(),
            "email": "erika@example.test",
            "email_verified": true,
        })
    );
}

#[tokio::test]
async fn oidc_core_5_4_phone_scope_releases_the_phone_claims() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal().scope("openid phone")).await;
    let tokens = f.redeem_portal(&code).await.unwrap();
    let claims = userinfo_get(&f, &tokens.access_token).await.unwrap();
    assert_eq!(
        claims,
        json!({
            "sub": f.account.to_string(),
            "phone_number": "+4915112345678",
            "phone_number_verified": false,
        })
    );
}

#[tokio::test]
async fn oidc_core_5_5_claims_request_userinfo_member_adds_single_claims() {
    let f = Fixture::new().await;
    let mut request = CodeRequest::portal().scope("openid");
    request.claims_request = Some(json!({
        "userinfo": {"given_name": {"essential": true}, "email": null, "shoe_size": null},
        "id_token": {"family_name": null},
    }));
    let code = f.code(&request).await;
    let tokens = f.redeem_portal(&code).await.unwrap();
    let claims = userinfo_get(&f, &tokens.access_token).await.unwrap();
    assert_eq!(
        claims,
        json!({
            "sub": f.account.to_string(),
            "given_name": "Erika",
            "email": "erika@example.test",
        })
    );
}

#[tokio::test]
async fn rfc6750_2_1_bearer_scheme_is_case_insensitive() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let header = format!("bEaReR {}", tokens.access_token);
    let claims = f
        .provider
        .userinfo(Some(&header), &params(&[]))
        .await
        .unwrap();
    assert_eq!(claims["sub"], f.account.to_string());
}

#[tokio::test]
async fn rfc6750_2_2_post_with_the_token_in_the_form_body() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let body = params(&[("access_token", &tokens.access_token)]);
    let claims = f.provider.userinfo(None, &body).await.unwrap();
    assert_eq!(claims["email"], "erika@example.test");
}

#[tokio::test]
async fn rfc6750_2_token_in_header_and_body_is_invalid_request() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let body = params(&[("access_token", &tokens.access_token)]);
    let error = f
        .provider
        .userinfo(Some(&bearer(&tokens.access_token)), &body)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
    assert_eq!(error.status(), 400);
}

#[tokio::test]
async fn rfc6750_3_1_request_without_token_is_401() {
    let f = Fixture::new().await;
    let error = f.provider.userinfo(None, &params(&[])).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidToken);
    assert_eq!(error.status(), 401);
    assert!(error.requires_www_authenticate());
    assert_eq!(error.public_code, "PF-OAUTH-220");
}

#[tokio::test]
async fn rfc6750_3_1_token_without_openid_scope_is_insufficient_scope() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal().scope("api")).await;
    let tokens = f.redeem_portal(&code).await.unwrap();
    let error = userinfo_get(&f, &tokens.access_token).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InsufficientScope);
    assert_eq!(error.status(), 403);

    // A client credentials token names no user.
    let mut batch = confidential_client(
        "batch",
        ClientAuthMethod::ClientSecretBasic,
        &[GrantType::ClientCredentials],
        &f.secrets,
    );
    batch.extra_scopes = vec!["api".to_owned()];
    f.add_client(batch).await;
    let response = f
        .provider
        .token(
            &params(&[("grant_type", "client_credentials")]),
            Some(&basic("batch", SECRET)),
        )
        .await
        .unwrap();
    let error = userinfo_get(&f, &response.access_token).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InsufficientScope);
}

#[tokio::test]
async fn rfc6750_3_1_expired_token_is_invalid_token() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    f.clock.advance(Duration::seconds(299));
    assert!(userinfo_get(&f, &tokens.access_token).await.is_ok());
    f.clock.advance(Duration::seconds(1));
    let error = userinfo_get(&f, &tokens.access_token).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidToken);
    assert!(error.description.contains("expired"));
}

#[tokio::test]
async fn rfc7009_2_revoked_access_token_is_invalid_token() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    f.provider
        .revoke(
            &params(&[("token", &tokens.access_token)]),
            Some(&basic("portal", SECRET)),
        )
        .await
        .unwrap();
    let error = userinfo_get(&f, &tokens.access_token).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidToken);
}

#[tokio::test]
async fn rfc9700_4_14_token_of_a_revoked_grant_is_invalid_token() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    let tokens = f.redeem_portal(&code).await.unwrap();
    f.store
        .revoke_grant(&code.grant_id, f.clock_now())
        .await
        .unwrap();
    let error = userinfo_get(&f, &tokens.access_token).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidToken);
}

#[tokio::test]
async fn asvs_9_1_1_tampered_or_foreign_tokens_are_invalid_token() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    // Swap the payload for one claiming more scope: the signature breaks.
    let mut parts: Vec<String> = tokens.access_token.split('.').map(str::to_owned).collect();
    let mut claims = claims_of(&tokens.access_token);
    claims.insert("scope".into(), json!("openid profile email phone"));
    use base64::Engine;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&claims).unwrap());
    let forged = parts.join(".");
    for token in [forged.as_str(), "garbage", "a.b.c"] {
        let error = userinfo_get(&f, token).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidToken, "{token}");
    }
}

#[tokio::test]
async fn asvs_9_2_2_an_id_token_is_not_accepted_as_access_token() {
    let f = Fixture::new().await;
    let tokens = f.portal_tokens().await;
    let error = userinfo_get(&f, tokens.id_token.as_deref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidToken);
}
