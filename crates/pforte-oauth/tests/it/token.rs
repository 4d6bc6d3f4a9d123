//! Tests of `token`: the authorization code, refresh token and client
//! credentials grants through `Provider::token`.

use crate::support::*;
use chrono::Duration;
use pforte_crypto::SigningAlg;
use pforte_crypto::jose::oidc_hash;
use pforte_oauth::ErrorCode;
use pforte_oauth::model::{ClientAuthMethod, GrantType};
use pforte_oauth::ports::GrantStore;
use serde_json::json;

fn code_body<'a>(code: &'a str, redirect_uri: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ]
}

// ---- authorization_code -------------------------------------------------

#[tokio::test]
async fn oidc_core_3_1_3_3_code_is_exchanged_for_access_id_and_refresh_tokens() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    let response = f.redeem_portal(&code).await.unwrap();
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(response.expires_in, 300);
    assert_eq!(response.scope, "openid profile email");
    assert!(response.refresh_token.as_ref().unwrap().len() >= 43);

    let id_token = response.id_token.as_deref().unwrap();
    let (header, claims) = f.verify_issued(id_token);
    assert_eq!(header["alg"], "RS256");
    let now = f.clock_now().timestamp();
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], f.account.to_string());
    assert_eq!(claims["aud"], "portal");
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 300);
    assert_eq!(claims["auth_time"], now);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["acr"], "loa-low");
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["sid"], "sid-1");
    assert_eq!(
        claims["at_hash"],
        oidc_hash(SigningAlg::RS256, &response.access_token)
    );
    // OIDC Core 5.4: profile and email claims, `name` built from its parts.
    assert_eq!(claims["name"], "Erika Mustermann");
    assert_eq!(claims["given_name"], "Erika");
    assert_eq!(claims["family_name"], "Mustermann");
    assert_eq!(claims["preferred_username"], "erika");
    assert_eq!(claims["updated_at"], t0().timestamp());
    assert_eq!(claims["email"], "erika@example.test");
    assert_eq!(claims["email_verified"], true);
    assert!(!claims.contains_key("phone_number"));
}

#[tokio::test]
async fn rfc9068_2_access_token_is_an_at_jwt_with_the_grant_claims() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    let response = f.redeem_portal(&code).await.unwrap();
    let (header, claims) = f.verify_issued(&response.access_token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    let now = f.clock_now().timestamp();
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], f.account.to_string());
    assert_eq!(claims["client_id"], "portal");
    assert_eq!(
        claims["aud"],
        json!(["portal", format!("{ISSUER}/userinfo")])
    );
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 300);
    assert_eq!(claims["scope"], "openid profile email");
    assert_eq!(claims["auth_time"], now);
    assert_eq!(claims["acr"], "loa-low");
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["grant_id"], code.grant_id.as_str());
    assert!(claims["jti"].as_str().unwrap().len() >= 22);
}

