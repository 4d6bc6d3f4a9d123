//! Turning results of the protocol core and the login service into HTTP
//! responses: RFC 6749 5.2 JSON errors, HTML pages, and authorization responses
//! (303 redirect or the form_post page).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pforte_oauth::{AuthorizationResponse, ErrorCode, OAuthError, ResponseMode};

use crate::cookies::{self, CookieKind};
use crate::i18n;
use crate::security;
use crate::state::AppState;

pub use crate::pages::Look;

/// The request header in which the page-address layer hands the page's own
/// path and query to the handlers (for the language switch links); a value
/// sent by the browser is replaced.
pub const PAGE_HEADER: &str = "x-pforte-page";

/// The request id set by the request-id layer, shown on error pages and logged.
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

/// The raw `Authorization` header, if it is valid text.
pub fn authorization_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
}

/// The look of a page (R-OP-2), decided here and nowhere else:
/// - brand: the client's brand when the page belongs to a client and the
///   brand is one of the loaded themes; otherwise `[ui] default_brand`. An
///   unknown brand is logged and replaced by the default.
/// - language: the switch (its cookie), then `ui_locales`, then
///   `Accept-Language`, then German ([`i18n::negotiate`]).
pub fn look(
    state: &AppState,
    headers: &HeaderMap,
    ui_locales: &[String],
    client_brand: Option<&str>,
) -> Look {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    let switch = cookies::read(headers, CookieKind::Language, state.settings.secure_cookies);
    let locale = i18n::negotiate(switch.as_deref(), ui_locales, accept);
    let default = &state.settings.default_brand;
    let brand = match client_brand {
        Some(brand) if state.pages.has_brand(brand) => brand.to_owned(),
        Some(brand) => {
            tracing::warn!(
                brand,
                default = default.as_str(),
                "the client names an unknown brand; the default brand is used"
            );
            default.clone()
        }
        None => default.clone(),
    };
    let page = headers
        .get(PAGE_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Look {
        brand,
        locale,
        page,
    }
}

/// Logs the internal part of a protocol error with the request id.
fn log_oauth_error(error: &OAuthError, request_id: &str) {
    if error.code == ErrorCode::ServerError {
        tracing::error!(
            request_id,
            public_code = error.public_code,
            internal = error.internal.as_deref().unwrap_or(""),
            "protocol error"
        );
    } else {
        tracing::info!(
            request_id,
            error = error.code.as_str(),
            public_code = error.public_code,
            internal = error.internal.as_deref().unwrap_or(""),
            "request refused"
        );
    }
}

/// Headers every back-channel answer with tokens or token data carries
/// (RFC 6749 5.1, RFC 7662 2.2 by analogy).
fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A JSON body with `Cache-Control: no-store` and `Pragma: no-cache`.
pub fn json_no_store(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let bytes = match serde_json::to_vec(body) {
        Ok(bytes) => bytes,
        Err(error) => {
            return oauth_error(
                &OAuthError::server_error(format!("serialising response: {error}")),
                "-",
                WwwAuthenticate::None,
            );
        }
    };
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    no_store(response.headers_mut());
    response
}

/// Which challenge a 401 carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WwwAuthenticate {
    /// Client authentication endpoints (RFC 6749 5.2): `Basic realm="pforte"`.
    Basic,
    /// Resource endpoints (RFC 6750 3): `Bearer realm="pforte", error="…"`.
    Bearer,
    /// RFC 6750 3.1: a request without any token gets the challenge without an
    /// error code.
    BearerWithoutError,
    None,
}

