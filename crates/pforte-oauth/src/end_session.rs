//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

use crate::error::OAuthError;
use crate::params::Params;
use crate::provider::Provider;
use pforte_types::SessionSnapshot;

/// What the end-session endpoint decided. A redirect target exists only when a
/// valid `id_token_hint` names the client and the `post_logout_redirect_uri` is
/// registered for it; it already carries `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// Log out at once (the hint proves the RP acts for this session, or there
    /// is no session), then redirect or show the logged-out page.
    Proceed { redirect_to: Option<String> },
    /// Ask the user to confirm first (no hint, or one for another session);
    /// after the confirmation, log out and redirect or show the page.
    Confirm { redirect_to: Option<String> },
}

impl Provider {
    /// `params` from the query (GET) or the form body (POST). An `Err` is shown
    /// as an error page, never redirected.
    pub async fn end_session(
        &self,
        params: &Params,
        session: Option<&SessionSnapshot>,
    ) -> Result<LogoutOutcome, OAuthError> {
        let _ = (params, session);
        Err(OAuthError::server_error("end session not built yet"))
    }
}
