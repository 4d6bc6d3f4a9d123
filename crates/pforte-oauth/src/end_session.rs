//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
//!
//! The decision rules, and why:
//!
//! * A redirect back to the RP happens only when a **valid** `id_token_hint`
//!   (our signature, our issuer; expired is fine, spec section 2) names the
//!   client and the `post_logout_redirect_uri` is registered for that client by
//!   exact string match (section 3: the OP must not redirect to an unregistered
//!   URI, nor without confirming the target's legitimacy). `state` is appended.
//! * A `post_logout_redirect_uri` that is not registered for the client named by
//!   the hint or by `client_id` is an error page (`Err`), never a redirect. When
//!   no client is named at all, the URI cannot be checked and is ignored.
//! * A `client_id` that is not among the valid hint's audiences is an error page.
//! * An **invalid** hint (forged, modified, `alg: none`, another issuer's,
//!   signed by a key we no longer hold) is treated as *no hint*, not as an error
//!   page: a stale or damaged token must not leave the user unable to end a
//!   session they want to end, and without a trustworthy hint nobody proves the
//!   RP acts for this session. So: no redirect, and with a session the user is
//!   asked to confirm (ASVS 10.6.2: forced-logout protection).
//! * Without a session there is nothing to protect: `Proceed`. With a session,
//!   `Proceed` only when the valid hint's `sub` (and `sid`, when it carries one)
//!   match it; otherwise `Confirm`.

use crate::error::{ErrorCode, OAuthError};
use crate::id_token_hint::{self, HintedIdToken};
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

pub(crate) const UNREGISTERED_REDIRECT: &str = "PF-OAUTH-150";
pub(crate) const CLIENT_NOT_IN_HINT: &str = "PF-OAUTH-151";

impl Provider {
    /// `params` from the query (GET) or the form body (POST). An `Err` is shown
    /// as an error page, never redirected. See the module documentation for
    /// the rules.
    pub async fn end_session(
        &self,
        params: &Params,
        session: Option<&SessionSnapshot>,
    ) -> Result<LogoutOutcome, OAuthError> {
        let hint_text = params.get("id_token_hint")?;
        let post_logout_redirect_uri = params.get("post_logout_redirect_uri")?;
        let state = params.get("state")?;
        let client_id = params.get("client_id")?;
        // Read by the web layer for the pages; a repeated one is still malformed.
        params.get("ui_locales")?;

        let keys = self.keys.current();
        let hint = hint_text.and_then(|token| {
            id_token_hint::verify(token, &self.config.issuer, keys.as_ref()).ok()
        });
        if let (Some(hint), Some(client_id)) = (&hint, client_id)
            && !hint.is_for_client(client_id)
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                CLIENT_NOT_IN_HINT,
                "client_id is not an audience of id_token_hint",
            ));
        }

        let named_client = client_id.or_else(|| hint.as_ref().and_then(HintedIdToken::client_id));
        let redirect_to = match (post_logout_redirect_uri, named_client) {
            (Some(uri), Some(client_id)) => {
                let client = self.ports.clients.get_client(client_id).await?;
                match client {
                    Some(client) if !client.post_logout_redirect_uris.iter().any(|r| r == uri) => {
                        return Err(OAuthError::new(
                            ErrorCode::InvalidRequest,
                            UNREGISTERED_REDIRECT,
                            "post_logout_redirect_uri is not registered for this client",
                        ));
                    }
                    Some(_) if hint.is_some() => Some(with_state(uri, state)),
                    _ => None,
                }
            }
            _ => None,
        };

        let proceed = match session {
            None => true,
            Some(session) => hint
                .as_ref()
                .is_some_and(|hint| hint_matches_session(hint, session)),
        };
        Ok(if proceed {
            LogoutOutcome::Proceed { redirect_to }
        } else {
            LogoutOutcome::Confirm { redirect_to }
        })
    }
}

/// The hint was issued for this session: same account, and the same provider
/// session when the hint carries a `sid`.
fn hint_matches_session(hint: &HintedIdToken, session: &SessionSnapshot) -> bool {
    hint.subject == session.account_id && hint.sid.as_deref().is_none_or(|sid| sid == session.sid)
}

/// RP-Initiated Logout 1.0, 3: `state` goes back as a query parameter, added to
/// any query the registered URI already has.
fn with_state(uri: &str, state: Option<&str>) -> String {
    let Some(state) = state else {
        return uri.to_owned();
    };
    let encoded = serde_urlencoded::to_string([("state", state)]).unwrap_or_default();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pforte_types::AccountId;

    #[test]
    fn rp_initiated_logout_3_state_is_appended_to_the_registered_uri() {
        assert_eq!(
            with_state("https://rp.example/bye", None),
            "https://rp.example/bye"
        );
        assert_eq!(
            with_state("https://rp.example/bye", Some("a b&c")),
            "https://rp.example/bye?state=a+b%26c"
        );
        assert_eq!(
            with_state("https://rp.example/bye?x=1", Some("s")),
            "https://rp.example/bye?x=1&state=s"
        );
    }

    #[test]
    fn rp_initiated_logout_hint_matches_a_session_by_sub_and_sid() {
        let account = AccountId::new();
        let session = SessionSnapshot {
            sid: "sid-1".into(),
            evidence: Vec::new(),
            account_id: account,
            auth_time: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
            acr: "loa-low".into(),
            amr: vec![],
        };
        let hint = |subject, sid: Option<&str>| HintedIdToken {
            subject,
            audiences: vec!["portal".into()],
            authorized_party: None,
            sid: sid.map(str::to_owned),
        };
        assert!(hint_matches_session(
            &hint(account, Some("sid-1")),
            &session
        ));
        assert!(hint_matches_session(&hint(account, None), &session));
        assert!(!hint_matches_session(
            &hint(account, Some("sid-2")),
            &session
        ));
        assert!(!hint_matches_session(
            &hint(AccountId::new(), Some("sid-1")),
            &session
        ));
    }
}