#[tokio::test]
async fn rfc6749_4_1_2_reused_code_is_refused_and_revokes_everything_issued_from_it() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    let first = f.redeem_portal(&code).await.unwrap();
    f.clock.advance(Duration::seconds(30));
    let error = f.redeem_portal(&code).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
    // RFC 9700 4.14: the tokens of the first redemption stop working.
    let grant = f.store.get_grant(&code.grant_id).await.unwrap().unwrap();
    assert!(grant.revoked_at.is_some());
    let userinfo = f
        .provider
        .userinfo(Some(&bearer(&first.access_token)), &params(&[]))
        .await
        .unwrap_err();
    assert_eq!(userinfo.code, ErrorCode::InvalidToken);
    let refresh = f
        .refresh_portal(first.refresh_token.as_deref().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(refresh.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc6749_5_2_unknown_code_is_invalid_grant() {
    let f = Fixture::new().await;
    let unknown = IssuedCode {
        code: "never-issued".to_owned(),
        grant_id: String::new(),
    };
    assert_eq!(
        f.redeem_portal(&unknown).await.unwrap_err().code,
        ErrorCode::InvalidGrant
    );
}

#[tokio::test]
async fn rfc9700_4_2_expired_code_is_invalid_grant() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    f.clock.advance(Duration::seconds(60));
    let error = f.redeem_portal(&code).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
    assert!(error.description.contains("expired"));
}

#[tokio::test]
async fn rfc6749_4_1_3_code_of_another_client_is_invalid_grant() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    let body = params(&[
        ("grant_type", "authorization_code"),
        ("code", &code.code),
        ("redirect_uri", "https://portal.example/cb"),
        ("client_id", "app"),
        ("code_verifier", VERIFIER),
    ]);
    let error = f.provider.token(&body, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
    assert!(error.description.contains("another client"));
}

#[tokio::test]
async fn rfc6749_4_1_3_redirect_uri_must_match_exactly_and_is_required() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    let body = params(&code_body(&code.code, "https://portal.example/cb/"));
    let error = f
        .provider
        .token(&body, Some(&basic("portal", SECRET)))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);

    let code = f.code(&CodeRequest::portal()).await;
    let body = params(&[("grant_type", "authorization_code"), ("code", &code.code)]);
    let error = f
        .provider
        .token(&body, Some(&basic("portal", SECRET)))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

async fn redeem_app(
    f: &Fixture,
    code: &IssuedCode,
    verifier: Option<&str>,
) -> Result<pforte_oauth::TokenResponse, pforte_oauth::OAuthError> {
    let mut pairs = code_body(&code.code, "http://127.0.0.1/callback");
    pairs.push(("client_id", "app"));
    if let Some(verifier) = verifier {
        pairs.push(("code_verifier", verifier));
    }
    f.provider.token(&params(&pairs), None).await
}

#[tokio::test]
async fn rfc7636_4_6_public_client_redeems_with_the_matching_verifier() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::app()).await;
    let response = redeem_app(&f, &code, Some(VERIFIER)).await.unwrap();
    assert!(response.id_token.is_some());
    assert!(response.refresh_token.is_some());
    let (_, claims) = f.verify_issued(response.id_token.as_deref().unwrap());
    assert_eq!(claims["aud"], "app");
    assert!(!claims.contains_key("nonce"));
}

#[tokio::test]
async fn rfc7636_4_6_wrong_verifier_is_invalid_grant() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::app()).await;
    let wrong = "A".repeat(43);
    let error = redeem_app(&f, &code, Some(&wrong)).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc7636_4_6_missing_verifier_is_invalid_grant() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::app()).await;
    let error = redeem_app(&f, &code, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc7636_4_1_malformed_verifier_is_invalid_grant() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::app()).await;
    let error = redeem_app(&f, &code, Some("too-short")).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc9700_2_1_1_verifier_without_stored_challenge_is_a_rejected_downgrade() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    let mut pairs = code_body(&code.code, "https://portal.example/cb");
    pairs.push(("code_verifier", VERIFIER));
    let error = f
        .provider
        .token(&params(&pairs), Some(&basic("portal", SECRET)))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc9700_2_1_1_public_client_code_without_challenge_is_refused() {
    let f = Fixture::new().await;
    let mut request = CodeRequest::app();
    request.code_challenge = None;
    let code = f.code(&request).await;
    let error = redeem_app(&f, &code, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
}

#[tokio::test]
async fn rfc9700_4_14_code_of_a_revoked_grant_is_invalid_grant() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    f.store
        .revoke_grant(&code.grant_id, f.clock_now())
        .await
        .unwrap();
    assert_eq!(
        f.redeem_portal(&code).await.unwrap_err().code,
        ErrorCode::InvalidGrant
    );
}

