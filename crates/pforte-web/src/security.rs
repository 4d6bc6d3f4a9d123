//! Security headers on every response (issue 2 "Login"; RFC 7034 for
//! `X-Frame-Options`, CSP Level 3 for `frame-ancestors` and `form-action`).
//!
//! Handlers that need a different Content-Security-Policy (the form_post page
//! with its one nonce-bearing script, login pages whose form ends in a redirect
//! to the client) set their own; the layer only fills in what is missing, and
//! always sets the headers that never vary.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of ordinary pages: nothing but our own style sheet, forms only to
/// ourselves, never framed.
pub const DEFAULT_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the fixed headers and the defaults a handler did not set.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    set_if_absent(headers, header::CONTENT_SECURITY_POLICY, DEFAULT_CSP);
    set_if_absent(headers, header::CACHE_CONTROL, "no-store");
    response
}

fn set_if_absent(headers: &mut HeaderMap, name: header::HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The CSP source expression that lets a form (or a redirect after a form
/// submission, which browsers check against `form-action`) reach `uri`: its
/// origin for http(s), its scheme for a native app's private-use scheme
/// (RFC 8252 7.1). `None` when `uri` cannot be expressed safely.
pub fn form_action_source(uri: &str) -> Option<String> {
    let parsed = url::Url::parse(uri).ok()?;
    let source = if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some() {
        parsed.origin().ascii_serialization()
    } else {
        format!("{}:", parsed.scheme())
    };
    (source != "null"
        && source
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, ';' | ',' | '\'' | '"')))
    .then_some(source)
}

/// The default policy with `extra` allowed as a form target.
pub fn csp_with_form_target(extra: Option<&str>) -> String {
    match extra.and_then(form_action_source) {
        Some(source) => format!(
            "default-src 'none'; style-src 'self'; img-src 'self'; \
             form-action 'self' {source}; frame-ancestors 'none'; base-uri 'none'"
        ),
        None => DEFAULT_CSP.to_owned(),
    }
}

/// The policy of the WebAuthn pages: [`csp_with_form_target`] plus scripts
/// from our own origin (the one static script; no inline script, no eval).
pub fn webauthn_csp(extra: Option<&str>) -> String {
    csp_with_form_target(extra).replacen(
        "default-src 'none';",
        "default-src 'none'; script-src 'self';",
        1,
    )
}

/// The policy of the form_post page (OAuth 2.0 Form Post Response Mode): one
/// script, allowed by its nonce, that submits a form to the client.
pub fn form_post_csp(nonce: &str, redirect_uri: &str) -> String {
    let target = form_action_source(redirect_uri).unwrap_or_else(|| "'none'".to_owned());
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; form-action {target}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The policy of the logged-out page that notifies relying parties by
/// front-channel logout (OpenID Front-Channel Logout 1.0 §4): frames only
/// from the origins of `frame_urls`, and, when the page continues to a
/// post-logout redirect URI, the one inline script allowed by `nonce`.
/// Everything else stays as in [`DEFAULT_CSP`].
pub fn frontchannel_logout_csp(frame_urls: &[String], nonce: Option<&str>) -> String {
    let mut frames: Vec<String> = Vec::new();
    for source in frame_urls.iter().filter_map(|url| frame_source(url)) {
        if !frames.contains(&source) {
            frames.push(source);
        }
    }
    let frame_src = if frames.is_empty() {
        "'none'".to_owned()
    } else {
        frames.join(" ")
    };
    let script = nonce
        .map(|nonce| format!(" script-src 'nonce-{nonce}';"))
        .unwrap_or_default();
    format!(
        "default-src 'none';{script} style-src 'self'; img-src 'self'; frame-src {frame_src}; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The CSP source of an http(s) URL loaded in a frame: its origin. `None` for
/// anything else, which is then not framed at all.
pub fn frame_source(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return None;
    }
    form_action_source(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcl_4_logout_page_frames_exactly_the_clients_origins() {
        let urls = vec![
            "https://portal.example/fcl?iss=x&sid=y".to_owned(),
            "https://portal.example/other".to_owned(),
            "http://127.0.0.1:4000/fcl".to_owned(),
        ];
        let csp = frontchannel_logout_csp(&urls, None);
        assert!(
            csp.contains("frame-src https://portal.example http://127.0.0.1:4000;"),
            "{csp}"
        );
        assert!(!csp.contains("script-src"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        let csp = frontchannel_logout_csp(&urls[..1], Some("n0nce"));
        assert!(csp.contains("script-src 'nonce-n0nce';"), "{csp}");
        assert!(!csp.contains("unsafe"));
        assert!(frontchannel_logout_csp(&[], None).contains("frame-src 'none'"));
        assert_eq!(frame_source("javascript:alert(1)"), None);
        assert_eq!(frame_source("com.example.app:/x"), None);
    }

    #[test]
    fn form_action_source_is_the_origin_or_the_private_scheme() {
        assert_eq!(
            form_action_source("https://rp.example/cb?x=1").as_deref(),
            Some("https://rp.example")
        );
        assert_eq!(
            form_action_source("http://127.0.0.1:4711/cb").as_deref(),
            Some("http://127.0.0.1:4711")
        );
        assert_eq!(
            form_action_source("com.example.app:/oauth").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(form_action_source("not a url"), None);
    }

    #[test]
    fn r_mf_1_webauthn_pages_allow_only_own_scripts() {
        for extra in [None, Some("https://rp.example/cb")] {
            let csp = webauthn_csp(extra);
            assert!(csp.starts_with("default-src 'none'; script-src 'self'; "));
            assert!(!csp.contains("unsafe"));
            assert!(csp.contains("frame-ancestors 'none'"));
        }
        assert!(
            webauthn_csp(Some("https://rp.example/cb"))
                .contains("form-action 'self' https://rp.example;")
        );
        assert!(!DEFAULT_CSP.contains("script-src"));
    }

    #[test]
    fn form_post_policy_allows_only_the_nonce_and_the_client() {
        let csp = form_post_csp("abc", "https://rp.example/cb");
        assert!(csp.contains("script-src 'nonce-abc'"));
        assert!(csp.contains("form-action https://rp.example;"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
