//! The authorization code grant (RFC 6749 4.1.3, OIDC Core 3.1.3.2, RFC 7636
//! 4.5, 4.6, RFC 9700 2.1.1, 4.14).
//!
//! The code is consumed atomically before anything else is checked, so two
//! concurrent redemptions never both succeed; a second redemption revokes the
//! grant and with it every token issued from the first (RFC 6749 4.1.2).

use crate::error::OAuthError;
use crate::grants::UserGrantIssue;
use crate::model::{Client, CodeConsumption};
use crate::params::Params;
use crate::provider::Provider;
use crate::token::TokenResponse;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pforte_crypto::random::sha256_b64url;
use sha2::{Digest, Sha256};

/// RFC 7636 4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." /
/// "_" / "~"`.
pub(crate) fn is_valid_code_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'))
}

/// Compares two strings without an early exit on the first difference.
fn equal_in_constant_time(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Checks the `code_verifier` against the stored S256 challenge (RFC 7636 4.6).
/// A verifier without a stored challenge is a downgrade attempt (RFC 9700
/// 2.1.1) and fails like a wrong verifier; PKCE the client must use but the code
/// lacks fails too, as a second line behind the authorization endpoint.
pub(crate) fn verify_pkce(
    challenge: Option<&str>,
    verifier: Option<&str>,
    pkce_required: bool,
) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (Some(challenge), Some(verifier)) => {
            if !is_valid_code_verifier(verifier) {
                return Err(OAuthError::invalid_grant("code_verifier is malformed"));
            }
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if equal_in_constant_time(computed.as_bytes(), challenge.as_bytes()) {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ))
            }
        }
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is missing")),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent but the authorization request had no code_challenge",
        )),
        (None, None) if pkce_required => Err(OAuthError::invalid_grant(
            "the client must use PKCE but the code has no challenge",
        )),
        (None, None) => Ok(()),
    }
}

impl Provider {
    pub(crate) async fn authorization_code_grant(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let code_value = params.require("code")?;
        // OIDC Core 3.1.3.2 / RFC 6749 4.1.3: required, since every
        // authorization request of ours carries one.
        let redirect_uri = params.require("redirect_uri")?;
        let verifier = params.get("code_verifier")?;
        let code = match self
            .ports
            .grants
            .consume_code(&sha256_b64url(code_value))
            .await?
        {
            CodeConsumption::Fresh(code) => code,
            CodeConsumption::AlreadyUsed { grant_id } => {
                return Err(self
                    .revoke_replayed_grant(&grant_id, "authorization code")
                    .await);
            }
            CodeConsumption::Unknown => {
                return Err(OAuthError::invalid_grant("unknown authorization code"));
            }
        };
        if code.expires_at <= self.clock.now() {
            return Err(OAuthError::invalid_grant(
                "the authorization code has expired",
            ));
        }
        if code.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "the authorization code was issued to another client",
            ));
        }
        if code.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri differs from the authorization request",
            ));
        }
        verify_pkce(
            code.code_challenge.as_deref(),
            verifier,
            client.is_public() || client.require_pkce,
        )?;
        self.require_live_grant(&code.grant_id).await?;
        let refresh = self.plan_new_refresh_token(client, &code.scope);
        self.issue_user_tokens(&UserGrantIssue {
            client,
            grant_id: &code.grant_id,
            account: code.account_id,
            scope: &code.scope,
            auth: &code.auth,
            nonce: code.nonce.as_deref(),
            claims_request: code.claims_request.as_ref(),
            refresh,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::error::ErrorCode;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_s256_verifier_matches_its_challenge() {
        assert!(verify_pkce(Some(CHALLENGE), Some(VERIFIER), true).is_ok());
    }

    #[test]
    fn rfc7636_4_6_wrong_or_missing_verifier_is_invalid_grant() {
        let other = "x".repeat(43);
        for verifier in [Some(other.as_str()), None] {
            assert_eq!(
                verify_pkce(Some(CHALLENGE), verifier, false)
                    .unwrap_err()
                    .code,
                ErrorCode::InvalidGrant
            );
        }
    }

    #[test]
    fn rfc9700_2_1_1_verifier_without_challenge_is_a_rejected_downgrade() {
        assert_eq!(
            verify_pkce(None, Some(VERIFIER), false).unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        assert!(verify_pkce(None, None, false).is_ok());
        assert!(verify_pkce(None, None, true).is_err());
    }

    #[test]
    fn rfc7636_4_1_verifier_length_and_alphabet() {
        assert!(is_valid_code_verifier(&"a".repeat(43)));
        assert!(is_valid_code_verifier(&"-._~Az09".repeat(16)));
        assert!(!is_valid_code_verifier(&"a".repeat(42)));
        assert!(!is_valid_code_verifier(&"a".repeat(129)));
        assert!(!is_valid_code_verifier(&format!("{}+", "a".repeat(42))));
        assert!(!is_valid_code_verifier(&format!("{}ä", "a".repeat(42))));
        // A malformed verifier fails even when its hash would match.
        let short = "short";
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(short.as_bytes()));
        assert!(verify_pkce(Some(&challenge), Some(short), false).is_err());
    }
}