#[tokio::test]
async fn rfc6749_5_2_unknown_grant_type_is_unsupported_grant_type() {
    let f = Fixture::new().await;
    for grant_type in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let body = params(&[("grant_type", grant_type), ("username", "erika")]);
        let error = f
            .provider
            .token(&body, Some(&basic("portal", SECRET)))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::UnsupportedGrantType, "{grant_type}");
        assert_eq!(error.status(), 400);
    }
    let error = f
        .provider
        .token(&params(&[]), Some(&basic("portal", SECRET)))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn rfc6749_5_2_grant_type_not_registered_for_the_client_is_unauthorized_client() {
    let f = Fixture::new().await;
    let body = params(&[("grant_type", "client_credentials")]);
    let error = f
        .provider
        .token(&body, Some(&basic("portal", SECRET)))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::UnauthorizedClient);
}

#[tokio::test]
async fn rfc6749_5_2_token_request_with_wrong_secret_is_invalid_client() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal()).await;
    let body = params(&code_body(&code.code, "https://portal.example/cb"));
    let error = f
        .provider
        .token(&body, Some(&basic("portal", "wrong")))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidClient);
    assert_eq!(error.status(), 401);
    assert!(error.requires_www_authenticate());
    // The code was not touched by the failed request.
    assert!(f.redeem_portal(&code).await.is_ok());
}

#[tokio::test]
async fn oidc_core_11_no_refresh_token_for_a_client_without_the_refresh_grant() {
    let f = Fixture::new().await;
    f.add_client(confidential_client(
        "once",
        ClientAuthMethod::ClientSecretBasic,
        &[GrantType::AuthorizationCode],
        &f.secrets,
    ))
    .await;
    let code = f
        .code(&CodeRequest::portal().client("once", "https://once.example/cb"))
        .await;
    let body = params(&code_body(&code.code, "https://once.example/cb"));
    let response = f
        .provider
        .token(&body, Some(&basic("once", SECRET)))
        .await
        .unwrap();
    assert!(response.refresh_token.is_none());
    assert!(response.id_token.is_some());
}

#[tokio::test]
async fn oidc_core_3_1_3_3_no_id_token_without_openid_scope() {
    let f = Fixture::new().await;
    let code = f.code(&CodeRequest::portal().scope("api")).await;
    let response = f.redeem_portal(&code).await.unwrap();
    assert!(response.id_token.is_none());
    assert_eq!(response.scope, "api");
    let claims = claims_of(&response.access_token);
    assert_eq!(claims["aud"], "portal");
}

#[tokio::test]
async fn oidc_core_5_5_claims_request_adds_id_token_claims_beyond_the_scopes() {
    let f = Fixture::new().await;
    let mut request = CodeRequest::portal().scope("openid");
    request.claims_request = Some(json!({
        "id_token": {"email": {"essential": true}, "phone_number": null},
        "userinfo": {"given_name": null},
    }));
    let code = f.code(&request).await;
    let response = f.redeem_portal(&code).await.unwrap();
    let (_, claims) = f.verify_issued(response.id_token.as_deref().unwrap());
    assert_eq!(claims["email"], "erika@example.test");
    assert_eq!(claims["phone_number"], "+4915112345678");
    // Only the claims named are released, not their scope companions.
    assert!(!claims.contains_key("phone_number_verified"));
    assert!(!claims.contains_key("email_verified"));
    assert!(!claims.contains_key("given_name"));
    assert!(!claims.contains_key("name"));
    assert_eq!(
        claims_of(&response.access_token)["userinfo_claims"],
        json!(["given_name"])
    );
}

