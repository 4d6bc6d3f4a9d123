//! `response_type` (RFC 6749 4.1.1, OIDC Core 3.1.2.1): only `code`. Implicit
//! and hybrid response types hand tokens to the browser (RFC 9700 2.1.2) and
//! are answered with `unsupported_response_type`; a missing one is an
//! `invalid_request`.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};

pub(crate) const MISSING: &str = "PF-OAUTH-114";
pub(crate) const UNSUPPORTED: &str = "PF-OAUTH-115";

pub(crate) fn check(
    context: &CheckContext<'_>,
    _request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    match context.params.get("response_type")? {
        Some("code") => Ok(()),
        Some(_) => Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            UNSUPPORTED,
            "only response_type=code is supported",
        )),
        None => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            MISSING,
            "response_type is required",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{code_of, run, web_client};
    use super::*;

    #[test]
    fn rfc9700_2_1_2_only_the_code_response_type_is_accepted() {
        let cases = [
            (Some("code"), None),
            (None, Some(ErrorCode::InvalidRequest)),
            (Some("token"), Some(ErrorCode::UnsupportedResponseType)),
            (Some("id_token"), Some(ErrorCode::UnsupportedResponseType)),
            (
                Some("code id_token"),
                Some(ErrorCode::UnsupportedResponseType),
            ),
            (Some("code token"), Some(ErrorCode::UnsupportedResponseType)),
            (Some("none"), Some(ErrorCode::UnsupportedResponseType)),
            (Some("CODE"), Some(ErrorCode::UnsupportedResponseType)),
        ];
        for (value, expected) in cases {
            let pairs: Vec<(&str, &str)> =
                value.map(|v| ("response_type", v)).into_iter().collect();
            assert_eq!(
                code_of(&run(check, &web_client(), &pairs)),
                expected,
                "{value:?}"
            );
        }
    }
}
