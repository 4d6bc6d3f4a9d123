//! Verifying the ident service's ID token (OIDC Core 3.1.3.7) and, when the
//! ID token does not carry the profile claims, merging the userinfo response
//! (OIDC Core 5.3.2). Pure: the caller fetched the token, the JWKS and the
//! userinfo document; this module decides whether to believe them.

use super::IdentClaims;
use chrono::{DateTime, Utc};
use pforte_crypto::SigningAlg;
use pforte_crypto::jose::verify_with_jwks;
use serde_json::{Map, Value};

/// Clock difference tolerated between the ident service and us.
pub const LEEWAY_SECS: i64 = 60;

/// Signature algorithms accepted from an ident service. `none` and the HMAC
/// algorithms are never accepted: the token must be signed with a key the
/// JWKS publishes (OIDC Core 3.1.3.7 steps 6–8).
pub const ACCEPTED_ALGS: &[SigningAlg] = &[
    SigningAlg::ES256,
    SigningAlg::RS256,
    SigningAlg::PS256,
    SigningAlg::EdDSA,
];

/// What the ID token must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The configured issuer (it must equal discovery's `issuer`).
    pub issuer: &'a str,
    /// Our client id at the ident service: the audience.
    pub client_id: &'a str,
    /// The nonce sent with this attempt's authorization request.
    pub nonce: &'a str,
    pub now: DateTime<Utc>,
}

/// Why an ID token was not believed. Goes to the log and the audit detail;
/// the user sees only that the ident service's answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("signature: {0}")]
    Signature(String),
    #[error("issuer differs")]
    Issuer,
    #[error("audience does not name us")]
    Audience,
    #[error("authorized party is another client")]
    AuthorizedParty,
    #[error("expired or without exp")]
    Expired,
    #[error("issued in the future")]
    IssuedInFuture,
    #[error("nonce differs or missing")]
    Nonce,
    #[error("no subject")]
    Subject,
    #[error("userinfo names another subject")]
    UserinfoSubject,
}

/// Verifies `token` against the ident service's `jwks` and the expectations
/// (OIDC Core 3.1.3.7): signature with a published key and an accepted
/// algorithm, `iss`, `aud` (and `azp` when there are several audiences),
/// `exp`, `iat` not in the future, `nonce`. Returns the claims it carries.
pub fn verify_id_token(
    token: &str,
    jwks: &Value,
    expected: &Expected<'_>,
) -> Result<IdentClaims, IdTokenError> {
    let verified = verify_with_jwks(token, jwks, ACCEPTED_ALGS)
        .map_err(|error| IdTokenError::Signature(error.to_string()))?;
    let claims = verified.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(IdTokenError::Issuer);
    }
    check_audience(&claims, expected.client_id)?;
    let now = expected.now.timestamp();
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp + LEEWAY_SECS > now => {}
        _ => return Err(IdTokenError::Expired),
    }
    if let Some(iat) = claims.get("iat").and_then(Value::as_i64)
        && iat > now + LEEWAY_SECS
    {
        return Err(IdTokenError::IssuedInFuture);
    }
    if claims.get("nonce").and_then(Value::as_str) != Some(expected.nonce) {
        return Err(IdTokenError::Nonce);
    }
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|sub| !sub.is_empty())
        .ok_or(IdTokenError::Subject)?;
    Ok(IdentClaims {
        issuer: expected.issuer.to_owned(),
        subject: subject.to_owned(),
        given_name: string_claim(&claims, "given_name"),
        family_name: string_claim(&claims, "family_name"),
        birthdate: string_claim(&claims, "birthdate"),
    })
}

/// Fills the profile claims the ID token left out from the userinfo response
/// (OIDC Core 5.3.2: its `sub` must be the ID token's, else it is ignored as a
/// whole and the attempt fails). Claims in the ID token win.
pub fn merge_userinfo(
    mut claims: IdentClaims,
    userinfo: &Map<String, Value>,
) -> Result<IdentClaims, IdTokenError> {
    if userinfo.get("sub").and_then(Value::as_str) != Some(claims.subject.as_str()) {
        return Err(IdTokenError::UserinfoSubject);
    }
    if claims.given_name.is_none() {
        claims.given_name = string_claim(userinfo, "given_name");
    }
    if claims.family_name.is_none() {
        claims.family_name = string_claim(userinfo, "family_name");
    }
    if claims.birthdate.is_none() {
        claims.birthdate = string_claim(userinfo, "birthdate");
    }
    Ok(claims)
}

