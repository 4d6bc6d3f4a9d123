//! Tests of `client_auth`: every method and every refusal through
//! `Provider::authenticate_client` and the token endpoint.

use crate::support::*;
use chrono::Duration;
use pforte_crypto::jose::new_kid;
use pforte_crypto::{SigningAlg, SigningKey};
use pforte_oauth::model::{Client, ClientAuthMethod, GrantType};
use pforte_oauth::{ClientEndpoint, ErrorCode, OAuthError};
use serde_json::{Map, Value, json};

async fn authenticate(
    f: &Fixture,
    body: &pforte_oauth::Params,
    header: Option<&str>,
    endpoint: ClientEndpoint,
) -> Result<Client, OAuthError> {
    f.provider.authenticate_client(body, header, endpoint).await
}

fn assert_invalid_client(result: Result<Client, OAuthError>) {
    let error = result.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidClient, "{error}");
    assert_eq!(error.status(), 401);
    assert!(error.requires_www_authenticate());
}

// ---- client_secret_basic / client_secret_post -------------------------------

#[tokio::test]
async fn rfc6749_2_3_1_client_secret_basic_authenticates() {
    let f = Fixture::new().await;
    let client = authenticate(
        &f,
        &params(&[]),
        Some(&basic("portal", SECRET)),
        ClientEndpoint::Token,
    )
    .await
    .unwrap();
    assert_eq!(client.client_id, "portal");
}

#[tokio::test]
async fn rfc6749_2_3_1_basic_credentials_are_form_urlencoded_before_base64() {
    let f = Fixture::new().await;
    let secret = "ä:+%&= secret of at least thirty-two chars";
    let mut client = web_client("urn:rp:one", &f.secrets);
    client.secret_digest = Some(f.secrets.digest(secret));
    f.add_client(client).await;
    let client = authenticate(
        &f,
        &params(&[]),
        Some(&basic("urn:rp:one", secret)),
        ClientEndpoint::Token,
    )
    .await
    .unwrap();
    assert_eq!(client.client_id, "urn:rp:one");
}

#[tokio::test]
async fn rfc6749_2_3_1_wrong_secret_or_unknown_client_is_invalid_client() {
    let f = Fixture::new().await;
    for header in [
        basic("portal", "wrong"),
        basic("portal", ""),
        basic("nobody", SECRET),
    ] {
        assert_invalid_client(
            authenticate(&f, &params(&[]), Some(&header), ClientEndpoint::Token).await,
        );
    }
}

#[tokio::test]
async fn rfc6749_2_3_1_client_secret_post_authenticates_a_post_client() {
    let f = Fixture::new().await;
    f.add_client(confidential_client(
        "poster",
        ClientAuthMethod::ClientSecretPost,
        &[GrantType::AuthorizationCode],
        &f.secrets,
    ))
    .await;
    let body = params(&[("client_id", "poster"), ("client_secret", SECRET)]);
    let client = authenticate(&f, &body, None, ClientEndpoint::Token)
        .await
        .unwrap();
    assert_eq!(client.client_id, "poster");
    let wrong = params(&[("client_id", "poster"), ("client_secret", "nope")]);
    assert_invalid_client(authenticate(&f, &wrong, None, ClientEndpoint::Token).await);
}

#[tokio::test]
async fn oidc_core_9_the_method_must_be_the_registered_one() {
    let f = Fixture::new().await;
    // portal is registered for client_secret_basic: the right secret in the
    // body is still refused.
    let body = params(&[("client_id", "portal"), ("client_secret", SECRET)]);
    assert_invalid_client(authenticate(&f, &body, None, ClientEndpoint::Token).await);
    // A confidential client cannot act as a public one.
    let body = params(&[("client_id", "portal")]);
    assert_invalid_client(authenticate(&f, &body, None, ClientEndpoint::Token).await);
    // A public client has no secret to present.
    assert_invalid_client(
        authenticate(
            &f,
            &params(&[]),
            Some(&basic("app", SECRET)),
            ClientEndpoint::Token,
        )
        .await,
    );
}

