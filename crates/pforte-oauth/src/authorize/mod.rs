//! The authorization endpoint (OIDC Core 3.1.2, RFC 6749 4.1, RFC 9700).
//!
//! `pipeline.rs` lists every check in order and which endpoint (authorize, PAR)
//! runs it; each check lives in `checks/`. Before the client and its
//! `redirect_uri` are verified, an error can only be shown as a page
//! ([`AuthorizeOutcome::ErrorPage`]); afterwards it goes back to the client
//! through the one response encoder (`response.rs`), always with RFC 9207 `iss`.
//!
//! The core does not know how users log in: when the session does not satisfy
//! the request it answers [`AuthorizeOutcome::Interaction`] with an
//! [`AuthTarget`] and a [`PendingAuthorization`]; the web layer runs the login and
//! calls [`crate::Provider::resume_authorization`] with the [`AuthResult`].

use crate::error::OAuthError;
use pforte_types::{AccountId, AuthTarget, Prompt};
use serde::{Deserialize, Serialize};

/// `response_mode` (OAuth 2.0 Multiple Response Types; Form Post Response Mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// A validated authorization request waiting for the login (or consent) to
/// finish. The web layer stores it between browser round trips.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// S256 challenge (RFC 7636 4.2).
    pub code_challenge: Option<String>,
    pub prompt: Vec<Prompt>,
    /// `max_age` in seconds (OIDC Core 3.1.2.1).
    pub max_age: Option<u64>,
    pub acr_values: Vec<String>,
    /// The `claims` request parameter (OIDC Core 5.5), validated.
    pub claims: Option<serde_json::Value>,
    pub login_hint: Option<String>,
    pub ui_locales: Vec<String>,
    /// The subject named by a valid `id_token_hint`.
    pub hinted_account: Option<AccountId>,
}

/// What the user decided on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentDecision {
    /// No consent page was shown (`AuthTarget::consent_required` was false).
    NotAsked,
    Granted,
    Denied,
}

/// A response that goes back to the client's verified redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    /// `code`/`state`/`iss` or `error`/`error_description`/`state`/`iss`.
    pub params: Vec<(String, String)>,
}

impl AuthorizationResponse {
    /// The `Location` for `response_mode=query` (RFC 6749 4.1.2): the parameters
    /// appended to the redirect URI's own query, if it has one.
    pub fn redirect_location(&self) -> String {
        let encoded = serde_urlencoded::to_string(&self.params).unwrap_or_default();
        let separator = if self.redirect_uri.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{separator}{encoded}", self.redirect_uri)
    }
}

/// Everything the login flow needs to take over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionRequired {
    pub target: AuthTarget,
    pub pending: PendingAuthorization,
}

/// The outcome of the authorization endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// The client or its redirect URI is not verified: render an error page,
    /// never redirect (RFC 6749 4.1.2.1, RFC 9700 4.1).
    ErrorPage(OAuthError),
    /// Send the browser back to the client (success or error).
    Respond(AuthorizationResponse),
    /// The user must log in or consent first.
    Interaction(Box<InteractionRequired>),
}

impl crate::Provider {
    /// The authorization endpoint: `params` from the query (GET) or the form
    /// body (POST); `session` is the browser's live provider session, if any.
    pub async fn authorize(
        &self,
        params: &crate::Params,
        session: Option<&pforte_types::SessionSnapshot>,
    ) -> AuthorizeOutcome {
        let _ = (params, session);
        AuthorizeOutcome::ErrorPage(OAuthError::server_error("authorize not built yet"))
    }

    /// Continues a pending request after the login (and consent) finished:
    /// issues the code and answers through the response encoder.
    pub async fn resume_authorization(
        &self,
        pending: &PendingAuthorization,
        result: &pforte_types::AuthResult,
        consent: ConsentDecision,
    ) -> AuthorizeOutcome {
        let _ = (pending, result, consent);
        AuthorizeOutcome::ErrorPage(OAuthError::server_error("authorize not built yet"))
    }

    /// The error response for a pending request the user abandoned (cancelled
    /// login: `access_denied`), always to the verified redirect URI with `iss`.
    pub fn abort_authorization(
        &self,
        pending: &PendingAuthorization,
        error: &OAuthError,
    ) -> AuthorizationResponse {
        let _ = error;
        AuthorizationResponse {
            redirect_uri: pending.redirect_uri.clone(),
            mode: pending.response_mode,
            params: Vec::new(),
        }
    }
}
