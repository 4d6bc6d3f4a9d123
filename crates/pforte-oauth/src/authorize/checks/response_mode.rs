//! `response_mode` (OAuth 2.0 Multiple Response Type Encoding Practices 2.1,
//! Form Post Response Mode 2): `query` (the default for `code`) or `form_post`.
//! `fragment` is refused: it exists for implicit and hybrid flows, which this
//! provider does not offer. An invalid mode is reported in the default mode.

use super::super::ResponseMode;
use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};

pub(crate) const UNSUPPORTED: &str = "PF-OAUTH-111";

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    request.response_mode = match context.params.get("response_mode")? {
        None | Some("query") => ResponseMode::Query,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                UNSUPPORTED,
                "response_mode must be query or form_post",
            ));
        }
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{Pairs, run, web_client};
    use super::*;

    #[test]
    fn form_post_2_query_and_form_post_are_the_response_modes() {
        let cases: [(Pairs, Option<ResponseMode>); 5] = [
            (&[], Some(ResponseMode::Query)),
            (&[("response_mode", "query")], Some(ResponseMode::Query)),
            (
                &[("response_mode", "form_post")],
                Some(ResponseMode::FormPost),
            ),
            (&[("response_mode", "fragment")], None),
            (&[("response_mode", "jwt")], None),
        ];
        for (pairs, expected) in cases {
            let result = run(check, &web_client(), pairs);
            match expected {
                Some(mode) => assert_eq!(result.unwrap().response_mode, mode, "{pairs:?}"),
                None => assert_eq!(result.unwrap_err().public_code, UNSUPPORTED, "{pairs:?}"),
            }
        }
    }
}
