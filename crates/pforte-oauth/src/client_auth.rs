//! Client authentication at the token, PAR, introspection and revocation
//! endpoints (RFC 6749 2.3, OIDC Core 9, RFC 7523 for private_key_jwt).
//!
//! This is the hot path of every token request: one client lookup and one
//! HMAC comparison for secrets (ADR 0002); keys are parsed only for
//! `private_key_jwt`, where the client's registered JWK must be read anyway.

use crate::client_assertion::{AssertionRules, JWT_BEARER_ASSERTION_TYPE, check_assertion_claims};
use crate::config::paths;
use crate::error::OAuthError;
use crate::model::{Client, ClientAuthMethod};
use crate::params::Params;
use crate::provider::Provider;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::DateTime;
use pforte_crypto::SigningAlg;
use pforte_crypto::jose::{unverified_claims, verify_with_jwks};
use serde_json::Value;

/// The endpoint a client authenticates at; decides which grant or audience
/// rules apply (e.g. the assertion `aud` may be the issuer or this endpoint's URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEndpoint {
    Token,
    Par,
    Introspection,
    Revocation,
    /// The session status endpoint (R-SE-1); confidential clients only.
    SessionStatus,
}

impl ClientEndpoint {
    fn path(self) -> &'static str {
        match self {
            Self::Token => paths::TOKEN,
            Self::Par => paths::PAR,
            Self::Introspection => paths::INTROSPECT,
            Self::Revocation => paths::REVOKE,
            Self::SessionStatus => paths::SESSION_STATUS,
        }
    }
}

/// The credentials a request presents, before the client is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    /// RFC 6749 2.3.1 `Authorization: Basic`, already decoded.
    Basic { client_id: String, secret: String },
    /// RFC 6749 2.3.1 `client_id` + `client_secret` in the body.
    Post { client_id: &'a str, secret: &'a str },
    /// RFC 7523 2.2 `client_assertion`; `client_id` is optional then.
    Assertion {
        client_id: Option<&'a str>,
        assertion: &'a str,
    },
    /// A public client names itself only (RFC 6749 2.1, 3.2.1).
    Public { client_id: &'a str },
}

impl Credentials<'_> {
    fn method(&self) -> ClientAuthMethod {
        match self {
            Self::Basic { .. } => ClientAuthMethod::ClientSecretBasic,
            Self::Post { .. } => ClientAuthMethod::ClientSecretPost,
            Self::Assertion { .. } => ClientAuthMethod::PrivateKeyJwt,
            Self::Public { .. } => ClientAuthMethod::None,
        }
    }
}

/// A failed authentication: always `invalid_client` (RFC 6749 5.2), the same
/// description whether the client is unknown or the secret wrong.
fn authentication_failed() -> OAuthError {
    OAuthError::invalid_client("client authentication failed")
}

/// Decodes one form-urlencoded component (`+` is a space, `%XX` a byte).
fn form_decode(component: &str) -> Option<String> {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(index + 1..index + 3)?;
                let text = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(text, 16).ok()?);
                index += 2;
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8(out).ok()
}

/// Parses `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`
/// (RFC 6749 2.3.1, RFC 7617). The scheme is case-insensitive.
pub(crate) fn parse_basic(header: &str) -> Result<(String, String), OAuthError> {
    let (scheme, encoded) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| OAuthError::invalid_client("malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(
            "only the Basic scheme authenticates clients",
        ));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
    match (form_decode(id), form_decode(secret)) {
        (Some(id), Some(secret)) if !id.is_empty() => Ok((id, secret)),
        _ => Err(OAuthError::invalid_client("malformed Basic credentials")),
    }
}

/// Finds the one authentication method a request uses (RFC 6749 2.3: a client
/// MUST NOT use more than one); two or more are an `invalid_request`.
pub(crate) fn presented_credentials<'a>(
    params: &'a Params,
    authorization: Option<&str>,
) -> Result<Credentials<'a>, OAuthError> {
    let client_id = params.get("client_id")?;
    let secret = params.get("client_secret")?;
    let assertion = params.get("client_assertion")?;
    let assertion_type = params.get("client_assertion_type")?;
    let used = [
        authorization.is_some(),
        secret.is_some(),
        assertion.is_some() || assertion_type.is_some(),
    ]
    .into_iter()
    .filter(|used| *used)
    .count();
    if used > 1 {
        return Err(OAuthError::invalid_request(
            "more than one client authentication method used",
        ));
    }
    if let Some(header) = authorization {
        let (basic_id, basic_secret) = parse_basic(header)?;
        // A client_id in the body as well must name the same client.
        if client_id.is_some_and(|body_id| body_id != basic_id) {
            return Err(OAuthError::invalid_client(
                "client_id does not match the Basic credentials",
            ));
        }
        return Ok(Credentials::Basic {
            client_id: basic_id,
            secret: basic_secret,
        });
    }
    if let Some(secret) = secret {
        let client_id = client_id.ok_or_else(|| {
            OAuthError::invalid_request("client_secret needs client_id in the body")
        })?;
        return Ok(Credentials::Post { client_id, secret });
    }
    if assertion.is_some() || assertion_type.is_some() {
        let assertion_type = assertion_type.ok_or_else(|| {
            OAuthError::invalid_request("parameter client_assertion_type is missing")
        })?;
        if assertion_type != JWT_BEARER_ASSERTION_TYPE {
            return Err(OAuthError::invalid_client(
                "unsupported client_assertion_type",
            ));
        }
        let assertion = assertion
            .ok_or_else(|| OAuthError::invalid_request("parameter client_assertion is missing"))?;
        return Ok(Credentials::Assertion {
            client_id,
            assertion,
        });
    }
    match client_id {
        Some(client_id) => Ok(Credentials::Public { client_id }),
        None => Err(OAuthError::invalid_client("client authentication required")),
    }
}

