//! The userinfo endpoint (OIDC Core 5.3) with bearer tokens from the header or
//! the form body (RFC 6750 2.1, 2.2).
//!
//! Errors follow RFC 6750 3.1:
//! - a token in both the header and the body: `invalid_request` (400);
//! - no token at all: `invalid_token` (401) with its own public code
//!   `PF-OAUTH-220`. RFC 6750 3.1 says such a response SHOULD carry no error
//!   code; the web layer may recognise the public code and send a bare
//!   `WWW-Authenticate: Bearer realm=…`. A code is kept here because the body
//!   of the response still needs one and "no valid token" is the truth;
//! - a token that does not verify, has expired or was revoked: `invalid_token`;
//! - a valid token without the `openid` scope: `insufficient_scope` (403).

use crate::access_token::AccessTokenCheck;
use crate::config::paths;
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::provider::Provider;
use crate::released_claims::{RELEASABLE_CLAIMS, insert_claims, released_names};
use pforte_types::AccountId;
use serde_json::{Map, Value};

/// Public code of "no access token in the request".
pub const MISSING_TOKEN_PUBLIC_CODE: &str = "PF-OAUTH-220";

fn missing_token() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidToken,
        MISSING_TOKEN_PUBLIC_CODE,
        "no access token in the request",
    )
}

fn insufficient_scope() -> OAuthError {
    OAuthError::new(
        ErrorCode::InsufficientScope,
        "PF-OAUTH-221",
        "the access token was not granted the openid scope",
    )
}

/// The token of an `Authorization: Bearer` header (the scheme is
/// case-insensitive, RFC 7235 2.1); `None` for other schemes.
fn bearer_from_header(header: &str) -> Result<Option<&str>, OAuthError> {
    let header = header.trim();
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = token.trim();
    if token.is_empty() || token.contains(' ') {
        return Err(OAuthError::invalid_request("malformed Bearer credentials"));
    }
    Ok(Some(token))
}

/// Finds the one access token of a userinfo request (RFC 6750 2: a client
/// MUST NOT use more than one method).
pub(crate) fn presented_bearer_token<'a>(
    authorization: Option<&'a str>,
    body: &'a Params,
) -> Result<&'a str, OAuthError> {
    let from_header = match authorization {
        Some(header) => bearer_from_header(header)?,
        None => None,
    };
    let from_body = body.get("access_token")?;
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "the access token was sent both in the header and in the body",
        )),
        (Some(token), None) | (None, Some(token)) => Ok(token),
        (None, None) => Err(missing_token()),
    }
}

impl Provider {
    /// Returns the claims the access token's scopes and `claims` request allow.
    /// `authorization` is the raw `Authorization` header, `body` the form body of
    /// a POST (empty for GET). Errors are RFC 6750 3.1 codes; the web layer adds
    /// `WWW-Authenticate: Bearer …`.
    pub async fn userinfo(
        &self,
        authorization: Option<&str>,
        body: &Params,
    ) -> Result<serde_json::Value, OAuthError> {
        let token = presented_bearer_token(authorization, body)?;
        let verified = match self.check_access_token(token).await? {
            AccessTokenCheck::Valid(verified) => verified,
            AccessTokenCheck::Invalid(reason) => return Err(OAuthError::invalid_token(reason)),
        };
        if !verified.scopes().any(|scope| scope == "openid") {
            return Err(insufficient_scope());
        }
        if !verified.has_audience(&self.config.endpoint(paths::USERINFO)) {
            return Err(OAuthError::invalid_token(
                "the access token is not meant for userinfo",
            ));
        }
        let account = AccountId::parse(&verified.subject)
            .ok_or_else(|| OAuthError::invalid_token("the access token names no user"))?;
        let requested: Vec<&str> = RELEASABLE_CLAIMS
            .iter()
            .copied()
            .filter(|name| verified.userinfo_claims.iter().any(|asked| asked == name))
            .collect();
        let names = released_names(verified.scopes(), &requested);
        let mut claims = Map::new();
        claims.insert("sub".into(), Value::from(verified.subject.as_str()));
        let subject_claims = self
            .ports
            .claims
            .subject_claims(account)
            .await?
            .ok_or_else(|| OAuthError::invalid_token("the account no longer exists"))?;
        insert_claims(&mut claims, &subject_claims, &names);
        Ok(Value::Object(claims))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn body(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn rfc6750_2_1_bearer_scheme_is_case_insensitive() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc "] {
            assert_eq!(
                presented_bearer_token(Some(header), &body(&[])).unwrap(),
                "abc"
            );
        }
    }

    #[test]
    fn rfc6750_2_2_token_in_the_form_body_is_accepted() {
        let form = body(&[("access_token", "abc")]);
        assert_eq!(presented_bearer_token(None, &form).unwrap(), "abc");
        // Another scheme in the header is not a bearer token.
        assert_eq!(
            presented_bearer_token(Some("Basic eDp5"), &form).unwrap(),
            "abc"
        );
    }

    #[test]
    fn rfc6750_3_1_two_methods_are_invalid_request() {
        let form = body(&[("access_token", "abc")]);
        assert_eq!(
            presented_bearer_token(Some("Bearer abc"), &form)
                .unwrap_err()
                .code,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn rfc6750_3_1_missing_token_is_invalid_token_with_its_own_public_code() {
        let error = presented_bearer_token(None, &body(&[])).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidToken);
        assert_eq!(error.public_code, MISSING_TOKEN_PUBLIC_CODE);
        assert_eq!(error.status(), 401);
    }

    #[test]
    fn rfc6750_2_1_malformed_bearer_header_is_invalid_request() {
        for header in ["Bearer", "Bearer a b"] {
            assert_eq!(
                presented_bearer_token(Some(header), &body(&[]))
                    .unwrap_err()
                    .code,
                ErrorCode::InvalidRequest,
                "{header}"
            );
        }
    }
}
