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

pub(crate) mod checks;
mod code;
mod decision;
pub(crate) mod pipeline;
pub(crate) mod response;

use crate::error::{ErrorCode, OAuthError};
use crate::model::Client;
use crate::params::Params;
use crate::provider::Provider;
use checks::redirect_uri::{ReplyTo, reply_to_for};
use checks::request_uri::pushed_handle;
use decision::SessionDecision;
use pforte_crypto::random::sha256_b64url;
use pforte_types::{AccountId, AuthResult, AuthTarget, Prompt, SessionSnapshot};
use pipeline::{Endpoint, Gate, Rejection, Validated};
use response::{ResponseBody, encode};
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
    /// The level the login must reach (R-AC-2), computed at `/authorize`; the
    /// completion refuses a login below it.
    #[serde(default)]
    pub required_acr: Option<String>,
    /// An essential `acr` claim takes part in `required_acr` (OIDC Core
    /// 5.5.1.1).
    #[serde(default)]
    pub essential_acr: bool,
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

impl Provider {
    /// The authorization endpoint: `params` from the query (GET) or the form
    /// body (POST); `session` is the browser's live provider session, if any.
    ///
    /// Runs the checks of `pipeline.rs`, then decides on the session: issue the
    /// code at once, hand over to the login flow, or answer `login_required`.
    pub async fn authorize(
        &self,
        params: &Params,
        session: Option<&SessionSnapshot>,
    ) -> AuthorizeOutcome {
        let gate = match self.load_gate(params).await {
            Ok(gate) => gate,
            Err(error) => return AuthorizeOutcome::ErrorPage(error),
        };
        let validated = match pipeline::run(gate, &self.config, self.keys.current().as_ref()) {
            Ok(validated) => validated,
            Err(rejection) => return self.reject(rejection),
        };
        let pending = validated.pending();
        match decision::decide(
            &validated.request,
            session,
            self.clock.now(),
            &self.config.acr_levels,
        ) {
            SessionDecision::Issue(login) => {
                self.issue_and_respond(&validated.reply_to, &pending, &login)
                    .await
            }
            SessionDecision::Interact {
                force_reauthentication,
                consent_required,
            } => AuthorizeOutcome::Interaction(Box::new(InteractionRequired {
                target: auth_target(&validated, force_reauthentication, consent_required),
                pending,
            })),
            SessionDecision::LoginRequired(why) => AuthorizeOutcome::Respond(self.error_response(
                &validated.reply_to,
                &pending,
                &OAuthError::new(ErrorCode::LoginRequired, LOGIN_REQUIRED, why),
            )),
        }
    }

    /// Continues a pending request after the login (and consent) finished:
    /// issues the code and answers through the response encoder.
    ///
    /// The client and redirect URI are verified again against the store, so a
    /// client removed during the login gets no code. A denied consent answers
    /// `access_denied`; a request with `prompt=consent` that was never asked
    /// answers `consent_required`; a login by another account than the
    /// `id_token_hint` named answers `login_required`.
    pub async fn resume_authorization(
        &self,
        pending: &PendingAuthorization,
        result: &AuthResult,
        consent: ConsentDecision,
    ) -> AuthorizeOutcome {
        let client = match self.ports.clients.get_client(&pending.client_id).await {
            Ok(client) => client,
            Err(error) => return AuthorizeOutcome::ErrorPage(error.into()),
        };
        let Some(client) = client else {
            return AuthorizeOutcome::ErrorPage(OAuthError::new(
                ErrorCode::InvalidRequest,
                checks::client::UNKNOWN,
                "client_id does not name a registered client",
            ));
        };
        let reply_to = match reply_to_for(&client, &pending.redirect_uri) {
            Ok(reply_to) => reply_to,
            Err(error) => return AuthorizeOutcome::ErrorPage(error),
        };
        let refusal = match consent {
            ConsentDecision::Denied => Some(OAuthError::new(
                ErrorCode::AccessDenied,
                ACCESS_DENIED,
                "the user denied the request",
            )),
            ConsentDecision::NotAsked if pending.prompt.contains(&Prompt::Consent) => {
                Some(OAuthError::new(
                    ErrorCode::ConsentRequired,
                    CONSENT_REQUIRED,
                    "the user was not asked for consent",
                ))
            }
            _ => None,
        }
        .or_else(|| {
            pending
                .hinted_account
                .filter(|hinted| *hinted != result.account_id)
                .map(|_| {
                    OAuthError::new(
                        ErrorCode::LoginRequired,
                        LOGIN_REQUIRED,
                        "another account logged in than id_token_hint names",
                    )
                })
        })
        .or_else(|| self.assurance_refusal(&client, pending, result));
        if let Some(error) = refusal {
            return AuthorizeOutcome::Respond(self.error_response(&reply_to, pending, &error));
        }
        self.issue_and_respond(&reply_to, pending, result).await
    }

