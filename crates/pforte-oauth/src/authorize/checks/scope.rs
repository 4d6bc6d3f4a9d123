//! `scope` (RFC 6749 3.3, OIDC Core 3.1.2.1, 5.4, 11): the OpenID scopes plus the
//! API scopes the client is registered for (`extra_scopes`). Anything else is
//! `invalid_scope`, as is an omitted scope (RFC 6749 3.3 lets the server fail
//! instead of picking a default). A request without `openid` is a plain OAuth
//! request: it gets a code but no ID token. Order does not matter; duplicates
//! are dropped, first occurrence kept.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::discovery::OPENID_SCOPES;
use crate::error::{ErrorCode, OAuthError};

pub(crate) const INVALID: &str = "PF-OAUTH-118";

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    let requested = context.params.list("scope")?;
    if requested.is_empty() {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            INVALID,
            "scope is required",
        ));
    }
    let mut scopes: Vec<String> = Vec::with_capacity(requested.len());
    for scope in requested {
        let known =
            OPENID_SCOPES.contains(&scope.as_str()) || context.client.extra_scopes.contains(&scope);
        if !known {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                INVALID,
                "a requested scope is unknown or not allowed for this client",
            ));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    request.scopes = scopes;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{public_client, run, web_client};
    use super::*;

    #[test]
    fn rfc6749_3_3_scopes_are_openid_ones_or_the_clients_own() {
        let cases: [(&str, Option<&[&str]>); 9] = [
            ("openid", Some(&["openid"])),
            (
                "openid profile email phone offline_access",
                Some(&["openid", "profile", "email", "phone", "offline_access"]),
            ),
            ("email openid", Some(&["email", "openid"])),
            ("openid openid email", Some(&["openid", "email"])),
            ("openid api", Some(&["openid", "api"])),
            // Without openid: plain OAuth 2, still valid.
            ("api", Some(&["api"])),
            ("openid address", None),
            ("openid admin", None),
            ("OPENID", None),
        ];
        for (scope, expected) in cases {
            let result = run(check, &web_client(), &[("scope", scope)]);
            match expected {
                Some(scopes) => assert_eq!(result.unwrap().scopes, scopes, "{scope}"),
                None => assert_eq!(result.unwrap_err().code, ErrorCode::InvalidScope, "{scope}"),
            }
        }
    }

    #[test]
    fn extra_scopes_of_one_client_are_not_granted_to_another() {
        let error = run(check, &public_client(), &[("scope", "openid api")]).unwrap_err();
        assert_eq!(error.public_code, INVALID);
    }

    #[test]
    fn rfc6749_3_3_missing_scope_is_invalid_scope() {
        let error = run(check, &web_client(), &[]).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidScope);
    }
}
