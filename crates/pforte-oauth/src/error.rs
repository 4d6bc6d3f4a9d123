//! Protocol errors: the RFC 6749 / OIDC error codes and what an endpoint needs to
//! answer with them. No HTTP types here (DESIGN.md §2); pforte-web maps
//! [`OAuthError::status`] and [`OAuthError::requires_www_authenticate`] onto a
//! response.

use pforte_types::StoreError;
use serde::Serialize;

/// The registered error codes this provider emits (RFC 6749 4.1.2.1, 5.2;
/// OIDC Core 3.1.2.6; RFC 9126 2.3; RFC 6750 3.1; RFC 7009 2.2.1; OpenID
/// Connect Core Unmet Authentication Requirements 1.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    InteractionRequired,
    LoginRequired,
    ConsentRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidRequestUri,
    InvalidRequestObject,
    InvalidToken,
    InsufficientScope,
    UnsupportedTokenType,
    /// OpenID Connect Core Unmet Authentication Requirements 1.0: the
    /// provider cannot authenticate the user as an essential `acr` demands.
    UnmetAuthenticationRequirements,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InteractionRequired => "interaction_required",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::InvalidRequestObject => "invalid_request_object",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
        }
    }
}

/// An error the protocol core answers with. `description` is shown to the
/// client (`error_description`); it never contains secrets or internal detail,
/// which go to `internal` and the log only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} ({}): {description}", code.as_str(), public_code)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    /// Stable Pforte code (`PF-OAUTH-…`) shown on error pages with the request id
    /// (DESIGN.md §5).
    pub public_code: &'static str,
    /// Internal detail for the log (store failures and the like).
    pub internal: Option<String>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, public_code: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            public_code,
            internal: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, "PF-OAUTH-001", description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, "PF-OAUTH-002", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, "PF-OAUTH-003", description)
    }

    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, "PF-OAUTH-004", description)
    }

    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidScope, "PF-OAUTH-005", description)
    }

    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidToken, "PF-OAUTH-006", description)
    }

    /// The login flow gives up on a pending request (the user cancelled, or
    /// cannot reach the level without a factor they do not have): RFC 6749
    /// 4.1.2.1 `access_denied`, for [`crate::Provider::abort_authorization`].
    pub fn access_denied(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccessDenied, "PF-OAUTH-007", description)
    }

    /// An essential `acr` (OIDC Core 5.5.1.1) cannot be met, e.g. the user
    /// has no factor of the class the level needs and may not enrol one
    /// (R-AC-4), for [`crate::Provider::abort_authorization`].
    pub fn unmet_authentication_requirements(description: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::UnmetAuthenticationRequirements,
            "PF-OAUTH-008",
            description,
        )
    }

    /// A failure of ours (store down, key unusable): the client learns only
    /// that, the log gets the detail.
    pub fn server_error(internal: impl Into<String>) -> Self {
        Self {
            internal: Some(internal.into()),
            ..Self::new(ErrorCode::ServerError, "PF-OAUTH-500", "internal error")
        }
    }

    /// The HTTP status an endpoint answers with (RFC 6749 5.2: 400, but 401 for
    /// failed client authentication; RFC 6750 3.1 for bearer errors).
    pub fn status(&self) -> u16 {
        match self.code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::InsufficientScope => 403,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }

    /// RFC 6749 5.2: failed client authentication answers 401 with a
    /// `WWW-Authenticate` header; RFC 6750 3 for bearer token errors.
    pub fn requires_www_authenticate(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::InvalidClient | ErrorCode::InvalidToken
        )
    }

    /// The RFC 6749 5.2 JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        })
    }
}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        Self::server_error(error.to_string())
    }
}

impl From<pforte_crypto::CryptoError> for OAuthError {
    fn from(error: pforte_crypto::CryptoError) -> Self {
        Self::server_error(error.to_string())
    }
}
