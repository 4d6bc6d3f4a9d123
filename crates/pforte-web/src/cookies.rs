//! Our cookies, both HttpOnly, SameSite=Lax, Path=/, and with the `__Host-`
//! prefix plus `Secure` when the issuer is https (RFC 6265bis 4.1.3.2: the
//! prefix pins a cookie to our host and path `/`):
//! - the provider session: `__Host-pforte_session` / `pforte_session`;
//! - the browser binding of login interactions: `__Host-pforte_flow` /
//!   `pforte_flow`. Login and consent POSTs must carry it, so a form submitted
//!   from another site (which a Lax cookie does not accompany) is refused even
//!   when the attacker knows an interaction id and its form token (login CSRF).
//! - the language chosen with the switch on a page: `__Host-pforte_lang` /
//!   `pforte_lang` (R-OP-2), kept for a year.

use axum::http::{HeaderMap, HeaderValue, header};
use std::time::Duration;

/// Which of our cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieKind {
    Session,
    Flow,
    /// The language the user chose with the switch on a page (R-OP-2).
    Language,
}

impl CookieKind {
    pub fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Self::Session, true) => "__Host-pforte_session",
            (Self::Session, false) => "pforte_session",
            (Self::Flow, true) => "__Host-pforte_flow",
            (Self::Flow, false) => "pforte_flow",
            (Self::Language, true) => "__Host-pforte_lang",
            (Self::Language, false) => "pforte_lang",
        }
    }
}

/// The value of our cookie from the request's `Cookie` headers, if any.
pub fn read(headers: &HeaderMap, kind: CookieKind, secure: bool) -> Option<String> {
    let name = kind.name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for `value`, living `ttl`.
pub fn set(kind: CookieKind, value: &str, secure: bool, ttl: Duration) -> Option<HeaderValue> {
    let secure_attribute = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure_attribute}",
        kind.name(secure),
        ttl.as_secs()
    ))
    .ok()
}

/// `Set-Cookie` that removes the cookie.
pub fn clear(kind: CookieKind, secure: bool) -> Option<HeaderValue> {
    set(kind, "", secure, Duration::ZERO)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn host_prefix_and_secure_only_over_https() {
        let secure = set(CookieKind::Session, "abc", true, Duration::from_secs(60)).unwrap();
        let secure = secure.to_str().unwrap();
        assert!(secure.starts_with("__Host-pforte_session=abc; Path=/;"));
        assert!(secure.contains("HttpOnly") && secure.contains("SameSite=Lax"));
        assert!(secure.ends_with("; Secure"));
        let plain = set(CookieKind::Session, "abc", false, Duration::from_secs(60)).unwrap();
        assert!(!plain.to_str().unwrap().contains("Secure"));
        assert!(plain.to_str().unwrap().starts_with("pforte_session=abc"));
        let cleared = clear(CookieKind::Flow, false).unwrap();
        assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
    }

    #[test]
    fn the_value_is_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("x=2; pforte_session=sid-1"),
        );
        assert_eq!(
            read(&headers, CookieKind::Session, false).as_deref(),
            Some("sid-1")
        );
        assert_eq!(read(&headers, CookieKind::Session, true), None);
        assert_eq!(read(&headers, CookieKind::Flow, false), None);
    }
}
