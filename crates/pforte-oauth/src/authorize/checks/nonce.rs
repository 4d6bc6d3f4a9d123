//! `nonce` (OIDC Core 3.1.2.1): optional in the code flow, bound to the code and
//! copied into the ID token unchanged, however long.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::OAuthError;

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    request.nonce = context.params.get("nonce")?.map(str::to_owned);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{code_of, run, web_client};
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn oidc_core_3_1_2_1_nonce_is_optional_and_kept_verbatim() {
        let long = "n".repeat(384);
        assert_eq!(run(check, &web_client(), &[]).unwrap().nonce, None);
        let request = run(check, &web_client(), &[("nonce", &long)]).unwrap();
        assert_eq!(request.nonce.as_deref(), Some(long.as_str()));
        let repeated = run(check, &web_client(), &[("nonce", "a"), ("nonce", "b")]);
        assert_eq!(code_of(&repeated), Some(ErrorCode::InvalidRequest));
    }
}
