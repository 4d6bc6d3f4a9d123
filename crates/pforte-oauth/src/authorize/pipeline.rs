//! The validation order of the authorization endpoint and of PAR, in one table.
//!
//! Reading [`PIPELINE`] top to bottom tells the whole order. Two kinds of check:
//!
//! * **Gate** checks run while the redirect URI is not yet trusted. Their
//!   failures can only become an error page ([`Rejection::Page`]): RFC 6749
//!   4.1.2.1 and RFC 9700 4.1 forbid redirecting to an unverified URI. The last
//!   gate check is the only place that produces a [`ReplyTo`].
//! * **Request** checks run with a [`ReplyTo`] in hand; their failures go back to
//!   the client ([`Rejection::Redirect`]) through the one response encoder.
//!
//! The columns `authorize` and `par` say which endpoint runs a check. PAR runs
//! every check except `par_required`, which a pushed request meets by
//! definition; the pushed parameters are checked again when `/authorize` takes
//! them, so a client or key change in between still counts.
//! After the table, `/authorize` alone decides whether the session is enough
//! (`decision.rs`).

use super::checks;
use super::checks::redirect_uri::ReplyTo;
use super::{PendingAuthorization, ResponseMode};
use crate::config::ProviderConfig;
use crate::error::OAuthError;
use crate::id_token_hint::{HintedIdToken, KeyLookup};
use crate::model::{Client, PushedRequest};
use crate::params::Params;
use chrono::{DateTime, Utc};
use pforte_types::Prompt;

/// The endpoint a request arrived at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Authorize,
    Par,
}

/// A check before the redirect URI is trusted.
pub(crate) type GateCheck = fn(&mut Gate) -> Result<(), OAuthError>;
/// A check of a request whose redirect URI is verified.
pub(crate) type RequestCheck =
    fn(&CheckContext<'_>, &mut AuthorizationRequest) -> Result<(), OAuthError>;

#[derive(Clone, Copy)]
pub(crate) enum Check {
    Gate(GateCheck),
    Request(RequestCheck),
}

/// One row of the table.
#[derive(Clone, Copy)]
pub(crate) struct Step {
    pub name: &'static str,
    pub authorize: bool,
    pub par: bool,
    pub check: Check,
}

impl Step {
    const fn both(name: &'static str, check: Check) -> Self {
        Self {
            name,
            authorize: true,
            par: true,
            check,
        }
    }

    const fn authorize_only(name: &'static str, check: Check) -> Self {
        Self {
            name,
            authorize: true,
            par: false,
            check,
        }
    }

    /// Names the failed check in the error's internal detail, for the log.
    fn note_on(&self, error: OAuthError) -> OAuthError {
        let internal = match error.internal {
            Some(detail) => format!("{} check: {detail}", self.name),
            None => format!("{} check", self.name),
        };
        OAuthError {
            internal: Some(internal),
            ..error
        }
    }

    pub(crate) fn runs_at(&self, endpoint: Endpoint) -> bool {
        match endpoint {
            Endpoint::Authorize => self.authorize,
            Endpoint::Par => self.par,
        }
    }
}

use Check::{Gate as G, Request as R};

/// Every check, in the order it runs.
pub(crate) const PIPELINE: &[Step] = &[
    // --- gate: failures are error pages, never redirects ---
    // authorize: resolve a PAR request_uri (single use, this client, unexpired);
    // PAR: a request_uri inside a pushed request is refused (RFC 9126 2.1).
    Step::both("request_uri", G(checks::request_uri::check)),
    // client_id names a registered client (PAR: the authenticated one).
    Step::both("client", G(checks::client::check)),
    // redirect_uri present and registered, exact match (RFC 9700 4.1.3; loopback
    // port for native clients, RFC 8252 7.3). Produces the ReplyTo.
    Step::both("redirect_uri", G(checks::redirect_uri::check)),
    // --- request: failures go back to the client with iss (RFC 9207) ---
    // state first, so every later error carries it.
    Step::both("state", R(checks::state::check)),
    // response_mode next, so every later error is delivered in it.
    Step::both("response_mode", R(checks::response_mode::check)),
    // request objects and dynamic registration are not offered.
    Step::both("request_object", R(checks::request_object::check)),
    Step::both("response_type", R(checks::response_type::check)),
    Step::both("grant_type", R(checks::grant_type::check)),
    Step::authorize_only("par_required", R(checks::par_required::check)),
    Step::both("scope", R(checks::scope::check)),
    Step::both("nonce", R(checks::nonce::check)),
    Step::both("pkce", R(checks::pkce::check)),
    Step::both("prompt", R(checks::prompt::check)),
    Step::both("max_age", R(checks::max_age::check)),
    Step::both("id_token_hint", R(checks::id_token_hint::check)),
    Step::both("login_hint", R(checks::login_hint::check)),
    Step::both("ui_locales", R(checks::ui_locales::check)),
    Step::both("claims", R(checks::claims::check)),
    // after claims: an essential acr claim adds to acr_values.
    Step::both("acr", R(checks::acr::check)),
];

/// What the gate checks work on. The runner loads the client and any pushed
/// request from the store first, so the checks themselves stay pure.
pub(crate) struct Gate {
    pub endpoint: Endpoint,
    pub now: DateTime<Utc>,
    /// The parameters in force: as received, or the pushed ones once the
    /// `request_uri` check resolved them.
    pub params: Params,
    /// The request came through PAR (RFC 9126 4).
    pub via_par: bool,
    /// authorize: the client the received `client_id` names, if registered;
    /// PAR: the authenticated client.
    pub client: Option<Client>,
    /// authorize: the pushed request the received `request_uri` named, already
    /// taken from the store (single use).
    pub pushed: Option<PushedRequest>,
    /// Set by the `redirect_uri` check only.
    pub reply_to: Option<ReplyTo>,
}

impl Gate {
    pub(crate) fn new(endpoint: Endpoint, now: DateTime<Utc>, params: Params) -> Self {
        Self {
            endpoint,
            now,
            params,
            via_par: false,
            client: None,
            pushed: None,
            reply_to: None,
        }
    }
}

/// What request checks may read.
pub(crate) struct CheckContext<'a> {
    pub via_par: bool,
    pub params: &'a Params,
    pub client: &'a Client,
    pub issuer: &'a str,
    pub keys: &'a dyn KeyLookup,
    /// The assurance levels, lowest first (`ProviderConfig::acr_levels`).
    pub acr_levels: &'a [String],
    /// The tenant's minimum level (`ProviderConfig::minimum_acr`).
    pub minimum_acr: Option<&'a str>,
}

