//! Request parameters from a query string or an `application/x-www-form-urlencoded`
//! body (RFC 6749 3.1, 3.2, 4.1.3), turned into the core's [`Params`].

use axum::http::{HeaderMap, header};
use pforte_oauth::{OAuthError, Params};

/// Parses `key=value&…` pairs; malformed encoding is an `invalid_request`.
pub fn parse_urlencoded(text: &[u8]) -> Result<Params, OAuthError> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(text)
        .map(Params::new)
        .map_err(|_| OAuthError::invalid_request("the parameters are not form-urlencoded"))
}

/// The parameters of a query string (absent query: none).
pub fn query_params(query: Option<&str>) -> Result<Params, OAuthError> {
    parse_urlencoded(query.unwrap_or_default().as_bytes())
}

/// The parameters of a form body. RFC 6749 3.2 requires
/// `application/x-www-form-urlencoded`; another declared type is refused, an
/// empty body without a type counts as no parameters.
pub fn body_params(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    match content_type.as_deref() {
        Some("application/x-www-form-urlencoded") => parse_urlencoded(body),
        None if body.is_empty() => Ok(Params::default()),
        _ => Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn rfc6749_3_2_form_bodies_are_parsed_and_other_types_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        let params = body_params(&headers, b"grant_type=a%20b&x=").unwrap();
        assert_eq!(params.get("grant_type").unwrap(), Some("a b"));
        assert_eq!(params.get("x").unwrap(), None);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(body_params(&headers, b"{}").is_err());
        assert!(
            body_params(&HeaderMap::new(), b"")
                .unwrap()
                .pairs()
                .is_empty()
        );
    }

    #[test]
    fn query_strings_keep_repeated_parameters_for_the_core_to_refuse() {
        let params = query_params(Some("scope=a&scope=b")).unwrap();
        assert!(params.get("scope").is_err());
        assert!(query_params(None).unwrap().pairs().is_empty());
    }
}
