//! `redirect_uri` (OIDC Core 3.1.2.1, RFC 6749 3.1.2, RFC 9700 4.1.3): required,
//! and one of the client's registered URIs by exact string comparison. The only
//! exception is RFC 8252 7.3: a native client's loopback IP literal URI
//! (`http://127.0.0.1:PORT/…`, `http://[::1]:PORT/…`) matches with any port,
//! because the app picks a free port at run time. `localhost` is not a loopback
//! literal (RFC 8252 8.3) and gets no exception.
//!
//! This check is the only producer of a [`ReplyTo`]: a response can go back to
//! the client only through a URI that passed it.

use super::super::PendingAuthorization;
use super::super::pipeline::Gate;
use crate::error::{ErrorCode, OAuthError};
use crate::model::{ApplicationType, Client};

/// A redirect URI verified for its client. The fields are private to this
/// module, so no other code can make one up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReplyTo {
    redirect_uri: String,
}

impl ReplyTo {
    /// The URI exactly as the client sent it (the actual loopback port
    /// included), which the token request must repeat (RFC 6749 4.1.3).
    pub(crate) fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The reply address of a pending request. A [`PendingAuthorization`] is
    /// only produced by the pipeline after this check passed, and the web layer
    /// keeps it on the server side, so its URI is the one verified then. Used
    /// where the store cannot be asked again (abandoning a login).
    pub(crate) fn of_pending(pending: &PendingAuthorization) -> Self {
        Self {
            redirect_uri: pending.redirect_uri.clone(),
        }
    }
}

pub(crate) const MISSING: &str = "PF-OAUTH-103";
pub(crate) const NOT_REGISTERED: &str = "PF-OAUTH-104";

pub(crate) fn check(gate: &mut Gate) -> Result<(), OAuthError> {
    let Some(client) = gate.client.as_ref() else {
        return Err(OAuthError::server_error(
            "redirect_uri checked before the client",
        ));
    };
    let redirect_uri = gate.params.get("redirect_uri")?.ok_or_else(|| {
        OAuthError::new(
            ErrorCode::InvalidRequest,
            MISSING,
            "redirect_uri is required",
        )
    })?;
    gate.reply_to = Some(reply_to_for(client, redirect_uri)?);
    Ok(())
}

/// Verifies `redirect_uri` for `client`.
pub(crate) fn reply_to_for(client: &Client, redirect_uri: &str) -> Result<ReplyTo, OAuthError> {
    if is_registered(client, redirect_uri) {
        Ok(ReplyTo {
            redirect_uri: redirect_uri.to_owned(),
        })
    } else {
        Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            NOT_REGISTERED,
            "redirect_uri is not registered for this client",
        ))
    }
}

fn is_registered(client: &Client, redirect_uri: &str) -> bool {
    if client
        .redirect_uris
        .iter()
        .any(|registered| registered == redirect_uri)
    {
        return true;
    }
    if client.application_type != ApplicationType::Native {
        return false;
    }
    let Some(requested) = without_loopback_port(redirect_uri) else {
        return false;
    };
    client
        .redirect_uris
        .iter()
        .filter_map(|registered| without_loopback_port(registered))
        .any(|registered| registered == requested)
}

const LOOPBACK_PREFIXES: [&str; 2] = ["http://127.0.0.1", "http://[::1]"];