/// The request as the checks have validated it so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthorizationRequest {
    pub state: Option<String>,
    pub response_mode: ResponseMode,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<Prompt>,
    pub max_age: Option<u64>,
    pub hint: Option<HintedIdToken>,
    pub login_hint: Option<String>,
    pub ui_locales: Vec<String>,
    pub claims: Option<serde_json::Value>,
    pub acr_values: Vec<String>,
    /// The level the login must reach (`checks/acr.rs`).
    pub required_acr: Option<String>,
    /// An essential `acr` claim takes part in `required_acr`.
    pub essential_acr: bool,
}

impl AuthorizationRequest {
    pub(crate) fn new() -> Self {
        Self {
            state: None,
            response_mode: ResponseMode::Query,
            scopes: Vec::new(),
            nonce: None,
            code_challenge: None,
            prompt: Vec::new(),
            max_age: None,
            hint: None,
            login_hint: None,
            ui_locales: Vec::new(),
            claims: None,
            acr_values: Vec::new(),
            required_acr: None,
            essential_acr: false,
        }
    }
}

/// A request that passed every check of its endpoint.
#[derive(Debug)]
pub(crate) struct Validated {
    pub client: Client,
    pub reply_to: ReplyTo,
    pub request: AuthorizationRequest,
    /// The parameters in force (the pushed ones when `via_par`).
    pub params: Params,
}

