//! The admin JSON API: RFC 6750 authentication with Pforte's own
//! client-credentials tokens, roles from scopes, errors (R-OP-1).

use crate::support::Harness;
use axum::http::{Method, StatusCode, header};
use pforte_admin::api::{OPENAPI_PATH, ROUTES};
use pforte_identity::audit::AuditKind;

fn path(route: &str) -> String {
    route.replace("{client_id}", "portal")
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.to_uppercase().as_bytes()).unwrap()
}

fn challenge(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn rfc6750_3_every_route_without_a_token_is_401_with_a_bearer_challenge() {
    let harness = Harness::start().await;
    for (name, route) in ROUTES {
        let (status, headers, body) = harness.call(method(name), &path(route), None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name} {route}");
        assert_eq!(challenge(&headers), "Bearer realm=\"pforte-admin\"");
        assert_eq!(body["code"], "PF-ADMIN-401");
    }
}

#[tokio::test]
async fn rfc6750_3_1_a_forged_or_user_token_is_invalid_token() {
    let harness = Harness::start().await;
    let (status, headers, body) = harness
        .call(Method::GET, "/admin/api/v1/clients", Some("a.b.c"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge(&headers).contains("error=\"invalid_token\""));
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn r_op_1_a_token_without_admin_scope_is_403_insufficient_scope() {
    let harness = Harness::start().await;
    let secret = harness.api_client("batch", &["api.read"]).await;
    let token = harness.token("batch", &secret).await;
    let (status, headers, body) = harness
        .call(Method::GET, "/admin/api/v1/keys", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(challenge(&headers).contains("error=\"insufficient_scope\""));
    assert_eq!(body["error"], "insufficient_scope");
    assert_eq!(body["code"], "PF-ADMIN-403");
}

#[tokio::test]
async fn r_op_1_support_cannot_edit_clients_through_the_api() {
    let harness = Harness::start().await;
    let secret = harness.api_client("desk", &["pforte:admin:support"]).await;
    let token = harness.token("desk", &secret).await;
    let new = serde_json::json!({
        "client_id": "portal",
        "redirect_uris": ["https://portal.example/cb"],
    });
    let (status, headers, body) = harness
        .call(
            Method::POST,
            "/admin/api/v1/clients",
            Some(&token),
            Some(("application/json", new.to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "insufficient_scope");
    assert_eq!(
        challenge(&headers),
        "Bearer realm=\"pforte-admin\", error=\"insufficient_scope\", scope=\"pforte:admin:security_admin\""
    );
    let (status, _, _) = harness
        .call(Method::GET, "/admin/api/v1/clients", Some(&token), None)
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "support does not see clients"
    );
    assert!(harness.events(AuditKind::ClientCreated).await.is_empty());
}

#[tokio::test]
async fn r_op_1_a_security_admin_client_manages_clients_keys_and_policies() {
    let harness = Harness::start().await;
    let secret = harness
        .api_client("ops", &["pforte:admin:security_admin"])
        .await;
    let token = harness.token("ops", &secret).await;
    let new = serde_json::json!({
        "client_id": "portal",
        "name": "Kundenportal",
        "redirect_uris": ["https://portal.example/cb"],
    });
    let (status, _, created) = harness
        .call(
            Method::POST,
            "/admin/api/v1/clients",
            Some(&token),
            Some(("application/json", new.to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let portal_secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(created["client"]["client_id"], "portal");

    let (status, _, shown) = harness
        .call(
            Method::GET,
            "/admin/api/v1/clients/portal",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!shown.to_string().contains(&portal_secret));

    let mut changes = serde_json::json!({
        "name": "Portal",
        "redirect_uris": ["ftp://portal.example/cb"],
        "auth_method": "client_secret_basic",
    });
    let (status, _, refused) = harness
        .call(
            Method::PUT,
            "/admin/api/v1/clients/portal",
            Some(&token),
            Some(("application/json", changes.to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["code"], "PF-ADMIN-400");
    assert!(
        refused["description"]
            .as_str()
            .unwrap()
            .starts_with("redirect_uris:")
    );
    changes["redirect_uris"] = serde_json::json!(["https://portal.example/new"]);
    let (status, _, edited) = harness
        .call(
            Method::PUT,
            "/admin/api/v1/clients/portal",
            Some(&token),
            Some(("application/json", changes.to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        edited["client"]["redirect_uris"][0],
        "https://portal.example/new"
    );
    assert!(edited["client_secret"].is_null());

    let (status, _, missing) = harness
        .call(
            Method::GET,
            "/admin/api/v1/clients/nobody",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], "PF-ADMIN-404");

    let (status, _, rotated) = harness
        .call(
            Method::POST,
            "/admin/api/v1/keys/rotate",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!rotated["kids"].as_array().unwrap().is_empty());
    let events = harness.events(AuditKind::SigningKeysRotated).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].client.as_deref(), Some("ops"));
    assert_eq!(events[0].operator.as_deref(), Some("client:ops"));

    // The token signed before the rotation still works: its key is published.
    let (status, _, policy_check) = harness
        .call(
            Method::POST,
            "/admin/api/v1/policy/validate",
            Some(&token),
            Some((
                "application/toml",
                "[lockout]\nmax_failures = 0\n".to_owned(),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(policy_check["valid"], false);
    assert!(
        policy_check["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("lockout.max_failures")
    );
}

#[tokio::test]
async fn r_op_1_an_auditor_client_reads_but_cannot_rotate() {
    let harness = Harness::start().await;
    let secret = harness.api_client("audit", &["pforte:admin:auditor"]).await;
    let token = harness.token("audit", &secret).await;
    for route in [
        "/admin/api/v1/clients",
        "/admin/api/v1/keys",
        "/admin/api/v1/policy",
    ] {
        let (status, _, _) = harness.call(Method::GET, route, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{route}");
    }
    let (status, _, body) = harness
        .call(
            Method::POST,
            "/admin/api/v1/keys/rotate",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "insufficient_scope");
}

#[tokio::test]
async fn r_op_1_a_scope_taken_away_stops_working_before_the_token_expires() {
    let harness = Harness::start().await;
    let secret = harness
        .api_client("ops", &["pforte:admin:security_admin"])
        .await;
    let token = harness.token("ops", &secret).await;
    let state = &harness.state;
    let mut client = state
        .web
        .oauth
        .clients()
        .get_client("ops")
        .await
        .unwrap()
        .unwrap();
    client.extra_scopes.clear();
    state
        .web
        .oauth
        .clients()
        .update_client(&client)
        .await
        .unwrap();
    let (status, _, _) = harness
        .call(Method::GET, "/admin/api/v1/keys", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn r_op_1_an_expired_token_is_refused() {
    let harness = Harness::start().await;
    let secret = harness
        .api_client("ops", &["pforte:admin:security_admin"])
        .await;
    let token = harness.token("ops", &secret).await;
    harness.server.clock.advance(chrono::TimeDelta::hours(1));
    let (status, headers, _) = harness
        .call(Method::GET, "/admin/api/v1/keys", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge(&headers).contains("invalid_token"));
}

#[tokio::test]
async fn r_op_1_the_openapi_document_is_served_and_parses() {
    let harness = Harness::start().await;
    let (status, _, document) = harness.call(Method::GET, OPENAPI_PATH, None, None).await;
    assert_eq!(status, StatusCode::OK);
    let parsed: utoipa::openapi::OpenApi = serde_json::from_value(document.clone()).unwrap();
    assert_eq!(parsed.paths.paths.len(), 16);
    let token_url = document["components"]["securitySchemes"]["client_credentials"]["flows"]
        ["clientCredentials"]["tokenUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(token_url, harness.server.url("/token"));
}
