//! The claim rules for `private_key_jwt` client assertions (RFC 7523 3,
//! OIDC Core 9). The signature is checked by
//! `pforte_crypto::jose::verify_with_jwks` against the client's registered keys
//! before these rules run; the `jti` replay check follows them.

use serde_json::{Map, Value};

/// RFC 7523 2.2: the only `client_assertion_type` we accept.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What the assertion must satisfy.
#[derive(Debug, Clone)]
pub(crate) struct AssertionRules<'a> {
    pub client_id: &'a str,
    /// Values accepted as `aud`: the issuer, the token endpoint URL and the URL
    /// of the endpoint the assertion is presented at (OIDC Core 9, RFC 7523 3
    /// item 3, RFC 9126 2).
    pub audiences: &'a [String],
    pub now: i64,
    /// Tolerated clock difference in seconds.
    pub skew: i64,
}

/// An assertion that passed the claim rules: what the replay check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AcceptedAssertion {
    pub jti: String,
    pub expires_at: i64,
}

fn audience_matches(aud: Option<&Value>, accepted: &[String]) -> bool {
    let accepted_value = |value: &Value| {
        value
            .as_str()
            .is_some_and(|aud| accepted.iter().any(|ok| ok == aud))
    };
    match aud {
        Some(Value::String(_)) => aud.is_some_and(accepted_value),
        Some(Value::Array(values)) => values.iter().any(accepted_value),
        _ => false,
    }
}

/// Checks `iss`, `sub`, `aud`, `exp`, `iat`, `nbf` and the presence of `jti`.
/// The error is the `error_description` of the `invalid_client` answer.
pub(crate) fn check_assertion_claims(
    claims: &Map<String, Value>,
    rules: &AssertionRules<'_>,
) -> Result<AcceptedAssertion, &'static str> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    // RFC 7523 3 items 1 and 2: issuer and subject are the client id.
    if text("iss") != Some(rules.client_id) {
        return Err("assertion iss must be the client id");
    }
    if text("sub") != Some(rules.client_id) {
        return Err("assertion sub must be the client id");
    }
    if !audience_matches(claims.get("aud"), rules.audiences) {
        return Err("assertion aud must be the issuer or the endpoint URL");
    }
    // RFC 7523 3 item 4: exp is required and must not have passed.
    let expires_at = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or("assertion exp is missing")?;
    if expires_at.saturating_add(rules.skew) <= rules.now {
        return Err("assertion has expired");
    }
    // Items 5 and 6: not valid before nbf; iat must not lie in the future.
    for name in ["nbf", "iat"] {
        match claims.get(name) {
            None => {}
            Some(value) => {
                let at = value.as_i64().ok_or("assertion time claim is malformed")?;
                if at > rules.now.saturating_add(rules.skew) {
                    return Err("assertion is not valid yet");
                }
            }
        }
    }
    // Item 7 and OIDC Core 9: jti is required so replays can be detected.
    let jti = text("jti")
        .filter(|jti| !jti.is_empty())
        .ok_or("assertion jti is missing")?;
    Ok(AcceptedAssertion {
        jti: jti.to_owned(),
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    const ISSUER: &str = "https://id.example.test";
    const NOW: i64 = 1_000_000;

    fn audiences() -> Vec<String> {
        vec![ISSUER.to_owned(), format!("{ISSUER}/token")]
    }

    fn check(claims: Value) -> Result<AcceptedAssertion, &'static str> {
        let audiences = audiences();
        let rules = AssertionRules {
            client_id: "rp",
            audiences: &audiences,
            now: NOW,
            skew: 30,
        };
        check_assertion_claims(claims.as_object().unwrap(), &rules)
    }

    fn good() -> Value {
        json!({"iss": "rp", "sub": "rp", "aud": ISSUER, "exp": NOW + 60, "iat": NOW, "jti": "j1"})
    }

    fn with(name: &str, value: Value) -> Value {
        let mut claims = good();
        claims[name] = value;
        claims
    }

    fn without(name: &str) -> Value {
        let mut claims = good();
        claims.as_object_mut().unwrap().remove(name);
        claims
    }

    #[test]
    fn rfc7523_3_valid_assertion_is_accepted() {
        assert_eq!(
            check(good()),
            Ok(AcceptedAssertion {
                jti: "j1".into(),
                expires_at: NOW + 60
            })
        );
    }

    #[test]
    fn oidc_core_9_iss_and_sub_must_be_the_client_id() {
        assert!(check(with("iss", json!("other"))).is_err());
        assert!(check(with("sub", json!("other"))).is_err());
        assert!(check(without("sub")).is_err());
    }

    #[test]
    fn oidc_core_9_aud_is_the_issuer_or_the_token_endpoint_also_inside_an_array() {
        assert!(check(with("aud", json!(format!("{ISSUER}/token")))).is_ok());
        assert!(check(with("aud", json!(["https://rs.example", ISSUER]))).is_ok());
        assert!(check(with("aud", json!("https://other.example"))).is_err());
        assert!(check(with("aud", json!(["https://other.example"]))).is_err());
        assert!(check(with("aud", json!(42))).is_err());
        assert!(check(without("aud")).is_err());
    }

    #[test]
    fn rfc7523_3_exp_is_required_and_must_not_have_passed_beyond_skew() {
        assert!(check(without("exp")).is_err());
        assert!(check(with("exp", json!("soon"))).is_err());
        assert!(check(with("exp", json!(NOW - 29))).is_ok());
        assert_eq!(
            check(with("exp", json!(NOW - 30))),
            Err("assertion has expired")
        );
    }

    #[test]
    fn rfc7523_3_iat_and_nbf_must_not_lie_in_the_future_beyond_skew() {
        assert!(check(with("iat", json!(NOW + 30))).is_ok());
        assert!(check(with("iat", json!(NOW + 31))).is_err());
        assert!(check(with("nbf", json!(NOW + 31))).is_err());
        assert!(check(with("nbf", json!("x"))).is_err());
        assert!(check(without("iat")).is_ok());
    }

    #[test]
    fn oidc_core_9_jti_is_required() {
        assert_eq!(check(without("jti")), Err("assertion jti is missing"));
        assert!(check(with("jti", json!(""))).is_err());
        assert!(check(with("jti", json!(7))).is_err());
    }
}
