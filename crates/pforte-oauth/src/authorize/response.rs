//! The one encoder of authorization responses, success and error alike, for
//! both response modes (RFC 6749 4.1.2 and 4.1.2.1; Form Post Response Mode 2).
//! Every response carries `iss` (RFC 9207 2), so a client talking to several
//! providers can tell which one answered (mix-up defence, RFC 9700 4.4).
//!
//! It takes a [`ReplyTo`], so nothing can reach a redirect URI that the
//! client + redirect_uri check did not verify. The web layer turns the result
//! into a `Location` (query: [`AuthorizationResponse::redirect_location`]) or an
//! auto-submitting form (form_post).

use super::checks::redirect_uri::ReplyTo;
use super::{AuthorizationResponse, ResponseMode};
use crate::error::OAuthError;

/// What the response says.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ResponseBody<'a> {
    Code(&'a str),
    Error(&'a OAuthError),
}

pub(crate) fn encode(
    reply_to: &ReplyTo,
    mode: ResponseMode,
    state: Option<&str>,
    issuer: &str,
    body: ResponseBody<'_>,
) -> AuthorizationResponse {
    let mut params: Vec<(String, String)> = Vec::with_capacity(4);
    match body {
        ResponseBody::Code(code) => params.push(("code".into(), code.to_owned())),
        ResponseBody::Error(error) => {
            params.push(("error".into(), error.code.as_str().to_owned()));
            let description = error_description(&error.description);
            if !description.is_empty() {
                params.push(("error_description".into(), description));
            }
        }
    }
    if let Some(state) = state {
        params.push(("state".into(), state.to_owned()));
    }
    params.push(("iss".into(), issuer.to_owned()));
    AuthorizationResponse {
        redirect_uri: reply_to.redirect_uri().to_owned(),
        mode,
        params,
    }
}

/// RFC 6749 4.1.2.1: `error_description` may only use %x20-21 / %x23-5B /
/// %x5D-7E; anything else (quotes, backslashes, control characters, non-ASCII)
/// becomes a space.
fn error_description(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E' => c,
            _ => ' ',
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::authorize::checks::redirect_uri::reply_to_for;
    use crate::authorize::checks::test_support::web_client;
    use crate::model::Client;

    const ISSUER: &str = "https://id.example.test";

    fn reply_to(uri: &str) -> ReplyTo {
        let client = Client {
            redirect_uris: vec![uri.to_owned()],
            ..web_client()
        };
        reply_to_for(&client, uri).unwrap()
    }

    fn pairs(response: &AuthorizationResponse) -> Vec<(&str, &str)> {
        response
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn rfc9207_success_carries_code_state_and_iss() {
        let response = encode(
            &reply_to("https://portal.example/cb"),
            ResponseMode::Query,
            Some("st"),
            ISSUER,
            ResponseBody::Code("c0de"),
        );
        assert_eq!(
            pairs(&response),
            [("code", "c0de"), ("state", "st"), ("iss", ISSUER)]
        );
        assert_eq!(
            response.redirect_location(),
            "https://portal.example/cb?code=c0de&state=st&iss=https%3A%2F%2Fid.example.test"
        );
    }

    #[test]
    fn rfc9207_errors_carry_iss_too_and_keep_the_uri_query() {
        let error = OAuthError::invalid_scope("bad \"scope\"\r\n\tä\\");
        let response = encode(
            &reply_to("https://portal.example/cb?tenant=a"),
            ResponseMode::FormPost,
            None,
            ISSUER,
            ResponseBody::Error(&error),
        );
        assert_eq!(response.mode, ResponseMode::FormPost);
        assert_eq!(
            pairs(&response),
            [
                ("error", "invalid_scope"),
                ("error_description", "bad  scope"),
                ("iss", ISSUER)
            ]
        );
        assert!(
            response
                .redirect_location()
                .starts_with("https://portal.example/cb?tenant=a&error=invalid_scope&")
        );
    }
}
