//! Request objects (OIDC Core 6) and the `registration` parameter (OIDC Core
//! 7.2.1) are not offered: discovery says `request_parameter_supported: false`.
//! A `request` gets `request_not_supported` (OIDC Core 3.1.2.6); `registration`
//! gets `invalid_request`, since `registration_not_supported` is not an error
//! this provider emits.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};

pub(crate) const REQUEST: &str = "PF-OAUTH-112";
pub(crate) const REGISTRATION: &str = "PF-OAUTH-113";

pub(crate) fn check(
    context: &CheckContext<'_>,
    _request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    if context.params.contains("request") {
        return Err(OAuthError::new(
            ErrorCode::RequestNotSupported,
            REQUEST,
            "request objects are not supported; use PAR",
        ));
    }
    if context.params.contains("registration") {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            REGISTRATION,
            "the registration parameter is not supported",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{Pairs, code_of, run, web_client};
    use super::*;

    #[test]
    fn oidc_core_6_request_objects_and_registration_are_refused() {
        let cases: [(Pairs, Option<ErrorCode>); 3] = [
            (&[("display", "page")], None),
            (
                &[("request", "eyJ.e30.")],
                Some(ErrorCode::RequestNotSupported),
            ),
            (&[("registration", "{}")], Some(ErrorCode::InvalidRequest)),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                code_of(&run(check, &web_client(), pairs)),
                expected,
                "{pairs:?}"
            );
        }
    }
}
