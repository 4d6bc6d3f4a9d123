//! `client_id` (RFC 6749 4.1.1): it must name a registered client. An unknown or
//! missing client is shown as an error page and never redirected (RFC 6749
//! 4.1.2.1): there is no registered URI to trust.
//!
//! At PAR the client is the one that authenticated; a `client_id` in the body
//! must name that same client (RFC 9126 2.1).

use super::super::pipeline::{Endpoint, Gate};
use crate::error::{ErrorCode, OAuthError};

pub(crate) const MISSING: &str = "PF-OAUTH-101";
pub(crate) const UNKNOWN: &str = "PF-OAUTH-102";
pub(crate) const NOT_AUTHENTICATED_CLIENT: &str = "PF-OAUTH-140";

pub(crate) fn check(gate: &mut Gate) -> Result<(), OAuthError> {
    let client_id = gate.params.get("client_id")?;
    match gate.endpoint {
        Endpoint::Authorize => {
            let client_id = client_id.ok_or_else(|| {
                OAuthError::new(ErrorCode::InvalidRequest, MISSING, "client_id is required")
            })?;
            if gate
                .client
                .as_ref()
                .is_none_or(|client| client.client_id != client_id)
            {
                gate.client = None;
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    UNKNOWN,
                    "client_id does not name a registered client",
                ));
            }
        }
        Endpoint::Par => {
            let Some(client) = gate.client.as_ref() else {
                return Err(OAuthError::server_error(
                    "PAR without an authenticated client",
                ));
            };
            if client_id.is_some_and(|client_id| client_id != client.client_id) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    NOT_AUTHENTICATED_CLIENT,
                    "client_id is not the authenticated client",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{Pairs, params, web_client};
    use super::*;
    use chrono::DateTime;

    fn gate(endpoint: Endpoint, pairs: &[(&str, &str)], loaded: bool) -> Gate {
        let mut gate = Gate::new(
            endpoint,
            DateTime::from_timestamp(0, 0).unwrap(),
            params(pairs),
        );
        gate.client = loaded.then(web_client);
        gate
    }

    #[test]
    fn rfc6749_4_1_2_1_client_id_must_name_a_registered_client() {
        let cases: [(Pairs, bool, Option<&str>); 5] = [
            (&[("client_id", "portal")], true, None),
            (&[], false, Some(MISSING)),
            (&[("client_id", "nobody")], false, Some(UNKNOWN)),
            // The loaded client must be the one named.
            (&[("client_id", "nobody")], true, Some(UNKNOWN)),
            (
                &[("client_id", "portal"), ("client_id", "portal")],
                true,
                Some("PF-OAUTH-001"),
            ),
        ];
        for (pairs, loaded, expected) in cases {
            let result = check(&mut gate(Endpoint::Authorize, pairs, loaded));
            assert_eq!(result.err().map(|e| e.public_code), expected, "{pairs:?}");
        }
    }

    #[test]
    fn rfc9126_2_1_par_body_client_id_must_be_the_authenticated_client() {
        assert!(check(&mut gate(Endpoint::Par, &[], true)).is_ok());
        assert!(check(&mut gate(Endpoint::Par, &[("client_id", "portal")], true)).is_ok());
        assert_eq!(
            check(&mut gate(Endpoint::Par, &[("client_id", "app")], true))
                .unwrap_err()
                .public_code,
            NOT_AUTHENTICATED_CLIENT
        );
    }
}