fn check_audience(claims: &Map<String, Value>, client_id: &str) -> Result<(), IdTokenError> {
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&client_id) {
        return Err(IdTokenError::Audience);
    }
    // OIDC Core 3.1.3.7 steps 4–5: with other audiences, azp must be us.
    let azp = claims.get("azp").and_then(Value::as_str);
    if (audiences.len() > 1 && azp.is_none()) || azp.is_some_and(|azp| azp != client_id) {
        return Err(IdTokenError::AuthorizedParty);
    }
    Ok(())
}

fn string_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use pforte_crypto::SigningKey;
    use serde_json::json;

    const ISSUER: &str = "https://ident.example";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn key() -> SigningKey {
        SigningKey::generate(SigningAlg::ES256, "k1".into()).unwrap()
    }

    fn jwks(key: &SigningKey) -> Value {
        json!({"keys": [key.public_jwk()]})
    }

    fn payload() -> Map<String, Value> {
        let now = now().timestamp();
        json!({
            "iss": ISSUER,
            "aud": "pforte",
            "sub": "u-17",
            "exp": now + 300,
            "iat": now,
            "nonce": "n-1",
            "given_name": "Erika",
            "family_name": "Mustermann",
            "birthdate": "1980-04-02",
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: ISSUER,
            client_id: "pforte",
            nonce: "n-1",
            now: now(),
        }
    }

    #[test]
    fn r_rg_5_a_valid_id_token_yields_the_claims() {
        let key = key();
        let token = key.sign_json(&payload(), Some("JWT")).unwrap();
        let claims = verify_id_token(&token, &jwks(&key), &expected()).unwrap();
        assert_eq!(claims.subject, "u-17");
        assert_eq!(claims.given_name.as_deref(), Some("Erika"));
        assert_eq!(claims.birthdate.as_deref(), Some("1980-04-02"));
    }

    #[test]
    fn r_rg_5_a_token_signed_by_another_key_is_refused() {
        let key = key();
        let other = SigningKey::generate(SigningAlg::ES256, "k1".into()).unwrap();
        let token = other.sign_json(&payload(), None).unwrap();
        assert!(matches!(
            verify_id_token(&token, &jwks(&key), &expected()),
            Err(IdTokenError::Signature(_))
        ));
    }

    #[test]
    fn r_rg_5_iss_aud_azp_exp_iat_nonce_and_sub_are_checked() {
        let key = key();
        let cases: Vec<(&str, Value, IdTokenError)> = vec![
            ("iss", json!("https://evil.example"), IdTokenError::Issuer),
            ("aud", json!("other"), IdTokenError::Audience),
            (
                "aud",
                json!(["pforte", "other"]),
                IdTokenError::AuthorizedParty,
            ),
            ("azp", json!("other"), IdTokenError::AuthorizedParty),
            ("exp", json!(now().timestamp() - 61), IdTokenError::Expired),
            ("exp", Value::Null, IdTokenError::Expired),
            (
                "iat",
                json!(now().timestamp() + 3600),
                IdTokenError::IssuedInFuture,
            ),
            ("nonce", json!("n-2"), IdTokenError::Nonce),
            ("nonce", Value::Null, IdTokenError::Nonce),
            ("sub", json!(""), IdTokenError::Subject),
        ];
        for (claim, value, error) in cases {
            let mut payload = payload();
            if value.is_null() {
                payload.remove(claim);
            } else {
                payload.insert(claim.into(), value.clone());
            }
            let token = key.sign_json(&payload, None).unwrap();
            assert_eq!(
                verify_id_token(&token, &jwks(&key), &expected()),
                Err(error),
                "{claim} = {value}"
            );
        }
        // Several audiences are fine when we are the authorized party.
        let mut payload = payload();
        payload.insert("aud".into(), json!(["pforte", "other"]));
        payload.insert("azp".into(), json!("pforte"));
        let token = key.sign_json(&payload, None).unwrap();
        assert!(verify_id_token(&token, &jwks(&key), &expected()).is_ok());
    }

    #[test]
    fn r_rg_5_userinfo_fills_missing_claims_only_for_the_same_subject() {
        let key = key();
        let mut payload = payload();
        payload.remove("birthdate");
        let token = key.sign_json(&payload, None).unwrap();
        let claims = verify_id_token(&token, &jwks(&key), &expected()).unwrap();
        let userinfo = json!({"sub": "u-17", "birthdate": "1980-04-02", "given_name": "Eve"});
        let merged = merge_userinfo(claims.clone(), userinfo.as_object().unwrap()).unwrap();
        assert_eq!(merged.birthdate.as_deref(), Some("1980-04-02"));
        assert_eq!(merged.given_name.as_deref(), Some("Erika"));
        let stranger = json!({"sub": "u-18", "birthdate": "1980-04-02"});
        assert_eq!(
            merge_userinfo(claims, stranger.as_object().unwrap()),
            Err(IdTokenError::UserinfoSubject)
        );
    }
}