#[tokio::test]
async fn rfc6749_2_3_only_one_method_per_request() {
    let f = Fixture::new().await;
    let body = params(&[("client_id", "portal"), ("client_secret", SECRET)]);
    let error = authenticate(
        &f,
        &body,
        Some(&basic("portal", SECRET)),
        ClientEndpoint::Token,
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
    assert_eq!(error.status(), 400);
}

#[tokio::test]
async fn rfc6749_5_2_a_request_without_any_client_is_invalid_client() {
    let f = Fixture::new().await;
    assert_invalid_client(authenticate(&f, &params(&[]), None, ClientEndpoint::Token).await);
}

// ---- none ----------------------------------------------------------------------

#[tokio::test]
async fn rfc6749_2_1_public_client_names_itself_with_client_id() {
    let f = Fixture::new().await;
    let body = params(&[("client_id", "app")]);
    for endpoint in [
        ClientEndpoint::Token,
        ClientEndpoint::Par,
        ClientEndpoint::Revocation,
    ] {
        let client = authenticate(&f, &body, None, endpoint).await.unwrap();
        assert!(client.is_public());
    }
    assert_invalid_client(
        authenticate(
            &f,
            &params(&[("client_id", "nobody")]),
            None,
            ClientEndpoint::Token,
        )
        .await,
    );
}

#[tokio::test]
async fn rfc7662_2_1_public_clients_may_not_introspect() {
    let f = Fixture::new().await;
    let body = params(&[("client_id", "app")]);
    assert_invalid_client(authenticate(&f, &body, None, ClientEndpoint::Introspection).await);
}

// ---- private_key_jwt -----------------------------------------------------------

struct JwtClient {
    f: Fixture,
    key: SigningKey,
}

async fn jwt_client(alg: SigningAlg) -> JwtClient {
    let f = Fixture::new().await;
    let key = SigningKey::generate(alg, new_kid()).unwrap();
    f.add_client(private_key_jwt_client("signer", &key)).await;
    JwtClient { f, key }
}

impl JwtClient {
    fn claims(&self) -> Map<String, Value> {
        assertion_claims("signer", self.f.clock_now())
    }

    fn sign(&self, claims: &Map<String, Value>) -> String {
        self.key.sign_json(claims, None).unwrap()
    }

    async fn present(
        &self,
        claims: &Map<String, Value>,
        endpoint: ClientEndpoint,
    ) -> Result<Client, OAuthError> {
        let body = assertion_params(&self.sign(claims), &[]);
        self.f
            .provider
            .authenticate_client(&body, None, endpoint)
            .await
    }
}

#[tokio::test]
async fn rfc7523_2_2_private_key_jwt_authenticates_with_every_algorithm() {
    for alg in SigningAlg::ALL {
        let c = jwt_client(alg).await;
        let client = c.present(&c.claims(), ClientEndpoint::Token).await.unwrap();
        assert_eq!(client.client_id, "signer", "{alg}");
    }
}

#[tokio::test]
async fn oidc_core_9_assertion_audience_may_be_the_token_endpoint_or_an_array() {
    let c = jwt_client(SigningAlg::ES256).await;
    for aud in [
        json!(format!("{ISSUER}/token")),
        json!(["https://rs.example", ISSUER]),
        json!([format!("{ISSUER}/token")]),
    ] {
        let mut claims = c.claims();
        claims.insert("aud".into(), aud.clone());
        assert!(
            c.present(&claims, ClientEndpoint::Token).await.is_ok(),
            "{aud}"
        );
    }
    // RFC 9126 2: at PAR the PAR endpoint URL is accepted as well.
    let mut claims = c.claims();
    claims.insert("aud".into(), json!(format!("{ISSUER}/par")));
    assert!(c.present(&claims, ClientEndpoint::Par).await.is_ok());
}

#[tokio::test]
async fn oidc_core_9_assertion_for_another_audience_is_invalid_client() {
    let c = jwt_client(SigningAlg::ES256).await;
    for aud in [
        json!("https://other.example"),
        json!(["https://other.example"]),
        json!(format!("{ISSUER}/userinfo")),
        json!(format!("{ISSUER}/par")),
    ] {
        let mut claims = c.claims();
        claims.insert("aud".into(), aud.clone());
        assert_invalid_client(c.present(&claims, ClientEndpoint::Token).await);
    }
}

#[tokio::test]
async fn rfc7523_3_expired_assertion_is_invalid_client() {
    let c = jwt_client(SigningAlg::ES256).await;
    let claims = c.claims();
    let assertion = c.sign(&claims);
    // exp + 30 s skew has passed.
    c.f.clock.advance(Duration::seconds(90));
    let body = assertion_params(&assertion, &[]);
    assert_invalid_client(
        c.f.provider
            .authenticate_client(&body, None, ClientEndpoint::Token)
            .await,
    );
    let mut without_exp = c.claims();
    without_exp.remove("exp");
    assert_invalid_client(c.present(&without_exp, ClientEndpoint::Token).await);
}

#[tokio::test]
async fn rfc7523_3_assertion_issued_in_the_future_is_invalid_client() {
    let c = jwt_client(SigningAlg::ES256).await;
    let mut claims = c.claims();
    let later = c.f.clock_now().timestamp() + 120;
    claims.insert("iat".into(), json!(later));
    claims.insert("exp".into(), json!(later + 60));
    assert_invalid_client(c.present(&claims, ClientEndpoint::Token).await);
    let mut claims = c.claims();
    claims.insert("nbf".into(), json!(later));
    assert_invalid_client(c.present(&claims, ClientEndpoint::Token).await);
    // Within the 30 s skew it is accepted.
    let mut claims = c.claims();
    claims.insert("iat".into(), json!(c.f.clock_now().timestamp() + 20));
    assert!(c.present(&claims, ClientEndpoint::Token).await.is_ok());
}

#[tokio::test]
async fn oidc_core_9_replayed_assertion_jti_is_invalid_client() {
    let c = jwt_client(SigningAlg::ES256).await;
    let assertion = c.sign(&c.claims());
    let body = assertion_params(&assertion, &[]);
    let provider = &c.f.provider;
    assert!(
        provider
            .authenticate_client(&body, None, ClientEndpoint::Token)
            .await
            .is_ok()
    );
    let error = provider
        .authenticate_client(&body, None, ClientEndpoint::Token)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidClient);
    assert!(error.description.contains("replayed"));
    // The same jti in a freshly signed assertion is a replay too.
    let mut claims = c.claims();
    claims.insert("jti".into(), claims_of(&assertion)["jti"].clone());
    assert_invalid_client(c.present(&claims, ClientEndpoint::Token).await);
}

