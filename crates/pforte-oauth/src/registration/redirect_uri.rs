//! Which redirect URIs a client may register (RFC 9700 2.1, RFC 8252 7).
//!
//! Registered URIs are later compared by exact string, so they are checked
//! here, once: absolute, no fragment (RFC 6749 3.1.2), and a transport that
//! keeps the authorization response confidential (RFC 9700 4.1 / 2.6 item 17):
//! `https`, plain `http` only to this machine (loopback), and for native apps a
//! private-use scheme named after a reverse domain (RFC 8252 7.1).

use super::is_loopback_host;
use crate::model::ApplicationType;

/// Checks one redirect or post-logout redirect URI; the error names the URI.
pub fn check(uri: &str, application_type: ApplicationType) -> Result<(), String> {
    let problem = |why: &str| Err(format!("{uri}: {why}"));
    if uri.contains('#') {
        return problem("must not contain a fragment (RFC 6749 3.1.2)");
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return problem("must not contain spaces or control characters");
    }
    let url = match url::Url::parse(uri) {
        Ok(url) => url,
        Err(error) => return problem(&format!("not an absolute URI ({error})")),
    };
    match url.scheme() {
        "https" => {
            if url.host().is_none() {
                return problem("has no host");
            }
            Ok(())
        }
        "http" => match url.host() {
            Some(host) if is_loopback_host(&host) => Ok(()),
            _ => problem("plain http is only allowed to a loopback address (127.0.0.1, [::1])"),
        },
        scheme => match application_type {
            ApplicationType::Native if is_private_use_scheme(scheme) => Ok(()),
            ApplicationType::Native => problem(
                "a private-use scheme must be a reverse domain name such as com.example.app (RFC 8252 7.1)",
            ),
            ApplicationType::Web => {
                problem("web clients must use https (or http to a loopback address)")
            }
        },
    }
}

/// RFC 8252 7.1: a scheme based on a domain name the app controls, in reverse
/// order, so it contains a dot. This also keeps out `javascript:`, `data:` and
/// `file:`.
fn is_private_use_scheme(scheme: &str) -> bool {
    scheme.contains('.')
        && scheme.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9700_https_redirect_uris_are_accepted_for_every_client() {
        for application_type in [ApplicationType::Web, ApplicationType::Native] {
            assert_eq!(check("https://portal.example/cb", application_type), Ok(()));
            assert_eq!(
                check("https://portal.example:8443/cb?x=1", application_type),
                Ok(())
            );
        }
    }

    #[test]
    fn rfc8252_loopback_http_is_accepted_other_http_is_not() {
        for uri in [
            "http://127.0.0.1/cb",
            "http://127.0.0.1:4000/cb",
            "http://[::1]:4000/cb",
            "http://localhost:3000/cb",
        ] {
            assert_eq!(check(uri, ApplicationType::Native), Ok(()), "{uri}");
            assert_eq!(check(uri, ApplicationType::Web), Ok(()), "{uri}");
        }
        let error = check("http://portal.example/cb", ApplicationType::Web).unwrap_err();
        assert!(error.contains("loopback"), "{error}");
    }

    #[test]
    fn rfc8252_7_1_private_use_schemes_only_for_native_clients_with_reverse_domain() {
        assert_eq!(
            check("com.example.app:/oauth2redirect", ApplicationType::Native),
            Ok(())
        );
        assert!(check("com.example.app:/cb", ApplicationType::Web).is_err());
        assert!(check("myapp:/cb", ApplicationType::Native).is_err());
        assert!(check("javascript:alert(1)", ApplicationType::Native).is_err());
        assert!(check("data:text/html,x", ApplicationType::Native).is_err());
        assert!(check("file:///etc/passwd", ApplicationType::Native).is_err());
    }

    #[test]
    fn rfc6749_3_1_2_redirect_uris_are_absolute_without_fragment() {
        assert!(check("/cb", ApplicationType::Web).is_err());
        assert!(check("portal.example/cb", ApplicationType::Web).is_err());
        let error = check("https://portal.example/cb#x", ApplicationType::Web).unwrap_err();
        assert!(error.contains("fragment"), "{error}");
        assert!(check("https://portal.example/c b", ApplicationType::Web).is_err());
        assert!(check("", ApplicationType::Web).is_err());
    }
}