/// For a loopback IP literal URI, the URI with its port removed; `None` for any
/// other URI. Works on the string, so apart from the port the comparison stays
/// exact (no normalisation of paths, case or escapes).
fn without_loopback_port(uri: &str) -> Option<String> {
    let prefix = LOOPBACK_PREFIXES
        .into_iter()
        .find(|prefix| uri.starts_with(prefix))?;
    let mut rest = &uri[prefix.len()..];
    if let Some(after_colon) = rest.strip_prefix(':') {
        let digits = after_colon.bytes().take_while(u8::is_ascii_digit).count();
        let port: u16 = after_colon[..digits].parse().ok()?;
        if port == 0 {
            return None;
        }
        rest = &after_colon[digits..];
    }
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')) {
        return None;
    }
    Some(format!("{prefix}{rest}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{params, public_client, web_client};
    use super::*;
    use crate::authorize::pipeline::Endpoint;
    use chrono::DateTime;

    fn gate_for(client: Client, redirect_uri: Option<&str>) -> Gate {
        let mut pairs = vec![("client_id", client.client_id.clone())];
        if let Some(uri) = redirect_uri {
            pairs.push(("redirect_uri", uri.to_owned()));
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut gate = Gate::new(
            Endpoint::Authorize,
            DateTime::from_timestamp(0, 0).unwrap(),
            params(&pairs),
        );
        gate.client = Some(client);
        gate
    }

    #[test]
    fn rfc9700_4_1_3_redirect_uri_must_match_exactly() {
        let client = Client {
            redirect_uris: vec![
                "https://portal.example/cb".into(),
                "https://portal.example/cb?tenant=a".into(),
            ],
            ..web_client()
        };
        let cases = [
            ("https://portal.example/cb", true),
            ("https://portal.example/cb?tenant=a", true),
            ("https://portal.example/cb/", false),
            ("https://portal.example/cb?tenant=b", false),
            ("https://portal.example/cb?tenant=a&x=1", false),
            ("https://portal.example/cb?x=1", false),
            ("https://portal.example/CB", false),
            ("https://PORTAL.example/cb", false),
            ("https://portal.example:443/cb", false),
            ("https://portal.example/cb#frag", false),
            ("https://portal.example/c%62", false),
            ("https://portal.example.evil/cb", false),
            ("http://portal.example/cb", false),
            ("https://portal.example/cb/../cb", false),
        ];
        for (uri, expected) in cases {
            let mut gate = gate_for(client.clone(), Some(uri));
            let result = check(&mut gate);
            assert_eq!(result.is_ok(), expected, "{uri}");
            if expected {
                assert_eq!(gate.reply_to.unwrap().redirect_uri(), uri);
            } else {
                assert_eq!(result.unwrap_err().public_code, NOT_REGISTERED, "{uri}");
                assert!(gate.reply_to.is_none());
            }
        }
    }

    #[test]
    fn rfc8252_7_3_native_loopback_redirects_match_on_any_port() {
        let client = Client {
            redirect_uris: vec![
                "http://127.0.0.1/callback".into(),
                "http://[::1]:8080/cb".into(),
                "de.example.app:/oauth2redirect".into(),
            ],
            ..public_client()
        };
        let cases = [
            ("http://127.0.0.1/callback", true),
            ("http://127.0.0.1:51234/callback", true),
            ("http://127.0.0.1:1/callback", true),
            ("http://[::1]:8080/cb", true),
            ("http://[::1]:49152/cb", true),
            ("http://[::1]/cb", true),
            ("de.example.app:/oauth2redirect", true),
            ("http://127.0.0.1:51234/callback/x", false),
            ("http://127.0.0.1:51234/other", false),
            ("http://127.0.0.1:0/callback", false),
            ("http://127.0.0.1:70000/callback", false),
            ("http://127.0.0.1:51234@evil.example/callback", false),
            ("http://127.0.0.1.evil.example/callback", false),
            ("http://localhost:51234/callback", false),
            ("https://127.0.0.1:51234/callback", false),
            ("http://127.0.0.2:51234/callback", false),
            ("http://[::1]:49152/callback", false),
            ("de.example.app:/other", false),
        ];
        for (uri, expected) in cases {
            let mut gate = gate_for(client.clone(), Some(uri));
            assert_eq!(check(&mut gate).is_ok(), expected, "{uri}");
        }
    }

    #[test]
    fn rfc8252_7_3_port_freedom_is_for_native_clients_only() {
        let client = Client {
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            ..web_client()
        };
        let mut gate = gate_for(client, Some("http://127.0.0.1:5000/callback"));
        assert!(check(&mut gate).is_err());
    }

    #[test]
    fn oidc_core_3_1_2_1_redirect_uri_is_required_even_with_one_registered() {
        let mut gate = gate_for(web_client(), None);
        assert_eq!(check(&mut gate).unwrap_err().public_code, MISSING);
    }

    #[test]
    fn rfc6749_3_1_repeated_redirect_uri_is_refused() {
        let mut gate = gate_for(web_client(), Some("https://portal.example/cb"));
        gate.params = params(&[
            ("redirect_uri", "https://portal.example/cb"),
            ("redirect_uri", "https://portal.example/cb"),
        ]);
        assert_eq!(
            check(&mut gate).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert!(gate.reply_to.is_none());
    }
}
