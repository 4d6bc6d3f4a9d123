//! A provider on port 0 with the admin router beside it, operators of each
//! role, and a client-credentials API client.

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use pforte_admin::{AdminState, Operator};
use pforte_identity::RequestContext;
use pforte_identity::audit::{AuditEvent, AuditKind};
use pforte_identity::operator_roles::{OperatorRoleStore, Role, RoleGrant};
use pforte_oauth::model::{ClientAuthMethod, GrantType};
use pforte_testkit::TestServer;
use pforte_types::{AccountId, StoreError};
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

/// No account holds a role: the API tests take roles from scopes, the use
/// case tests build operators directly.
pub struct NoRoles;

#[async_trait]
impl OperatorRoleStore for NoRoles {
    async fn grant_role(&self, _grant: &RoleGrant) -> Result<(), StoreError> {
        Ok(())
    }
    async fn revoke_role(&self, _account: AccountId, _role: Role) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn roles_of(&self, _account: AccountId) -> Result<BTreeSet<Role>, StoreError> {
        Ok(BTreeSet::new())
    }
    async fn role_grants(&self) -> Result<Vec<RoleGrant>, StoreError> {
        Ok(Vec::new())
    }
}

pub struct Harness {
    pub server: TestServer,
    pub state: AdminState,
    router: Router,
}

pub const POLICY_TEXT: &str = "name = \"test\"\n";

impl Harness {
    pub async fn start() -> Self {
        let server = TestServer::start().await.unwrap();
        let mut state = server.app.admin_state(server.app.web_state().unwrap());
        state.roles = Arc::new(NoRoles);
        state.policy_text = Some(Arc::from(POLICY_TEXT));
        state.brands = Arc::from(vec!["base".to_owned(), "nordlicht".to_owned()]);
        let router = pforte_admin::router(state.clone());
        Self {
            server,
            state,
            router,
        }
    }

    /// Registers a client-credentials client with the given scopes; returns
    /// its secret.
    pub async fn api_client(&self, client_id: &str, scopes: &[&str]) -> String {
        let secret = pforte_crypto::random::random_token();
        let mut client = self.server.client_template(
            client_id,
            "https://unused.example/cb",
            ClientAuthMethod::ClientSecretBasic,
        );
        client.secret_digest = Some(self.server.app.secrets.digest(&secret));
        client.grant_types = vec![GrantType::ClientCredentials];
        client.redirect_uris.clear();
        client.extra_scopes = scopes.iter().map(|&scope| scope.to_owned()).collect();
        self.server.add_client(&client).await.unwrap();
        secret
    }

    /// POST /token with the client_credentials grant; the raw answer.
    pub async fn token_response(
        &self,
        client_id: &str,
        secret: &str,
    ) -> (StatusCode, serde_json::Value) {
        // reqwest is built without a default TLS provider (DESIGN.md §6).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let response = reqwest::Client::new()
            .post(self.server.url("/token"))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        (status, response.json().await.unwrap())
    }

    /// An access token of a client-credentials client.
    pub async fn token(&self, client_id: &str, secret: &str) -> String {
        let (status, body) = self.token_response(client_id, secret).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// One request to the admin router.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<(&str, String)>,
    ) -> (StatusCode, HeaderMap, serde_json::Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some((content_type, body)) => request
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body)),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let json = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
        };
        (status, headers, json)
    }

    /// Every audit event of a kind.
    pub async fn events(&self, kind: AuditKind) -> Vec<AuditEvent> {
        self.state
            .web
            .identity
            .audit_events(None, None)
            .await
            .unwrap()
            .into_iter()
            .filter(|event| event.kind == kind)
            .collect()
    }
}

pub fn operator(name: &str, roles: &[Role]) -> Operator {
    Operator {
        name: name.to_owned(),
        account: None,
        roles: roles.iter().copied().collect(),
    }
}

pub fn context() -> RequestContext {
    RequestContext {
        request_id: Some("test".to_owned()),
        ..RequestContext::default()
    }
}