#[tokio::test]
async fn oidc_registration_2_id_token_uses_the_clients_registered_algorithm() {
    let f = Fixture::new().await;
    for alg in [SigningAlg::ES256, SigningAlg::PS256, SigningAlg::EdDSA] {
        let client_id = format!("rp-{}", alg.as_str().to_lowercase());
        let mut client = web_client(&client_id, &f.secrets);
        client.id_token_alg = alg;
        let redirect_uri = client.redirect_uris[0].clone();
        f.add_client(client).await;
        let code = f
            .code(&CodeRequest::portal().client(&client_id, &redirect_uri))
            .await;
        let body = params(&code_body(&code.code, &redirect_uri));
        let response = f
            .provider
            .token(&body, Some(&basic(&client_id, SECRET)))
            .await
            .unwrap();
        let id_token = response.id_token.unwrap();
        let (header, claims) = f.verify_issued(&id_token);
        assert_eq!(header["alg"], alg.as_str());
        assert_eq!(claims["at_hash"], oidc_hash(alg, &response.access_token));
    }
}

// ---- refresh_token --------------------------------------------------------

#[tokio::test]
async fn rfc9700_4_14_2_refresh_rotates_and_keeps_the_authentication_context() {
    let f = Fixture::new().await;
    let first = f.portal_tokens().await;
    let first_refresh = first.refresh_token.clone().unwrap();
    f.clock.advance(Duration::minutes(10));
    let second = f.refresh_portal(&first_refresh, None).await.unwrap();
    let second_refresh = second.refresh_token.clone().unwrap();
    assert_ne!(second_refresh, first_refresh);
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(second.scope, "openid profile email");

    let (_, original) = f.verify_issued(first.id_token.as_deref().unwrap());
    let (_, refreshed) = f.verify_issued(second.id_token.as_deref().unwrap());
    // OIDC Core 12.2: same sub, auth_time, acr, amr; no nonce; new iat.
    for claim in ["iss", "sub", "aud", "auth_time", "acr", "amr", "sid"] {
        assert_eq!(refreshed[claim], original[claim], "{claim}");
    }
    assert!(!refreshed.contains_key("nonce"));
    assert_eq!(refreshed["iat"], f.clock_now().timestamp());
    assert_eq!(
        refreshed["at_hash"],
        oidc_hash(SigningAlg::RS256, &second.access_token)
    );
    // The new refresh token works in turn.
    assert!(f.refresh_portal(&second_refresh, None).await.is_ok());
}

#[tokio::test]
async fn rfc9700_4_14_2_reused_refresh_token_revokes_the_whole_grant() {
    let f = Fixture::new().await;
    let first = f.portal_tokens().await;
    let old = first.refresh_token.clone().unwrap();
    let second = f.refresh_portal(&old, None).await.unwrap();
    let error = f.refresh_portal(&old, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
    // The rotated token and every access token of the grant are dead too.
    let error = f
        .refresh_portal(second.refresh_token.as_deref().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
    for access_token in [&first.access_token, &second.access_token] {
        let error = f
            .provider
            .userinfo(Some(&bearer(access_token)), &params(&[]))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidToken);
    }
}

#[tokio::test]
async fn rfc6749_6_refresh_scope_may_narrow_but_not_widen() {
    let f = Fixture::new().await;
    let first = f.portal_tokens().await;
    let narrowed = f
        .refresh_portal(first.refresh_token.as_deref().unwrap(), Some("openid"))
        .await
        .unwrap();
    assert_eq!(narrowed.scope, "openid");
    assert_eq!(claims_of(&narrowed.access_token)["scope"], "openid");
    let (_, id_claims) = f.verify_issued(narrowed.id_token.as_deref().unwrap());
    assert!(!id_claims.contains_key("email"));
    // The new refresh token keeps the original scope (RFC 6749 6).
    let full = f
        .refresh_portal(narrowed.refresh_token.as_deref().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(full.scope, "openid profile email");
    let error = f
        .refresh_portal(full.refresh_token.as_deref().unwrap(), Some("openid phone"))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidScope);
}

#[tokio::test]
async fn oidc_core_12_refresh_without_openid_issues_no_id_token() {
    let f = Fixture::new().await;
    let first = f.portal_tokens().await;
    let response = f
        .refresh_portal(first.refresh_token.as_deref().unwrap(), Some("email"))
        .await
        .unwrap();
    assert!(response.id_token.is_none());
    assert_eq!(response.scope, "email");
}

#[tokio::test]
async fn rfc6749_6_refresh_token_of_another_client_is_invalid_grant_and_ends_the_grant() {
    let f = Fixture::new().await;
    let first = f.portal_tokens().await;
    let body = params(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", first.refresh_token.as_deref().unwrap()),
        ("client_id", "app"),
    ]);
    let error = f.provider.token(&body, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
    let error = f
        .provider
        .userinfo(Some(&bearer(&first.access_token)), &params(&[]))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidToken);
}

