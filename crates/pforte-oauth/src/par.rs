//! Pushed authorization requests (RFC 9126).
//!
//! The client authenticates, the request runs through the same checks as at
//! the authorization endpoint (the `par` column of `authorize/pipeline.rs`),
//! and the parameters are stored for single use under the digest of a random
//! handle. `/authorize` later takes them by `request_uri` (see
//! `authorize/checks/request_uri.rs`) and checks them again.

use crate::authorize::pipeline::{self, Endpoint, Gate};
use crate::client_auth::ClientEndpoint;
use crate::error::OAuthError;
use crate::model::{Client, PushedRequest};
use crate::params::Params;
use crate::provider::Provider;
use chrono::TimeDelta;
use pforte_crypto::random::{random_token, sha256_b64url};
use serde::Serialize;

/// RFC 9126 2.2: the URN prefix of every `request_uri` this endpoint issues.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// RFC 9126 2.2: the `201 Created` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParResponse {
    /// `urn:ietf:params:oauth:request_uri:<random>`.
    pub request_uri: String,
    pub expires_in: u64,
}

/// Client authentication parameters (RFC 6749 2.3.1, RFC 7523 2.2): they
/// authenticate the push and are never stored with the request.
const CLIENT_AUTH_PARAMS: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

impl Provider {
    /// Authenticates the client, validates the request with the same checks as
    /// the authorization endpoint, and stores it for single use.
    pub async fn push_authorization_request(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<ParResponse, OAuthError> {
        let client = self
            .authenticate_client(params, authorization, ClientEndpoint::Par)
            .await?;
        self.push_authenticated_request(&client, params).await
    }

    /// The part of [`Self::push_authorization_request`] after client
    /// authentication: `client` must be the client that authenticated this very
    /// request. Validates `params`, stores them bound to the client for
    /// `par_ttl`, and returns the `request_uri`.
    pub async fn push_authenticated_request(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<ParResponse, OAuthError> {
        let mut pairs: Vec<(String, String)> = params
            .pairs()
            .iter()
            .filter(|(name, _)| !CLIENT_AUTH_PARAMS.contains(&name.as_str()))
            .cloned()
            .collect();
        if !params.contains("client_id") {
            pairs.push(("client_id".to_owned(), client.client_id.clone()));
        }
        let now = self.clock.now();
        let mut gate = Gate::new(Endpoint::Par, now, Params::new(pairs));
        gate.client = Some(client.clone());
        let validated = pipeline::run(gate, &self.config, self.keys.current().as_ref())
            .map_err(pipeline::Rejection::into_error)?;

        let lifetime = TimeDelta::from_std(self.config.par_ttl)
            .map_err(|error| OAuthError::server_error(error.to_string()))?;
        let handle = random_token();
        self.ports
            .grants
            .insert_pushed_request(&PushedRequest {
                uri_digest: sha256_b64url(&handle),
                client_id: client.client_id.clone(),
                params: validated.params.pairs().to_vec(),
                expires_at: now + lifetime,
            })
            .await?;
        Ok(ParResponse {
            request_uri: format!("{REQUEST_URI_PREFIX}{handle}"),
            expires_in: self.config.par_ttl.as_secs(),
        })
    }
}
