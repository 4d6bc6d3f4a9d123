//! `claims` (OIDC Core 5.5): a JSON object whose optional members `userinfo` and
//! `id_token` are objects mapping claim names to `null` or to an object with
//! optional `essential` (boolean), `value` and `values` (array). Anything else
//! is malformed and an `invalid_request`. Unknown claim names and other
//! top-level members are kept but have no effect (OIDC Core 5.5: claims the
//! provider does not understand are ignored). The validated request travels
//! with the code to the ID token and userinfo.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};
use serde_json::{Map, Value};

pub(crate) const MALFORMED: &str = "PF-OAUTH-124";

/// The members of the claims request that name a place claims are returned.
const TARGETS: [&str; 2] = ["userinfo", "id_token"];

fn malformed(description: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequest, MALFORMED, description)
}

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    let Some(text) = context.params.get("claims")? else {
        return Ok(());
    };
    let value: Value =
        serde_json::from_str(text).map_err(|_| malformed("claims is not valid JSON"))?;
    let Value::Object(members) = &value else {
        return Err(malformed("claims must be a JSON object"));
    };
    for target in TARGETS {
        if let Some(requests) = members.get(target) {
            let Value::Object(requests) = requests else {
                return Err(malformed(
                    "claims.userinfo and claims.id_token must be objects",
                ));
            };
            check_claim_requests(requests)?;
        }
    }
    request.claims = Some(value);
    Ok(())
}

fn check_claim_requests(requests: &Map<String, Value>) -> Result<(), OAuthError> {
    for request in requests.values() {
        match request {
            Value::Null => {}
            Value::Object(details) => {
                if details.get("essential").is_some_and(|e| !e.is_boolean()) {
                    return Err(malformed("essential must be true or false"));
                }
                if details.get("values").is_some_and(|v| !v.is_array()) {
                    return Err(malformed("values must be an array"));
                }
            }
            _ => return Err(malformed("a claim request must be null or an object")),
        }
    }
    Ok(())
}

/// The `acr` values an essential `acr` claim in `id_token` asks for (OIDC Core
/// 5.5.1.1), in the order given.
pub(crate) fn essential_acr_values(claims: &Value) -> Vec<String> {
    let Some(acr) = claims
        .get("id_token")
        .and_then(|id_token| id_token.get("acr"))
    else {
        return Vec::new();
    };
    if acr.get("essential").and_then(Value::as_bool) != Some(true) {
        return Vec::new();
    }
    let single = acr.get("value").and_then(Value::as_str);
    let listed = acr
        .get("values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    single
        .into_iter()
        .chain(listed)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{run, web_client};
    use super::*;
    use serde_json::json;

    #[test]
    fn oidc_core_5_5_well_formed_claims_requests_are_kept() {
        let cases = [
            r#"{}"#,
            r#"{"userinfo":{"name":null,"email":{"essential":true}}}"#,
            r#"{"id_token":{"acr":{"essential":true,"values":["loa-high"]},"auth_time":{"essential":true}}}"#,
            r#"{"id_token":{"sub":{"value":"248289761001"}},"userinfo":{}}"#,
            r#"{"userinfo":{"nickname":null},"future_member":1}"#,
        ];
        for text in cases {
            let request = run(check, &web_client(), &[("claims", text)]).unwrap();
            assert_eq!(
                request.claims,
                Some(serde_json::from_str::<Value>(text).unwrap()),
                "{text}"
            );
        }
        assert_eq!(run(check, &web_client(), &[]).unwrap().claims, None);
    }

    #[test]
    fn oidc_core_5_5_malformed_claims_requests_are_invalid() {
        let cases = [
            "not json",
            "[]",
            r#""userinfo""#,
            r#"{"userinfo":[]}"#,
            r#"{"id_token":"acr"}"#,
            r#"{"userinfo":{"name":true}}"#,
            r#"{"userinfo":{"name":"yes"}}"#,
            r#"{"id_token":{"acr":{"essential":"true"}}}"#,
            r#"{"id_token":{"acr":{"values":"loa-high"}}}"#,
        ];
        for text in cases {
            let error = run(check, &web_client(), &[("claims", text)]).unwrap_err();
            assert_eq!(
                (error.code, error.public_code),
                (ErrorCode::InvalidRequest, MALFORMED),
                "{text}"
            );
        }
    }

    #[test]
    fn oidc_core_5_5_1_1_only_an_essential_acr_names_required_levels() {
        let cases = [
            (
                json!({"id_token":{"acr":{"essential":true,"values":["a","b"]}}}),
                vec!["a", "b"],
            ),
            (
                json!({"id_token":{"acr":{"essential":true,"value":"a"}}}),
                vec!["a"],
            ),
            (json!({"id_token":{"acr":{"values":["a"]}}}), vec![]),
            (
                json!({"id_token":{"acr":{"essential":false,"values":["a"]}}}),
                vec![],
            ),
            (json!({"id_token":{"acr":null}}), vec![]),
            (
                json!({"userinfo":{"acr":{"essential":true,"values":["a"]}}}),
                vec![],
            ),
        ];
        for (claims, expected) in cases {
            assert_eq!(essential_acr_values(&claims), expected, "{claims}");
        }
    }
}
