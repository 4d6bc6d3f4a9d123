//! The ident service over HTTP (R-RG-5): Pforte as relying party of an
//! upstream OpenID Connect provider. Implements
//! [`pforte_identity::ident::IdentService`].
//!
//! - Discovery (OIDC Discovery 4) once, on first use; its `issuer` must equal
//!   the configured one (4.3), else nothing is trusted.
//! - The authorization request carries `state`, `nonce` and the PKCE S256
//!   challenge (RFC 7636 4.3); `response_type=code`.
//! - The token request authenticates with `client_secret_basic` (RFC 6749
//!   2.3.1: id and secret form-urlencoded, then Basic) and sends the PKCE
//!   verifier.
//! - The ID token is verified by `pforte_identity::ident::id_token` against
//!   the JWKS, fetched for every redemption (attempts are rare, and a rotated
//!   upstream key is picked up at once). Claims the ID token leaves out come
//!   from userinfo when the upstream has one.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pforte_identity::ident::id_token::{self, Expected};
use pforte_identity::ident::{IdentClaims, IdentRequest, IdentService, IdentServiceError};
use pforte_types::Clock;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

use crate::config::IdentSettings;

/// The path of the callback on our side (the registered redirect URI is the
/// issuer followed by it).
pub const CALLBACK_PATH: &str = "/ident/callback";

/// The parts of the upstream's discovery document we use.
#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
    access_token: Option<String>,
}

/// The configured ident service.
pub struct HttpIdentService {
    settings: IdentSettings,
    redirect_uri: String,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    metadata: OnceCell<Metadata>,
}

impl std::fmt::Debug for HttpIdentService {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HttpIdentService")
            .field("issuer", &self.settings.issuer)
            .finish_non_exhaustive()
    }
}

fn unavailable(what: &str, error: impl std::fmt::Display) -> IdentServiceError {
    IdentServiceError::Unavailable(format!("{what}: {error}"))
}

impl HttpIdentService {
    /// `our_issuer` is this provider's issuer: the redirect URI is built from it.
    pub fn new(
        settings: &IdentSettings,
        our_issuer: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        crate::app::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("ident: cannot build the HTTP client: {error}"))?;
        Ok(Self {
            settings: settings.clone(),
            redirect_uri: format!("{our_issuer}{CALLBACK_PATH}"),
            http,
            clock,
            metadata: OnceCell::new(),
        })
    }

    /// The redirect URI to register at the ident service.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    async fn metadata(&self) -> Result<&Metadata, IdentServiceError> {
        self.metadata
            .get_or_try_init(|| async {
                let url = format!("{}/.well-known/openid-configuration", self.settings.issuer);
                let metadata: Metadata = self.get_json(&url, None, "discovery").await?;
                if metadata.issuer != self.settings.issuer {
                    return Err(unavailable(
                        "discovery",
                        format!("issuer {:?} is not the configured one", metadata.issuer),
                    ));
                }
                Ok(metadata)
            })
            .await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        bearer: Option<&str>,
        what: &str,
    ) -> Result<T, IdentServiceError> {
        let mut request = self.http.get(url).header("accept", "application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|error| unavailable(what, error))?;
        if !response.status().is_success() {
            return Err(unavailable(what, format!("status {}", response.status())));
        }
        response
            .json()
            .await
            .map_err(|error| unavailable(what, error))
    }

    /// RFC 6749 2.3.1: both parts form-urlencoded before Basic encoding.
    fn basic_credentials(&self) -> String {
        let encode =
            |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let pair = format!(
            "{}:{}",
            encode(&self.settings.client_id),
            encode(&self.settings.client_secret)
        );
        format!("Basic {}", STANDARD.encode(pair))
    }
}

#[async_trait]
impl IdentService for HttpIdentService {
    fn display_name(&self) -> &str {
        &self.settings.display_name
    }

    async fn authorization_url(&self, request: &IdentRequest) -> Result<String, IdentServiceError> {
        let metadata = self.metadata().await?;
        let mut url = url::Url::parse(&metadata.authorization_endpoint)
            .map_err(|error| unavailable("discovery authorization_endpoint", error))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &self.settings.scopes)
            .append_pair("state", &request.state)
            .append_pair("nonce", &request.nonce)
            .append_pair("code_challenge", &request.code_challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    async fn redeem(
        &self,
        code: &str,
        code_verifier: &str,
        nonce: &str,
    ) -> Result<IdentClaims, IdentServiceError> {
        let metadata = self.metadata().await?;
        let response = self
            .http
            .post(&metadata.token_endpoint)
            .header("authorization", self.basic_credentials())
            .header("accept", "application/json")
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.redirect_uri.as_str()),
                ("code_verifier", code_verifier),
            ])
            .send()
            .await
            .map_err(|error| unavailable("token", error))?;
        let status = response.status();
        if status.is_client_error() {
            let body: Value = response.json().await.unwrap_or_default();
            let error = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("invalid response")
                .to_owned();
            return Err(IdentServiceError::Refused(error));
        }
        if !status.is_success() {
            return Err(unavailable("token", format!("status {status}")));
        }
        let tokens: TokenResponse = response
            .json()
            .await
            .map_err(|error| unavailable("token", error))?;
        let id_token = tokens
            .id_token
            .ok_or_else(|| IdentServiceError::Refused("no id_token in the answer".into()))?;
        let jwks: Value = self.get_json(&metadata.jwks_uri, None, "jwks").await?;
        let expected = Expected {
            issuer: &metadata.issuer,
            client_id: &self.settings.client_id,
            nonce,
            now: self.clock.now(),
        };
        let claims = id_token::verify_id_token(&id_token, &jwks, &expected)?;
        let complete = claims.given_name.is_some()
            && claims.family_name.is_some()
            && claims.birthdate.is_some();
        match (&metadata.userinfo_endpoint, &tokens.access_token) {
            (Some(endpoint), Some(access_token)) if !complete => {
                let userinfo: Map<String, Value> = self
                    .get_json(endpoint, Some(access_token), "userinfo")
                    .await?;
                Ok(id_token::merge_userinfo(claims, &userinfo)?)
            }
            _ => Ok(claims),
        }
    }
}

impl crate::app::App {
    /// Identity proofing with the configured ident service (R-RG-5), or
    /// `None` when `[ident]` is off.
    pub fn ident_proofing(
        &self,
    ) -> Result<Option<Arc<pforte_identity::ident::IdentProofing>>, crate::app::ServerError> {
        if !self.settings.ident.enabled {
            return Ok(None);
        }
        let service = HttpIdentService::new(
            &self.settings.ident,
            &self.settings.issuer,
            self.clock.clone(),
        )
        .map_err(|error| {
            crate::app::ServerError::Config(crate::config::ConfigError::Invalid(error))
        })?;
        Ok(Some(Arc::new(pforte_identity::ident::IdentProofing::new(
            Arc::new(service),
            self.member_links(),
            Arc::new(self.member_registry()),
            self.ephemeral.clone(),
            Arc::new(self.store.clone()),
            self.clock.clone(),
        ))))
    }
}

#[cfg(test)]
#[path = "ident_tests.rs"]
mod tests;