    /// Refuses a login below the required level (R-AC-2, R-AC-4): the code
    /// would otherwise claim a level the user never reached. The minimums are
    /// read again, so one raised during the login counts. An essential `acr`
    /// that was not met answers `unmet_authentication_requirements` (OIDC Core
    /// 5.5.1.1); anything else `access_denied`.
    fn assurance_refusal(
        &self,
        client: &Client,
        pending: &PendingAuthorization,
        result: &AuthResult,
    ) -> Option<OAuthError> {
        let levels = &self.config.acr_levels;
        let reaches =
            |required: Option<&str>| checks::acr::satisfies(levels, &result.acr, required);
        let enough = reaches(pending.required_acr.as_deref())
            && reaches(client.minimum_acr.as_deref())
            && reaches(self.config.minimum_acr.as_deref());
        if enough {
            return None;
        }
        let essential_met = pending
            .claims
            .as_ref()
            .map(checks::claims::essential_acr_values)
            .unwrap_or_default()
            .iter()
            .filter_map(|value| self.config.acr_rank(value).map(|rank| (rank, value)))
            .min_by_key(|(rank, _)| *rank)
            .is_none_or(|(_, lowest)| reaches(Some(lowest)));
        Some(if essential_met {
            OAuthError::new(
                ErrorCode::AccessDenied,
                BELOW_REQUIRED_LEVEL,
                "the login did not reach the required assurance level",
            )
        } else {
            OAuthError::new(
                ErrorCode::UnmetAuthenticationRequirements,
                ESSENTIAL_ACR_UNMET,
                "the login did not reach the essential acr",
            )
        })
    }

    /// The error response for a pending request the login flow gives up on,
    /// always to the verified redirect URI with `iss`: a cancelled login
    /// ([`OAuthError::access_denied`]), or a level the user cannot reach, e.g.
    /// no enrolled factor and enrolment not allowed (R-AC-4):
    /// [`OAuthError::unmet_authentication_requirements`] when
    /// `AuthTarget::essential_acr`, else [`OAuthError::access_denied`].
    pub fn abort_authorization(
        &self,
        pending: &PendingAuthorization,
        error: &OAuthError,
    ) -> AuthorizationResponse {
        self.error_response(&ReplyTo::of_pending(pending), pending, error)
    }

    /// Loads what the gate checks need: the client named by `client_id` and
    /// the pushed request named by `request_uri` (taken, so single use).
    async fn load_gate(&self, params: &Params) -> Result<Gate, OAuthError> {
        let mut gate = Gate::new(Endpoint::Authorize, self.clock.now(), params.clone());
        if let Ok(Some(request_uri)) = params.get("request_uri")
            && let Some(handle) = pushed_handle(request_uri)
        {
            gate.pushed = self
                .ports
                .grants
                .take_pushed_request(&sha256_b64url(handle))
                .await?;
        }
        if let Ok(Some(client_id)) = params.get("client_id") {
            gate.client = self.ports.clients.get_client(client_id).await?;
        }
        Ok(gate)
    }

    fn reject(&self, rejection: Rejection) -> AuthorizeOutcome {
        match rejection {
            Rejection::Page(error) => AuthorizeOutcome::ErrorPage(error),
            Rejection::Redirect {
                reply_to,
                response_mode,
                state,
                error,
            } => AuthorizeOutcome::Respond(encode(
                &reply_to,
                response_mode,
                state.as_deref(),
                &self.config.issuer,
                ResponseBody::Error(&error),
            )),
        }
    }

    fn error_response(
        &self,
        reply_to: &ReplyTo,
        pending: &PendingAuthorization,
        error: &OAuthError,
    ) -> AuthorizationResponse {
        encode(
            reply_to,
            pending.response_mode,
            pending.state.as_deref(),
            &self.config.issuer,
            ResponseBody::Error(error),
        )
    }

    async fn issue_and_respond(
        &self,
        reply_to: &ReplyTo,
        pending: &PendingAuthorization,
        login: &AuthResult,
    ) -> AuthorizeOutcome {
        let response = match self.issue_code(pending, login).await {
            Ok(code) => encode(
                reply_to,
                pending.response_mode,
                pending.state.as_deref(),
                &self.config.issuer,
                ResponseBody::Code(&code),
            ),
            Err(error) => self.error_response(reply_to, pending, &error),
        };
        AuthorizeOutcome::Respond(response)
    }
}

const LOGIN_REQUIRED: &str = "PF-OAUTH-130";
const ACCESS_DENIED: &str = "PF-OAUTH-131";
const CONSENT_REQUIRED: &str = "PF-OAUTH-132";
const ESSENTIAL_ACR_UNMET: &str = "PF-OAUTH-133";
const BELOW_REQUIRED_LEVEL: &str = "PF-OAUTH-134";

/// What the login flow must achieve for `validated`.
fn auth_target(
    validated: &Validated,
    force_reauthentication: bool,
    consent_required: bool,
) -> AuthTarget {
    let request = &validated.request;
    AuthTarget {
        client_id: validated.client.client_id.clone(),
        client_name: validated.client.name.clone(),
        login_hint: request.login_hint.clone(),
        required_account: request.hint.as_ref().map(|hint| hint.subject),
        force_reauthentication,
        acr_values: request.acr_values.clone(),
        required_acr: request.required_acr.clone(),
        essential_acr: request.essential_acr,
        max_age: request.max_age,
        ui_locales: request.ui_locales.clone(),
        requested_scopes: request.scopes.clone(),
        consent_required,
    }
}