impl Provider {
    /// Authenticates the client of a back-channel request from the form
    /// `params` and the raw `Authorization` header value, if any.
    ///
    /// Exactly one method may be used per request (RFC 6749 2.3); the method
    /// must be the one the client is registered with. Failures are
    /// `invalid_client` (401 with `WWW-Authenticate`). Public clients (method
    /// `none`) are refused at introspection (RFC 7662 2.1 requires
    /// authorization there, and discovery advertises no `none` for it).
    pub async fn authenticate_client(
        &self,
        params: &Params,
        authorization: Option<&str>,
        endpoint: ClientEndpoint,
    ) -> Result<Client, OAuthError> {
        let credentials = presented_credentials(params, authorization)?;
        let client = match &credentials {
            Credentials::Basic { client_id, secret } => {
                self.client_with_secret(client_id, secret, ClientAuthMethod::ClientSecretBasic)
                    .await?
            }
            Credentials::Post { client_id, secret } => {
                self.client_with_secret(client_id, secret, ClientAuthMethod::ClientSecretPost)
                    .await?
            }
            Credentials::Assertion {
                client_id,
                assertion,
            } => {
                self.client_with_assertion(*client_id, assertion, endpoint)
                    .await?
            }
            Credentials::Public { client_id } => {
                let client = self.registered_client(client_id).await?;
                expect_method(&client, credentials.method())?;
                client
            }
        };
        if endpoint == ClientEndpoint::Introspection && client.is_public() {
            return Err(OAuthError::invalid_client(
                "public clients may not use the introspection endpoint",
            ));
        }
        if endpoint == ClientEndpoint::SessionStatus && client.is_public() {
            return Err(OAuthError::invalid_client(
                "public clients may not use the session status endpoint",
            ));
        }
        Ok(client)
    }

    async fn registered_client(&self, client_id: &str) -> Result<Client, OAuthError> {
        self.ports
            .clients
            .get_client(client_id)
            .await?
            .ok_or_else(authentication_failed)
    }

    async fn client_with_secret(
        &self,
        client_id: &str,
        secret: &str,
        method: ClientAuthMethod,
    ) -> Result<Client, OAuthError> {
        let client = self.registered_client(client_id).await?;
        expect_method(&client, method)?;
        let matches = client
            .secret_digest
            .as_deref()
            .is_some_and(|digest| self.secrets.verify(secret, digest));
        if matches {
            Ok(client)
        } else {
            Err(authentication_failed())
        }
    }

    /// `private_key_jwt` (RFC 7523 2.2, 3; OIDC Core 9).
    async fn client_with_assertion(
        &self,
        client_id: Option<&str>,
        assertion: &str,
        endpoint: ClientEndpoint,
    ) -> Result<Client, OAuthError> {
        // The unverified `iss` only picks the client whose keys verify it.
        let unverified = unverified_claims(assertion)
            .map_err(|_| OAuthError::invalid_client("malformed client assertion"))?;
        let issuer = unverified
            .get("iss")
            .and_then(Value::as_str)
            .ok_or_else(|| OAuthError::invalid_client("assertion iss must be the client id"))?;
        if client_id.is_some_and(|client_id| client_id != issuer) {
            return Err(OAuthError::invalid_client(
                "client_id does not match the assertion issuer",
            ));
        }
        let client = self.registered_client(issuer).await?;
        expect_method(&client, ClientAuthMethod::PrivateKeyJwt)?;
        let jwks = client
            .jwks
            .as_ref()
            .ok_or_else(|| OAuthError::invalid_client("the client has no registered keys"))?;
        let verified = verify_with_jwks(assertion, jwks, &SigningAlg::ALL).map_err(|_| {
            OAuthError::invalid_client("client assertion signature does not verify")
        })?;
        let audiences = [
            self.config.issuer.clone(),
            self.config.endpoint(paths::TOKEN),
            self.config.endpoint(endpoint.path()),
        ];
        let skew = i64::try_from(self.config.clock_skew.as_secs()).unwrap_or(i64::MAX);
        let rules = AssertionRules {
            client_id: &client.client_id,
            audiences: &audiences,
            now: self.clock.now().timestamp(),
            skew,
        };
        let accepted =
            check_assertion_claims(&verified.claims, &rules).map_err(OAuthError::invalid_client)?;
        // Remembered until the assertion could no longer pass the exp check.
        let remember_until = DateTime::from_timestamp(accepted.expires_at.saturating_add(skew), 0)
            .unwrap_or(DateTime::<chrono::Utc>::MAX_UTC);
        let first_use = self
            .ports
            .grants
            .remember_assertion_jti(&client.client_id, &accepted.jti, remember_until)
            .await?;
        if !first_use {
            return Err(OAuthError::invalid_client("client assertion was replayed"));
        }
        Ok(client)
    }
}

