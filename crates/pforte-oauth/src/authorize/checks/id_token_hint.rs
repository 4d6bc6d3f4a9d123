//! `id_token_hint` (OIDC Core 3.1.2.1): an ID token we issued earlier, possibly
//! expired, naming the user the client expects. It must carry our signature and
//! our issuer (see `crate::id_token_hint`) and list this client in `aud`;
//! otherwise the request is an `invalid_request`. A valid hint sets the account
//! that must be logged in; with `prompt=none` and a session of someone else the
//! answer is `login_required` (`decision.rs`).

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};
use crate::id_token_hint::{self, HintedIdToken};
use pforte_types::SessionSnapshot;

pub(crate) const INVALID: &str = "PF-OAUTH-123";

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    let Some(token) = context.params.get("id_token_hint")? else {
        return Ok(());
    };
    let hint =
        id_token_hint::verify(token, context.issuer, context.keys).map_err(|why| OAuthError {
            internal: Some(why.to_string()),
            ..OAuthError::new(
                ErrorCode::InvalidRequest,
                INVALID,
                "id_token_hint is not a valid ID token of this provider",
            )
        })?;
    if !hint.is_for_client(&context.client.client_id) {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            INVALID,
            "id_token_hint was not issued to this client",
        ));
    }
    request.hint = Some(hint);
    Ok(())
}

/// Whether the session belongs to another account than the hint names.
pub(crate) fn names_another_account(hint: &HintedIdToken, session: &SessionSnapshot) -> bool {
    hint.subject != session.account_id
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{public_client, run_with, web_client};
    use super::*;
    use crate::id_token_hint::tests::{TestKeys, id_token_claims};
    use pforte_types::AccountId;
    use serde_json::json;

    #[test]
    fn oidc_core_3_1_2_1_hint_names_the_expected_account() {
        let keys = TestKeys::new();
        let subject = AccountId::new();
        let token = keys.sign(id_token_claims(subject, json!(["portal"])), None);
        let request = run_with(
            check,
            &web_client(),
            &[("id_token_hint", &token)],
            &keys,
            false,
        )
        .unwrap();
        assert_eq!(request.hint.unwrap().subject, subject);
    }

    #[test]
    fn oidc_core_3_1_2_1_hint_for_another_client_or_forged_is_invalid() {
        let keys = TestKeys::new();
        let other_keys = TestKeys::new();
        let subject = AccountId::new();
        let for_app = keys.sign(id_token_claims(subject, json!("app")), None);
        let forged = other_keys.sign(id_token_claims(subject, json!("portal")), None);
        for token in [for_app.as_str(), forged.as_str(), "garbage"] {
            let error = run_with(
                check,
                &web_client(),
                &[("id_token_hint", token)],
                &keys,
                false,
            )
            .unwrap_err();
            assert_eq!(
                (error.code, error.public_code),
                (ErrorCode::InvalidRequest, INVALID)
            );
        }
        // The same app token is fine for the app.
        assert!(
            run_with(
                check,
                &public_client(),
                &[("id_token_hint", &for_app)],
                &keys,
                false,
            )
            .is_ok()
        );
    }
}