impl Validated {
    /// The request as the web layer keeps it during the login.
    pub(crate) fn pending(&self) -> PendingAuthorization {
        let request = &self.request;
        PendingAuthorization {
            client_id: self.client.client_id.clone(),
            redirect_uri: self.reply_to.redirect_uri().to_owned(),
            response_mode: request.response_mode,
            scopes: request.scopes.clone(),
            state: request.state.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            prompt: request.prompt.clone(),
            max_age: request.max_age,
            acr_values: request.acr_values.clone(),
            required_acr: request.required_acr.clone(),
            essential_acr: request.essential_acr,
            claims: request.claims.clone(),
            login_hint: request.login_hint.clone(),
            ui_locales: request.ui_locales.clone(),
            hinted_account: request.hint.as_ref().map(|hint| hint.subject),
        }
    }
}

/// Why a request was refused, and how the refusal may be delivered.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// No verified redirect URI: an error page.
    Page(OAuthError),
    /// Back to the client, in the mode and with the state validated so far.
    Redirect {
        reply_to: ReplyTo,
        response_mode: ResponseMode,
        state: Option<String>,
        error: OAuthError,
    },
}

impl Rejection {
    /// At PAR every refusal is a JSON error (RFC 9126 2.3).
    pub(crate) fn into_error(self) -> OAuthError {
        match self {
            Self::Page(error) | Self::Redirect { error, .. } => error,
        }
    }
}

/// Runs the checks of `gate.endpoint` in table order: the gate checks, then the
/// request checks.
pub(crate) fn run(
    mut gate: Gate,
    config: &ProviderConfig,
    keys: &dyn KeyLookup,
) -> Result<Validated, Rejection> {
    let endpoint = gate.endpoint;
    let steps = PIPELINE.iter().filter(|step| step.runs_at(endpoint));
    for step in steps.clone() {
        if let Check::Gate(check) = step.check {
            check(&mut gate).map_err(|error| Rejection::Page(step.note_on(error)))?;
        }
    }
    let (Some(client), Some(reply_to)) = (gate.client.take(), gate.reply_to.take()) else {
        return Err(Rejection::Page(OAuthError::server_error(
            "the gate checks left no client or redirect URI",
        )));
    };
    let context = CheckContext {
        via_par: gate.via_par,
        params: &gate.params,
        client: &client,
        issuer: &config.issuer,
        keys,
        acr_levels: &config.acr_levels,
        minimum_acr: config.minimum_acr.as_deref(),
    };
    let mut request = AuthorizationRequest::new();
    for step in steps {
        if let Check::Request(check) = step.check
            && let Err(error) = check(&context, &mut request)
        {
            return Err(Rejection::Redirect {
                reply_to,
                response_mode: request.response_mode,
                state: request.state,
                error: step.note_on(error),
            });
        }
    }
    Ok(Validated {
        client,
        reply_to,
        request,
        params: gate.params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_checks_come_before_every_request_check() {
        let first_request = PIPELINE
            .iter()
            .position(|step| matches!(step.check, Check::Request(_)))
            .unwrap_or(PIPELINE.len());
        assert!(
            PIPELINE[first_request..]
                .iter()
                .all(|step| matches!(step.check, Check::Request(_))),
            "a gate check after a request check would run too late"
        );
        assert_eq!(
            PIPELINE
                .iter()
                .rev()
                .find(|step| matches!(step.check, Check::Gate(_)))
                .map(|step| step.name),
            Some("redirect_uri"),
            "the redirect URI check closes the gate"
        );
    }

    #[test]
    fn state_and_response_mode_run_first_so_errors_carry_them() {
        let names: Vec<&str> = PIPELINE
            .iter()
            .filter(|step| matches!(step.check, Check::Request(_)))
            .map(|step| step.name)
            .collect();
        assert_eq!(&names[..2], ["state", "response_mode"]);
        let position = |name| names.iter().position(|n| *n == name);
        assert!(position("claims") < position("acr"));
    }

    #[test]
    fn rfc9126_par_runs_every_check_but_the_par_requirement() {
        let skipped_at_par: Vec<&str> = PIPELINE
            .iter()
            .filter(|step| !step.runs_at(Endpoint::Par))
            .map(|step| step.name)
            .collect();
        assert_eq!(skipped_at_par, ["par_required"]);
        assert!(
            PIPELINE
                .iter()
                .all(|step| step.runs_at(Endpoint::Authorize))
        );
    }
}
