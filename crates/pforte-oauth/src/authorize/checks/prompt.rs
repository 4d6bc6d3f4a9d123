//! `prompt` (OIDC Core 3.1.2.1): `none`, `login`, `consent`, space-separated.
//! `none` combined with anything else is an `invalid_request`, as is any other
//! value (`select_account` is not offered; discovery lists only these three).
//! What the values then demand of the session is decided in `decision.rs`.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};
use pforte_types::Prompt;

pub(crate) const INVALID: &str = "PF-OAUTH-121";

fn invalid(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequest, INVALID, description)
}

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    let mut prompts: Vec<Prompt> = Vec::new();
    for value in context.params.list("prompt")? {
        let prompt = match value.as_str() {
            "none" => Prompt::None,
            "login" => Prompt::Login,
            "consent" => Prompt::Consent,
            _ => return Err(invalid("prompt may only contain none, login and consent")),
        };
        if !prompts.contains(&prompt) {
            prompts.push(prompt);
        }
    }
    if prompts.contains(&Prompt::None) && prompts.len() > 1 {
        return Err(invalid("prompt=none cannot be combined with other values"));
    }
    request.prompt = prompts;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{run, web_client};
    use super::*;

    #[test]
    fn oidc_core_3_1_2_1_prompt_values() {
        let cases: [(&str, Option<&[Prompt]>); 9] = [
            ("none", Some(&[Prompt::None])),
            ("login", Some(&[Prompt::Login])),
            ("consent", Some(&[Prompt::Consent])),
            ("login consent", Some(&[Prompt::Login, Prompt::Consent])),
            ("login login", Some(&[Prompt::Login])),
            ("none login", None),
            ("consent none", None),
            ("select_account", None),
            ("LOGIN", None),
        ];
        for (value, expected) in cases {
            let result = run(check, &web_client(), &[("prompt", value)]);
            match expected {
                Some(prompts) => assert_eq!(result.unwrap().prompt, prompts, "{value}"),
                None => assert_eq!(result.unwrap_err().public_code, INVALID, "{value}"),
            }
        }
        assert!(run(check, &web_client(), &[]).unwrap().prompt.is_empty());
    }
}