/// An RFC 6749 5.2 error: JSON body, the status from the core, no-store, and a
/// challenge when the core asks for one.
pub fn oauth_error(error: &OAuthError, request_id: &str, challenge: WwwAuthenticate) -> Response {
    log_oauth_error(error, request_id);
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, error.to_json().to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    no_store(headers);
    let challenge_value = match challenge {
        WwwAuthenticate::Basic if error.requires_www_authenticate() => {
            Some(r#"Basic realm="pforte""#.to_owned())
        }
        WwwAuthenticate::Bearer if error.code != ErrorCode::ServerError => Some(format!(
            r#"Bearer realm="pforte", error="{}", error_description="{}""#,
            error.code.as_str(),
            quoted_string_safe(&error.description)
        )),
        WwwAuthenticate::BearerWithoutError if error.code != ErrorCode::ServerError => {
            Some(r#"Bearer realm="pforte""#.to_owned())
        }
        _ => None,
    };
    if let Some(value) = challenge_value.and_then(|value| HeaderValue::from_str(&value).ok()) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// RFC 6750 3: `error_description` is restricted to printable ASCII without
/// `"` and `\`.
fn quoted_string_safe(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(c, ' ' | '!' | '#'..='[' | ']'..='~'))
        .collect()
}

/// An HTML page with `Cache-Control: no-store` and, when given, its own CSP.
pub fn html(status: StatusCode, body: String, csp: Option<String>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(value) = csp.and_then(|csp| HeaderValue::from_str(&csp).ok()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Renders a page or, when the theme fails, a minimal plain-text error (the
/// theme was checked at start-up, so this is a bug to log, not a user error).
pub fn page(
    state: &AppState,
    status: StatusCode,
    template: &str,
    look: &Look,
    context: &tera::Context,
    csp: Option<String>,
) -> Response {
    match state.pages.render(template, look, context) {
        Ok(body) => html(status, body, csp),
        Err(error) => {
            tracing::error!(%error, template, "page cannot be rendered");
            let mut response = (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error (PF-WEB-500)",
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
    }
}

/// The HTML error page: the `PF-…` code, a description and the request id. It
/// never redirects (RFC 6749 4.1.2.1 for an unverified client).
pub fn error_page(
    state: &AppState,
    look: &Look,
    status: StatusCode,
    public_code: &str,
    description: &str,
    request_id: &str,
) -> Response {
    error_page_with_detail(
        state,
        look,
        status,
        public_code,
        description,
        None,
        request_id,
    )
}

/// The error page with a technical detail in English (a protocol error's
/// description, meant for the client's developers) below the translated
/// text.
fn error_page_with_detail(
    state: &AppState,
    look: &Look,
    status: StatusCode,
    public_code: &str,
    description: &str,
    detail: Option<&str>,
    request_id: &str,
) -> Response {
    let mut context = tera::Context::new();
    context.insert("public_code", public_code);
    context.insert("description", description);
    context.insert("detail", &detail);
    context.insert("request_id", request_id);
    page(state, status, "error.html", look, &context, None)
}

/// A protocol error shown as a page: 400 unless it is our own failure.
pub fn oauth_error_page(
    state: &AppState,
    look: &Look,
    error: &OAuthError,
    request_id: &str,
) -> Response {
    log_oauth_error(error, request_id);
    let status = if error.code == ErrorCode::ServerError {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    // The page text comes from the catalog; the core's description is
    // English protocol detail for the client's developers (R-OP-2).
    let (description, detail) = if error.code == ErrorCode::ServerError {
        (state.pages.message(look, "error_internal"), None)
    } else {
        (
            state.pages.message(look, "error_protocol"),
            Some(error.description.as_str()),
        )
    };
    error_page_with_detail(
        state,
        look,
        status,
        error.public_code,
        &description,
        detail,
        request_id,
    )
}

/// A page-level failure of ours (store down): 500 with the request id.
pub fn internal_error_page(
    state: &AppState,
    look: &Look,
    detail: &dyn std::fmt::Display,
    request_id: &str,
) -> Response {
    tracing::error!(request_id, %detail, "internal error");
    let description = state.pages.message(look, "error_internal");
    error_page(
        state,
        look,
        StatusCode::INTERNAL_SERVER_ERROR,
        "PF-WEB-500",
        &description,
        request_id,
    )
}

/// Seconds a client is asked to wait when password checks are refused under
/// load (RFC 9110 10.2.3 `Retry-After`).
pub const BUSY_RETRY_AFTER_SECS: u32 = 2;

/// Turns a page that says "temporarily unavailable, try again" into a
/// `503 Service Unavailable` with `Retry-After` (R-OP-3: the password hashing
/// queue is full). The page itself keeps the form, so trying again is one
/// click.
pub fn busy(mut response: Response) -> Response {
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(BUSY_RETRY_AFTER_SECS),
    );
    response
}

/// `303 See Other` to `location` (RFC 9110 15.4.4: the browser follows with GET
/// whatever the method was, which suits redirects after a form POST).
pub fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => {
            let mut response = (
                StatusCode::INTERNAL_SERVER_ERROR,
                "invalid redirect (PF-WEB-500)",
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
    }
}

#[derive(serde::Serialize)]
struct NamedValue<'a> {
    name: &'a str,
    value: &'a str,
}

/// Sends the browser back to the client: a 303 for `response_mode=query`, the
/// auto-submitting page for `form_post` (its CSP allows the one script by nonce
/// and form submission only to the client's redirect URI).
pub fn authorization_response(
    state: &AppState,
    look: &Look,
    response: &AuthorizationResponse,
) -> Response {
    match response.mode {
        ResponseMode::Query => see_other(&response.redirect_location()),
        ResponseMode::FormPost => {
            let nonce = pforte_crypto::random::random_token();
            let params: Vec<NamedValue<'_>> = response
                .params
                .iter()
                .map(|(name, value)| NamedValue { name, value })
                .collect();
            let mut context = tera::Context::new();
            context.insert("action", &response.redirect_uri);
            context.insert("params", &params);
            context.insert("nonce", &nonce);
            page(
                state,
                StatusCode::OK,
                "form_post.html",
                look,
                &context,
                Some(security::form_post_csp(&nonce, &response.redirect_uri)),
            )
        }
    }
}

/// A body-less response with a status (used for 200 on revocation).
pub fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    no_store(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6750_3_error_description_is_stripped_to_allowed_characters() {
        assert_eq!(quoted_string_safe("bad \"token\" \\ ä"), "bad token  ");
    }
}
