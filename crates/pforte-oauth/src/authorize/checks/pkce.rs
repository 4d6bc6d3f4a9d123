//! PKCE (RFC 7636, RFC 9700 2.1.1). Only `S256`: `plain` (also the default when
//! `code_challenge_method` is omitted, RFC 7636 4.3) exposes the verifier and is
//! refused. The challenge is the base64url SHA-256 of the verifier, so exactly
//! 43 characters of the base64url alphabet (RFC 7636 4.2). PKCE is mandatory for
//! public clients and for clients registered with `require_pkce`; others may
//! use it, and once a challenge is bound to the code the token endpoint enforces
//! the verifier (downgrade protection, RFC 9700 2.1.1).

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};

pub(crate) const INVALID: &str = "PF-OAUTH-120";

/// Length of a base64url-encoded SHA-256 digest without padding.
const S256_CHALLENGE_LEN: usize = 43;

fn invalid(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequest, INVALID, description)
}

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    let challenge = context.params.get("code_challenge")?;
    let method = context.params.get("code_challenge_method")?;
    let Some(challenge) = challenge else {
        if method.is_some() {
            return Err(invalid("code_challenge_method without code_challenge"));
        }
        if context.client.is_public() || context.client.require_pkce {
            return Err(invalid("this client must use PKCE (code_challenge)"));
        }
        return Ok(());
    };
    if method != Some("S256") {
        return Err(invalid("code_challenge_method must be S256"));
    }
    let well_formed = challenge.len() == S256_CHALLENGE_LEN
        && challenge
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if !well_formed {
        return Err(invalid("code_challenge is not a base64url SHA-256 digest"));
    }
    request.code_challenge = Some(challenge.to_owned());
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{public_client, run, web_client};
    use super::*;
    use crate::model::Client;

    /// RFC 7636 Appendix B.
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_s256_challenge_is_bound_to_the_request() {
        let request = run(
            check,
            &public_client(),
            &[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
        )
        .unwrap();
        assert_eq!(request.code_challenge.as_deref(), Some(CHALLENGE));
    }

    #[test]
    fn rfc7636_plain_and_malformed_challenges_are_rejected() {
        let too_short = &CHALLENGE[..42];
        let too_long = format!("{CHALLENGE}A");
        let padded = format!("{}=", &CHALLENGE[..42]);
        let plus = format!("{}+", &CHALLENGE[..42]);
        let cases: Vec<Vec<(&str, &str)>> = vec![
            vec![
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ],
            // Omitted method means plain (RFC 7636 4.3).
            vec![("code_challenge", CHALLENGE)],
            vec![
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "s256"),
            ],
            vec![
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S512"),
            ],
            vec![("code_challenge_method", "S256")],
            vec![
                ("code_challenge", too_short),
                ("code_challenge_method", "S256"),
            ],
            vec![
                ("code_challenge", &too_long),
                ("code_challenge_method", "S256"),
            ],
            vec![
                ("code_challenge", &padded),
                ("code_challenge_method", "S256"),
            ],
            vec![("code_challenge", &plus), ("code_challenge_method", "S256")],
        ];
        for pairs in cases {
            for client in [web_client(), public_client()] {
                let error = run(check, &client, &pairs).unwrap_err();
                assert_eq!(error.public_code, INVALID, "{pairs:?}");
                assert_eq!(error.code, ErrorCode::InvalidRequest);
            }
        }
    }

    #[test]
    fn rfc9700_2_1_1_pkce_is_mandatory_for_public_and_flagged_clients() {
        let flagged = Client {
            require_pkce: true,
            ..web_client()
        };
        assert!(run(check, &public_client(), &[]).is_err());
        assert!(run(check, &flagged, &[]).is_err());
        let request = run(check, &web_client(), &[]).unwrap();
        assert_eq!(request.code_challenge, None);
    }
}