#[tokio::test]
async fn oidc_core_9_assertion_without_jti_is_invalid_client() {
    let c = jwt_client(SigningAlg::ES256).await;
    let mut claims = c.claims();
    claims.remove("jti");
    assert_invalid_client(c.present(&claims, ClientEndpoint::Token).await);
}

#[tokio::test]
async fn rfc7523_3_iss_and_sub_must_both_be_the_client() {
    let c = jwt_client(SigningAlg::ES256).await;
    let mut claims = c.claims();
    claims.insert("sub".into(), json!("someone-else"));
    assert_invalid_client(c.present(&claims, ClientEndpoint::Token).await);
    let mut claims = c.claims();
    claims.insert("iss".into(), json!("portal"));
    assert_invalid_client(c.present(&claims, ClientEndpoint::Token).await);
}

#[tokio::test]
async fn rfc7523_3_assertion_signed_by_an_unregistered_key_is_invalid_client() {
    let c = jwt_client(SigningAlg::ES256).await;
    let stranger = SigningKey::generate(SigningAlg::ES256, c.key.kid().to_owned()).unwrap();
    let body = assertion_params(&stranger.sign_json(&c.claims(), None).unwrap(), &[]);
    assert_invalid_client(
        c.f.provider
            .authenticate_client(&body, None, ClientEndpoint::Token)
            .await,
    );
    // Garbage is refused the same way.
    let body = assertion_params("not.a.jwt", &[]);
    assert_invalid_client(
        c.f.provider
            .authenticate_client(&body, None, ClientEndpoint::Token)
            .await,
    );
}

#[tokio::test]
async fn rfc7523_2_2_client_id_in_the_body_must_match_the_assertion() {
    let c = jwt_client(SigningAlg::ES256).await;
    let assertion = c.sign(&c.claims());
    let body = assertion_params(&assertion, &[("client_id", "portal")]);
    assert_invalid_client(
        c.f.provider
            .authenticate_client(&body, None, ClientEndpoint::Token)
            .await,
    );
    let body = assertion_params(&c.sign(&c.claims()), &[("client_id", "signer")]);
    assert!(
        c.f.provider
            .authenticate_client(&body, None, ClientEndpoint::Token)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn oidc_core_9_a_secret_client_cannot_use_an_assertion() {
    let f = Fixture::new().await;
    let key = SigningKey::generate(SigningAlg::ES256, new_kid()).unwrap();
    let assertion = key
        .sign_json(&assertion_claims("portal", f.clock_now()), None)
        .unwrap();
    let body = assertion_params(&assertion, &[]);
    assert_invalid_client(
        f.provider
            .authenticate_client(&body, None, ClientEndpoint::Token)
            .await,
    );
}

#[tokio::test]
async fn rfc7523_2_2_private_key_jwt_client_gets_tokens_at_the_token_endpoint() {
    let c = jwt_client(SigningAlg::PS256).await;
    let mut claims = c.claims();
    claims.insert("aud".into(), json!(format!("{ISSUER}/token")));
    let body = assertion_params(
        &c.sign(&claims),
        &[("grant_type", "client_credentials"), ("scope", "api")],
    );
    let response = c.f.provider.token(&body, None).await.unwrap();
    assert_eq!(response.scope, "api");
    assert_eq!(claims_of(&response.access_token)["sub"], "signer");
}
