//! The `WWW-Authenticate` challenges of a bearer-token API (RFC 6750 §3) and
//! the step-up challenge of RFC 9470 §3, rendered as header values.

use crate::decision::StepUp;

/// Why a request is answered with `401`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// No bearer token at all: RFC 6750 §3 says to send no error code then.
    NoToken,
    /// A token that is malformed, not ours, expired or has a bad signature
    /// (RFC 6750 §3.1 `invalid_token`); the text is for `error_description`.
    InvalidToken(&'static str),
    /// A valid token whose authentication is too weak or too old.
    StepUp(StepUp),
}

/// The RFC 9470 §3 error code.
pub const INSUFFICIENT_USER_AUTHENTICATION: &str = "insufficient_user_authentication";
/// The RFC 6750 §3.1 error code.
pub const INVALID_TOKEN: &str = "invalid_token";

impl Challenge {
    /// The `error` code, if this challenge carries one.
    pub fn error(&self) -> Option<&'static str> {
        match self {
            Self::NoToken => None,
            Self::InvalidToken(_) => Some(INVALID_TOKEN),
            Self::StepUp(_) => Some(INSUFFICIENT_USER_AUTHENTICATION),
        }
    }

    /// The `error_description`, or a hint when there is no error code.
    pub fn description(&self) -> String {
        match self {
            Self::NoToken => "this API needs a bearer access token".to_owned(),
            Self::InvalidToken(reason) => (*reason).to_owned(),
            Self::StepUp(step_up) => step_up.description(),
        }
    }

    /// The value of the `WWW-Authenticate` header.
    pub fn header_value(&self) -> String {
        let Some(error) = self.error() else {
            return "Bearer".to_owned();
        };
        let mut value = format!(
            "Bearer error={}, error_description={}",
            quoted(error),
            quoted(&self.description())
        );
        if let Self::StepUp(step_up) = self {
            if let Some(acr_values) = &step_up.acr_values {
                value.push_str(&format!(", acr_values={}", quoted(acr_values)));
            }
            if let Some(max_age) = step_up.max_age {
                value.push_str(&format!(", max_age={}", quoted(&max_age.to_string())));
            }
        }
        value
    }
}

/// A quoted-string (RFC 9110 §5.6.4) holding only the characters RFC 6749
/// Appendix A allows in `error_description` (%x20-21 / %x23-5B / %x5D-7E), so a
/// configured level name can never break the header.
fn quoted(value: &str) -> String {
    let safe: String = value
        .chars()
        .filter(|c| matches!(*c, ' '..='~') && *c != '"' && *c != '\\')
        .collect();
    format!("\"{safe}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6750_no_token_gets_a_bare_bearer_challenge() {
        assert_eq!(Challenge::NoToken.header_value(), "Bearer");
    }

    #[test]
    fn rfc_6750_invalid_token_challenge() {
        assert_eq!(
            Challenge::InvalidToken("the access token has expired").header_value(),
            r#"Bearer error="invalid_token", error_description="the access token has expired""#
        );
    }

    #[test]
    fn rfc_9470_step_up_challenge_with_level_and_max_age() {
        let table = [
            (
                None,
                true,
                r#"Bearer error="insufficient_user_authentication", error_description="authentication at level loa-substantial is required", acr_values="loa-substantial""#,
            ),
            (
                Some(300),
                false,
                r#"Bearer error="insufficient_user_authentication", error_description="a new authentication within the last 300 seconds is required", acr_values="loa-substantial", max_age="300""#,
            ),
        ];
        for (max_age, level_too_low, expected) in table {
            let challenge = Challenge::StepUp(StepUp {
                acr_values: Some("loa-substantial".into()),
                max_age,
                level_too_low,
            });
            assert_eq!(challenge.header_value(), expected);
        }
    }

    #[test]
    fn rfc_9470_parameter_values_cannot_break_out_of_the_quotes() {
        assert_eq!(quoted("a\"b\\c\nd"), "\"abcd\"");
    }
}
