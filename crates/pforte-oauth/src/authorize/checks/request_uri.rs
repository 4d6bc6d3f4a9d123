//! `request_uri` (RFC 9126 4): at the authorization endpoint only the URNs this
//! provider issued at its PAR endpoint are accepted (no request objects by
//! reference, OIDC Core 6.2). The pushed request is taken from the store before
//! this check runs, so it is used at most once, even when the check then fails;
//! it must have been pushed by the client named in `client_id` and be
//! unexpired. Its parameters replace the received ones: parameters outside the
//! pushed request are ignored (RFC 9126 4).
//!
//! Inside a pushed request `request_uri` is refused (RFC 9126 2.1).
//!
//! Failures are error pages: the redirect URI lives in the pushed request, so
//! none is verified yet.

use super::super::pipeline::{Endpoint, Gate};
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;

use crate::par::REQUEST_URI_PREFIX as URN_PREFIX;

pub(crate) const INVALID: &str = "PF-OAUTH-105";
pub(crate) const INSIDE_PAR: &str = "PF-OAUTH-106";

/// The random handle of a `request_uri` we issued, if it is one.
pub(crate) fn pushed_handle(request_uri: &str) -> Option<&str> {
    request_uri
        .strip_prefix(URN_PREFIX)
        .filter(|handle| !handle.is_empty())
}

fn invalid(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestUri, INVALID, description)
}

pub(crate) fn check(gate: &mut Gate) -> Result<(), OAuthError> {
    match gate.endpoint {
        Endpoint::Par => {
            if gate.params.contains("request_uri") {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    INSIDE_PAR,
                    "request_uri must not be pushed",
                ));
            }
            Ok(())
        }
        Endpoint::Authorize => {
            let Some(request_uri) = gate.params.get("request_uri")? else {
                return Ok(());
            };
            if pushed_handle(request_uri).is_none() {
                return Err(invalid(
                    "only request_uri values from the PAR endpoint are accepted",
                ));
            }
            let client_id = gate.params.get("client_id")?.ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::InvalidRequest,
                    super::client::MISSING,
                    "client_id is required",
                )
            })?;
            let pushed = gate
                .pushed
                .take()
                .ok_or_else(|| invalid("request_uri is unknown or was already used"))?;
            if pushed.client_id != client_id {
                return Err(invalid("request_uri was pushed by another client"));
            }
            if pushed.expires_at <= gate.now {
                return Err(invalid("request_uri has expired"));
            }
            gate.params = Params::new(pushed.params);
            gate.via_par = true;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{Pairs, params};
    use super::*;
    use crate::model::PushedRequest;
    use chrono::{DateTime, TimeDelta, Utc};

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_000, 0).unwrap()
    }

    fn pushed(client_id: &str, expires_in: i64) -> PushedRequest {
        PushedRequest {
            uri_digest: "d".into(),
            client_id: client_id.into(),
            params: vec![
                ("client_id".into(), client_id.into()),
                ("scope".into(), "openid".into()),
            ],
            expires_at: now() + TimeDelta::seconds(expires_in),
        }
    }

    fn gate(pairs: &[(&str, &str)], pushed: Option<PushedRequest>) -> Gate {
        let mut gate = Gate::new(Endpoint::Authorize, now(), params(pairs));
        gate.pushed = pushed;
        gate
    }

    const URN: &str = "urn:ietf:params:oauth:request_uri:abc";

    #[test]
    fn rfc9126_4_pushed_parameters_replace_the_received_ones() {
        let mut gate = gate(
            &[
                ("client_id", "portal"),
                ("request_uri", URN),
                ("scope", "email"),
            ],
            Some(pushed("portal", 30)),
        );
        check(&mut gate).unwrap();
        assert!(gate.via_par);
        assert_eq!(gate.params.get("scope").unwrap(), Some("openid"));
    }

    #[test]
    fn rfc9126_request_uri_must_be_ours_unused_unexpired_and_of_this_client() {
        let cases: [(&str, Pairs, Option<PushedRequest>, &str); 6] = [
            (
                "not a PAR URN",
                &[
                    ("client_id", "portal"),
                    ("request_uri", "https://rp.example/r"),
                ],
                None,
                INVALID,
            ),
            (
                "an empty handle",
                &[("client_id", "portal"), ("request_uri", URN_PREFIX)],
                None,
                INVALID,
            ),
            (
                "unknown or used",
                &[("client_id", "portal"), ("request_uri", URN)],
                None,
                INVALID,
            ),
            (
                "another client's",
                &[("client_id", "app"), ("request_uri", URN)],
                Some(pushed("portal", 30)),
                INVALID,
            ),
            (
                "expired",
                &[("client_id", "portal"), ("request_uri", URN)],
                Some(pushed("portal", 0)),
                INVALID,
            ),
            (
                "without client_id",
                &[("request_uri", URN)],
                Some(pushed("portal", 30)),
                super::super::client::MISSING,
            ),
        ];
        for (what, pairs, pushed, expected) in cases {
            let mut gate = gate(pairs, pushed);
            let error = check(&mut gate).unwrap_err();
            assert_eq!(error.public_code, expected, "{what}");
            assert!(!gate.via_par, "{what}");
        }
        let error = check(&mut gate(
            &[("client_id", "portal"), ("request_uri", URN)],
            None,
        ))
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequestUri);
    }

    #[test]
    fn rfc9126_2_1_request_uri_inside_a_pushed_request_is_refused() {
        let mut gate = Gate::new(Endpoint::Par, now(), params(&[("request_uri", URN)]));
        let error = check(&mut gate).unwrap_err();
        assert_eq!(
            (error.code, error.public_code),
            (ErrorCode::InvalidRequest, INSIDE_PAR)
        );
    }

    #[test]
    fn requests_without_request_uri_pass_untouched() {
        let mut gate = gate(&[("client_id", "portal")], None);
        check(&mut gate).unwrap();
        assert!(!gate.via_par);
    }
}
