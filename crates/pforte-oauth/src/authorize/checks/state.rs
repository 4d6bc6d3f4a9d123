//! `state` (RFC 6749 4.1.1, 4.1.2): opaque to us and echoed unchanged in every
//! response, success or error. Runs first among the request checks so that any
//! later error carries it. Long values are returned intact, never truncated.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::OAuthError;

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    request.state = context.params.get("state")?.map(str::to_owned);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{code_of, run, web_client};
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn rfc6749_4_1_1_state_is_kept_verbatim() {
        let long = "s".repeat(2048);
        for state in ["xyz", "a b+c/=&?", long.as_str()] {
            let request = run(check, &web_client(), &[("state", state)]).unwrap();
            assert_eq!(request.state.as_deref(), Some(state));
        }
        assert_eq!(run(check, &web_client(), &[]).unwrap().state, None);
    }

    #[test]
    fn rfc6749_3_1_repeated_state_is_invalid() {
        let result = run(check, &web_client(), &[("state", "a"), ("state", "b")]);
        assert_eq!(code_of(&result), Some(ErrorCode::InvalidRequest));
    }
}