#[tokio::test]
async fn rfc6749_5_2_unknown_or_missing_refresh_token_is_refused() {
    let f = Fixture::new().await;
    assert_eq!(
        f.refresh_portal("never-issued", None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidGrant
    );
    let body = params(&[("grant_type", "refresh_token")]);
    let error = f
        .provider
        .token(&body, Some(&basic("portal", SECRET)))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn asvs_10_4_8_rotation_keeps_the_absolute_expiry_of_the_first_refresh_token() {
    let f = Fixture::new().await;
    let first = f.portal_tokens().await;
    f.clock.advance(Duration::days(29));
    let second = f
        .refresh_portal(first.refresh_token.as_deref().unwrap(), None)
        .await
        .unwrap();
    f.clock.advance(Duration::days(1));
    let error = f
        .refresh_portal(second.refresh_token.as_deref().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidGrant);
    assert!(error.description.contains("expired"));
}

// ---- client_credentials ---------------------------------------------------

async fn with_batch_client(f: &Fixture) {
    let mut client = confidential_client(
        "batch",
        ClientAuthMethod::ClientSecretPost,
        &[GrantType::ClientCredentials],
        &f.secrets,
    );
    client.extra_scopes = vec!["api.read".to_owned(), "api.write".to_owned()];
    f.add_client(client).await;
}

fn batch_body(scope: Option<&str>) -> pforte_oauth::Params {
    let mut pairs = vec![
        ("grant_type", "client_credentials"),
        ("client_id", "batch"),
        ("client_secret", SECRET),
    ];
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    params(&pairs)
}

#[tokio::test]
async fn rfc6749_4_4_client_credentials_issue_only_an_access_token_for_the_client() {
    let f = Fixture::new().await;
    with_batch_client(&f).await;
    let response = f.provider.token(&batch_body(None), None).await.unwrap();
    assert!(response.refresh_token.is_none());
    assert!(response.id_token.is_none());
    assert_eq!(response.scope, "api.read api.write");
    let (header, claims) = f.verify_issued(&response.access_token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(claims["sub"], "batch");
    assert_eq!(claims["client_id"], "batch");
    assert_eq!(claims["aud"], "batch");
    for absent in ["auth_time", "acr", "amr", "grant_id"] {
        assert!(!claims.contains_key(absent), "{absent}");
    }
    let narrowed = f
        .provider
        .token(&batch_body(Some("api.write")), None)
        .await
        .unwrap();
    assert_eq!(narrowed.scope, "api.write");
}

#[tokio::test]
async fn rfc6749_4_4_2_openid_or_unregistered_scope_is_invalid_scope() {
    let f = Fixture::new().await;
    with_batch_client(&f).await;
    for scope in ["openid", "api.read profile", "api.admin"] {
        let error = f
            .provider
            .token(&batch_body(Some(scope)), None)
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidScope, "{scope}");
    }
}

#[tokio::test]
async fn rfc6749_4_4_public_clients_may_not_use_client_credentials() {
    let f = Fixture::new().await;
    let mut client = native_client("kiosk");
    client.grant_types = vec![GrantType::ClientCredentials];
    f.add_client(client).await;
    let body = params(&[("grant_type", "client_credentials"), ("client_id", "kiosk")]);
    let error = f.provider.token(&body, None).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::UnauthorizedClient);
}
