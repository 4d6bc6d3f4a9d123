//! Which logout notification URIs a client may register (R-SE-2).
//!
//! * `backchannel_logout_uri` (OpenID Back-Channel Logout 1.0 §2.2): an
//!   absolute URI, with port, path and query allowed, no fragment. The
//!   provider POSTs logout tokens there, so the transport must be
//!   confidential: `https`, plain `http` only to a loopback address (the same
//!   rule as for redirect URIs, RFC 9700 2.6).
//! * `frontchannel_logout_uri` (Front-Channel Logout 1.0 §2): the same form,
//!   and its scheme, host and port must be those of one of the client's
//!   registered redirect URIs, so a client can only have its own pages loaded
//!   into the provider's logout page.

use super::is_loopback_host;

/// Checks a `--backchannel-logout-uri`; the error names the URI.
pub fn backchannel(uri: &str) -> Result<(), String> {
    web_uri(uri).map(|_| ())
}

/// Checks a `--frontchannel-logout-uri` against the client's redirect URIs.
pub fn frontchannel(uri: &str, redirect_uris: &[String]) -> Result<(), String> {
    let url = web_uri(uri)?;
    let origin = url.origin();
    let shared = redirect_uris.iter().any(|redirect| {
        url::Url::parse(redirect).is_ok_and(|redirect| redirect.origin() == origin)
    });
    if shared {
        Ok(())
    } else {
        Err(format!(
            "{uri}: scheme, host and port must be those of a registered redirect URI \
             (OpenID Front-Channel Logout 1.0 §2)"
        ))
    }
}

fn web_uri(uri: &str) -> Result<url::Url, String> {
    let problem = |why: &str| Err(format!("{uri}: {why}"));
    if uri.contains('#') {
        return problem("must not contain a fragment");
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return problem("must not contain spaces or control characters");
    }
    let url = match url::Url::parse(uri) {
        Ok(url) => url,
        Err(error) => return problem(&format!("not an absolute URI ({error})")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return problem("must not contain user information");
    }
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => Ok(url),
        ("http", Some(host)) if is_loopback_host(&host) => Ok(url),
        ("https", None) => problem("has no host"),
        _ => problem("must use https (plain http only to a loopback address such as 127.0.0.1)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcl_2_2_backchannel_uri_is_absolute_https_or_loopback_without_fragment() {
        for good in [
            "https://rp.example/logout",
            "https://rp.example:8443/bcl?tenant=a",
            "http://127.0.0.1:4000/bcl",
            "http://localhost/bcl",
            "http://[::1]/bcl",
        ] {
            assert_eq!(backchannel(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("https://rp.example/logout#x", "fragment"),
            ("http://rp.example/logout", "https"),
            ("/logout", "absolute"),
            ("javascript:alert(1)", "https"),
            ("https://user:pw@rp.example/bcl", "user information"),
            ("https://rp.example/a b", "spaces"),
        ] {
            let error = backchannel(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
            assert!(error.contains(bad), "{error}");
        }
    }

    #[test]
    fn fcl_2_frontchannel_uri_shares_the_origin_of_a_redirect_uri() {
        let redirects = vec![
            "https://rp.example/cb".to_owned(),
            "http://127.0.0.1:4000/cb".to_owned(),
        ];
        assert_eq!(
            frontchannel("https://rp.example/fcl?x=1", &redirects),
            Ok(())
        );
        assert_eq!(
            frontchannel("http://127.0.0.1:4000/fcl", &redirects),
            Ok(())
        );
        for bad in [
            "https://other.example/fcl",
            "https://rp.example:8443/fcl",
            "http://127.0.0.1:4001/fcl",
        ] {
            let error = frontchannel(bad, &redirects).unwrap_err();
            assert!(error.contains("redirect URI"), "{bad}: {error}");
        }
        assert!(
            frontchannel("https://rp.example/fcl#frag", &redirects)
                .unwrap_err()
                .contains("fragment")
        );
    }
}