/// The method used must be the registered one (OIDC Registration
/// `token_endpoint_auth_method`): a confidential client cannot skip its secret
/// by acting public, and a public client has no secret to present.
fn expect_method(client: &Client, method: ClientAuthMethod) -> Result<(), OAuthError> {
    if client.auth_method == method {
        Ok(())
    } else {
        Err(OAuthError::invalid_client(format!(
            "the client is registered for {}, not {}",
            client.auth_method.as_str(),
            method.as_str()
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::error::ErrorCode;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn basic_header(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn rfc6749_2_3_1_basic_credentials_are_form_urldecoded() {
        let header = basic_header("my%3Aclient:p%C3%A4ss+word%2B");
        assert_eq!(
            parse_basic(&header).unwrap(),
            ("my:client".to_owned(), "päss word+".to_owned())
        );
        let lower = format!("basic {}", STANDARD.encode("a:b"));
        assert_eq!(parse_basic(&lower).unwrap(), ("a".into(), "b".into()));
    }

    #[test]
    fn rfc6749_2_3_1_malformed_basic_credentials_are_invalid_client() {
        for header in [
            "Basic".to_owned(),
            "Basic !!!".to_owned(),
            basic_header("no-colon"),
            basic_header(":secret"),
            basic_header("id:%zz"),
            "Bearer abc".to_owned(),
        ] {
            assert_eq!(
                parse_basic(&header).unwrap_err().code,
                ErrorCode::InvalidClient,
                "{header}"
            );
        }
    }

    #[test]
    fn rfc6749_2_3_each_method_is_recognised() {
        let header = basic_header("portal:s");
        assert_eq!(
            presented_credentials(&params(&[]), Some(&header)).unwrap(),
            Credentials::Basic {
                client_id: "portal".into(),
                secret: "s".into()
            }
        );
        let body = params(&[("client_id", "portal"), ("client_secret", "s")]);
        assert_eq!(
            presented_credentials(&body, None).unwrap(),
            Credentials::Post {
                client_id: "portal",
                secret: "s"
            }
        );
        let jwt = params(&[
            ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
            ("client_assertion", "a.b.c"),
        ]);
        assert_eq!(
            presented_credentials(&jwt, None).unwrap(),
            Credentials::Assertion {
                client_id: None,
                assertion: "a.b.c"
            }
        );
        let public = params(&[("client_id", "app")]);
        assert_eq!(
            presented_credentials(&public, None).unwrap(),
            Credentials::Public { client_id: "app" }
        );
    }

    #[test]
    fn rfc6749_2_3_two_methods_in_one_request_are_invalid_request() {
        let header = basic_header("portal:s");
        let post = params(&[("client_id", "portal"), ("client_secret", "s")]);
        assert_eq!(
            presented_credentials(&post, Some(&header))
                .unwrap_err()
                .code,
            ErrorCode::InvalidRequest
        );
        let mixed = params(&[
            ("client_id", "portal"),
            ("client_secret", "s"),
            ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
            ("client_assertion", "a.b.c"),
        ]);
        assert_eq!(
            presented_credentials(&mixed, None).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn rfc6749_5_2_no_credentials_at_all_is_invalid_client() {
        assert_eq!(
            presented_credentials(&params(&[]), None).unwrap_err().code,
            ErrorCode::InvalidClient
        );
    }

    #[test]
    fn rfc6749_2_3_1_body_client_id_must_match_basic_credentials() {
        let header = basic_header("portal:s");
        let other = params(&[("client_id", "app")]);
        assert_eq!(
            presented_credentials(&other, Some(&header))
                .unwrap_err()
                .code,
            ErrorCode::InvalidClient
        );
        let same = params(&[("client_id", "portal")]);
        assert!(presented_credentials(&same, Some(&header)).is_ok());
    }

    #[test]
    fn rfc7523_2_2_assertion_type_must_be_jwt_bearer() {
        let wrong = params(&[
            ("client_assertion_type", "urn:example:saml"),
            ("client_assertion", "a.b.c"),
        ]);
        assert_eq!(
            presented_credentials(&wrong, None).unwrap_err().code,
            ErrorCode::InvalidClient
        );
        let missing_type = params(&[("client_assertion", "a.b.c")]);
        assert_eq!(
            presented_credentials(&missing_type, None).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let missing_assertion = params(&[("client_assertion_type", JWT_BEARER_ASSERTION_TYPE)]);
        assert_eq!(
            presented_credentials(&missing_assertion, None)
                .unwrap_err()
                .code,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn rfc6749_2_3_1_client_secret_post_needs_client_id() {
        let body = params(&[("client_secret", "s")]);
        assert_eq!(
            presented_credentials(&body, None).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }
}
