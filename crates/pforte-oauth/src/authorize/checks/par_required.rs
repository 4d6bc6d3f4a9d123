//! RFC 9126 5 `require_pushed_authorization_requests`: a client registered with
//! it must send its authorization requests through PAR. Runs at the
//! authorization endpoint only (a pushed request is PAR by definition).

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};

pub(crate) const REQUIRED: &str = "PF-OAUTH-117";

pub(crate) fn check(
    context: &CheckContext<'_>,
    _request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    if context.client.require_par && !context.via_par {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            REQUIRED,
            "this client must use pushed authorization requests",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{code_of, run_with, web_client};
    use super::*;
    use crate::id_token_hint::tests::TestKeys;
    use crate::model::Client;

    #[test]
    fn rfc9126_5_clients_requiring_par_must_come_through_par() {
        let strict = Client {
            require_par: true,
            ..web_client()
        };
        let keys = TestKeys::new();
        let cases = [
            (&strict, false, Some(ErrorCode::InvalidRequest)),
            (&strict, true, None),
            (&web_client(), false, None),
        ];
        for (client, via_par, expected) in cases {
            let result = run_with(check, client, &[], &keys, via_par);
            assert_eq!(
                code_of(&result),
                expected,
                "{} {via_par}",
                client.require_par
            );
        }
    }
}
