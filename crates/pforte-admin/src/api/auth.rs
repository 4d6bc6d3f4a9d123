//! Who calls the admin API: a client with an access token from Pforte's own
//! token endpoint (client_credentials grant), presented as `Authorization:
//! Bearer` (RFC 6750 2.1) and verified in-process by the provider
//! (`Provider::verify_client_token`: signature, expiry, revocation, issuer,
//! audience). The token's scopes `pforte:admin:<role>` are the operator's
//! roles; the operator is named `client:<client_id>` in the audit trail.
//!
//! Errors follow RFC 6750 3: 401 with `WWW-Authenticate: Bearer` (no error
//! code when no credentials were sent, 3.1), `invalid_token` for a bad token,
//! 403 `insufficient_scope` naming the scopes that would do. Bodies are JSON
//! with the PF code.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pforte_identity::RequestContext;
use pforte_identity::operator_roles::{ADMIN_SCOPE_PREFIX, Permission, Role};
use pforte_oauth::{ErrorCode, OAuthError};
use std::collections::BTreeSet;

use crate::error::AdminError;
use crate::operator::Operator;
use crate::state::AdminState;

/// The realm named in every challenge.
pub const REALM: &str = "pforte-admin";
const MAX_USER_AGENT_CHARS: usize = 256;

/// The operator behind a verified API token, and the request context for
/// the audit trail.
#[derive(Debug, Clone)]
pub struct ApiOperator {
    pub operator: Operator,
    pub context: RequestContext,
}

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    code: &'static str,
    description: String,
    challenge: Option<String>,
}

impl ApiError {
    /// 401 without an error code: the request carried no credentials.
    pub fn unauthenticated() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_request",
            code: "PF-ADMIN-401",
            description: "an access token is required".to_owned(),
            challenge: Some(format!("Bearer realm=\"{REALM}\"")),
        }
    }

    fn from_token_error(error: &OAuthError) -> Self {
        let (status, name) = match error.code {
            ErrorCode::InvalidRequest => (StatusCode::BAD_REQUEST, "invalid_request"),
            ErrorCode::InsufficientScope => (StatusCode::FORBIDDEN, "insufficient_scope"),
            ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable => {
                return Self::server_error(error.public_code);
            }
            _ => (StatusCode::UNAUTHORIZED, "invalid_token"),
        };
        Self {
            status,
            error: name,
            code: error.public_code,
            description: error.description.clone(),
            challenge: Some(format!(
                "Bearer realm=\"{REALM}\", error=\"{name}\", error_description=\"{}\"",
                quoted(&error.description)
            )),
        }
    }

    /// 403 `insufficient_scope`: naming the scopes whose roles would allow
    /// `permission` (RFC 6750 3.1, `scope` attribute).
    pub fn insufficient_scope(permission: Option<Permission>, description: String) -> Self {
        let scopes: Vec<String> = Role::ALL
            .into_iter()
            .filter(|role| permission.is_none_or(|permission| role.allows(permission)))
            .map(Role::scope)
            .collect();
        Self {
            status: StatusCode::FORBIDDEN,
            error: "insufficient_scope",
            code: "PF-ADMIN-403",
            challenge: Some(format!(
                "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{}\"",
                scopes.join(" ")
            )),
            description,
        }
    }

    fn server_error(code: &'static str) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "server_error",
            code,
            description: "internal error".to_owned(),
            challenge: None,
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        match &error {
            AdminError::Forbidden(permission) => Self::insufficient_scope(
                Some(*permission),
                format!("the token's roles do not allow {}", permission.as_str()),
            ),
            AdminError::NotFound(what) => Self {
                status: StatusCode::NOT_FOUND,
                error: "not_found",
                code: error.public_code(),
                description: format!("not found: {what}"),
                challenge: None,
            },
            AdminError::Invalid(problems) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                error: "invalid_input",
                code: error.public_code(),
                description: problems.clone(),
                challenge: None,
            },
            AdminError::Identity(_) | AdminError::Store(_) => {
                tracing::error!(%error, "admin api request failed");
                Self::server_error(error.public_code())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.error,
            "code": self.code,
            "description": self.description,
        });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(challenge) = self.challenge
            && let Ok(value) = HeaderValue::from_str(&challenge)
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// `"` and `\` escaped for a quoted-string (RFC 9110 5.6.4); other
/// characters outside the RFC 6750 3 set dropped.
fn quoted(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(c, '\x20'..='\x7e'))
        .filter(|c| *c != '"' && *c != '\\')
        .collect()
}

/// The roles a token's scopes grant; other scopes are ignored.
pub fn roles_from_scopes<'a>(scopes: impl IntoIterator<Item = &'a str>) -> BTreeSet<Role> {
    scopes
        .into_iter()
        .filter_map(|scope| scope.strip_prefix(ADMIN_SCOPE_PREFIX))
        .filter_map(Role::parse)
        .collect()
}

fn request_context(headers: &HeaderMap, client_id: &str) -> RequestContext {
    RequestContext {
        client_id: Some(client_id.to_owned()),
        ip: None,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect()),
        request_id: Some(pforte_web::respond::request_id(headers)),
        operator: None,
    }
}

impl FromRequestParts<AdminState> for ApiOperator {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, Self::Rejection> {
        let Some(authorization) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthenticated());
        };
        let authorization = authorization
            .to_str()
            .map_err(|_| ApiError::unauthenticated())?;
        let token = state
            .web
            .oauth
            .verify_client_token(Some(authorization))
            .await
            .map_err(|error| ApiError::from_token_error(&error))?;
        let roles = roles_from_scopes(token.scopes.iter().map(String::as_str));
        if roles.is_empty() {
            return Err(ApiError::insufficient_scope(
                None,
                "the token carries no pforte:admin scope".to_owned(),
            ));
        }
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let mut context = request_context(&parts.headers, &token.client_id);
        context.ip = peer;
        Ok(Self {
            operator: Operator {
                name: format!("client:{}", token.client_id),
                account: None,
                roles,
            },
            context,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_op_1_roles_come_from_admin_scopes_only() {
        let roles = roles_from_scopes([
            "pforte:admin:support",
            "pforte:admin:root",
            "openid",
            "api.read",
            "pforte:admin:auditor",
        ]);
        assert_eq!(roles, [Role::Support, Role::Auditor].into());
        assert!(roles_from_scopes(["support"]).is_empty());
    }

    #[test]
    fn rfc6750_3_quoted_strings_lose_quotes_and_controls() {
        assert_eq!(quoted("a \"b\" \\c\n"), "a b c");
    }
}
