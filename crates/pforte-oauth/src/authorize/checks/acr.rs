//! Requested assurance levels (OIDC Core 3.1.2.1 `acr_values`, 5.5.1.1 essential
//! `acr` claim; R-AC-2). For now plumbing only: the list goes into the
//! `AuthTarget` in order of preference, `acr_values` first, then the values of
//! an essential `acr` claim. Matching levels to factors arrives with step-up.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use super::claims::essential_acr_values;
use crate::error::OAuthError;

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    let mut levels = context.params.list("acr_values")?;
    let essential = request
        .claims
        .as_ref()
        .map(essential_acr_values)
        .unwrap_or_default();
    for level in essential {
        if !levels.contains(&level) {
            levels.push(level);
        }
    }
    request.acr_values = levels;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::super::pipeline::{AuthorizationRequest, CheckContext};
    use super::super::test_support::{params, web_client};
    use super::*;
    use crate::id_token_hint::tests::{ISSUER, TestKeys};
    use serde_json::json;

    fn levels(pairs: &[(&str, &str)], claims: Option<serde_json::Value>) -> Vec<String> {
        let params = params(pairs);
        let keys = TestKeys::new();
        let client = web_client();
        let context = CheckContext {
            via_par: false,
            params: &params,
            client: &client,
            issuer: ISSUER,
            keys: &keys,
        };
        let mut request = AuthorizationRequest::new();
        request.claims = claims;
        check(&context, &mut request).unwrap();
        request.acr_values
    }

    #[test]
    fn r_ac_2_acr_values_and_essential_acr_claim_form_one_list() {
        assert!(levels(&[], None).is_empty());
        assert_eq!(
            levels(&[("acr_values", "loa-high loa-low")], None),
            ["loa-high", "loa-low"]
        );
        let essential =
            json!({"id_token":{"acr":{"essential":true,"values":["loa-low","loa-sub"]}}});
        assert_eq!(
            levels(
                &[("acr_values", "loa-high loa-low")],
                Some(essential.clone())
            ),
            ["loa-high", "loa-low", "loa-sub"]
        );
        assert_eq!(levels(&[], Some(essential)), ["loa-low", "loa-sub"]);
    }
}
