//! Discovery, JWKS and health.

use crate::support::*;

#[tokio::test]
async fn oidc_discovery_4_metadata_is_json_with_our_issuer() {
    let server = server().await;
    let page = browser()
        .get(&server.url("/.well-known/openid-configuration"))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("application/json"));
    assert!(page.header("cache-control").unwrap().contains("max-age"));
    let metadata: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(metadata["issuer"], server.base_url());
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn rfc8414_3_authorization_server_metadata_is_served() {
    let server = server().await;
    let page = browser()
        .get(&server.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    let metadata: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(metadata["issuer"], server.base_url());
}

#[tokio::test]
async fn rfc7517_5_jwks_lists_public_keys_only() {
    let server = server().await;
    let page = browser().get(&server.url("/jwks")).await.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("application/json"));
    let jwks: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        assert!(key.get("d").is_none(), "no private part in {key}");
        assert!(key.get("kid").is_some());
    }
}

#[tokio::test]
async fn healthz_answers_ok_with_a_request_id() {
    let server = server().await;
    let page = browser().get(&server.url("/healthz")).await.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.body, "ok");
    assert!(page.header("x-request-id").is_some());
}
