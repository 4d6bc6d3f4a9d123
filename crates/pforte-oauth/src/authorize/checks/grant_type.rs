//! The client must be registered for the `authorization_code` grant to use the
//! authorization endpoint (RFC 6749 4.1.2.1 `unauthorized_client`; OIDC
//! Registration 2 `grant_types`). A client-credentials-only client cannot start
//! a user login.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};
use crate::model::GrantType;

pub(crate) const NOT_ALLOWED: &str = "PF-OAUTH-116";

pub(crate) fn check(
    context: &CheckContext<'_>,
    _request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    if context.client.allows_grant(GrantType::AuthorizationCode) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            NOT_ALLOWED,
            "the client may not use the authorization code grant",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{code_of, run, web_client};
    use super::*;
    use crate::model::Client;

    #[test]
    fn rfc6749_4_1_2_1_client_without_code_grant_is_unauthorized() {
        assert_eq!(code_of(&run(check, &web_client(), &[])), None);
        let machine = Client {
            grant_types: vec![GrantType::ClientCredentials],
            ..web_client()
        };
        assert_eq!(
            code_of(&run(check, &machine, &[])),
            Some(ErrorCode::UnauthorizedClient)
        );
    }
}
