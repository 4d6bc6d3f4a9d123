//! Verification of Pforte's JWT access tokens (RFC 9068) with ES256 keys from
//! the provider's JWKS (RFC 7517, RFC 7518 §3.4 and §6.2).
//!
//! Pure: the key set and the time are passed in. Only ES256 is accepted, which
//! is Pforte's default `access_token_alg`; a provider configured for another
//! algorithm needs another verifier here. The `alg` is never taken from the
//! token alone: it must be ES256 and the key must be a P-256 key (RFC 8725 §3.1).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The JOSE algorithm this API accepts.
pub const ES256: &str = "ES256";

/// The signature keys of a JWKS that this API can use, by `kid`.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashMap<String, VerifyingKey>,
}

impl KeySet {
    /// Takes the P-256 signature keys with a `kid` from a JWKS document and
    /// skips every other key (Pforte's JWKS also holds RSA keys for ID tokens).
    pub fn from_jwks(jwks: &Value) -> Self {
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(p256_key).collect())
            .unwrap_or_default();
        Self { keys }
    }

    pub fn get(&self, kid: &str) -> Option<&VerifyingKey> {
        self.keys.get(kid)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// One JWK as a P-256 verifying key (RFC 7518 §6.2.1), if it is one.
fn p256_key(jwk: &Value) -> Option<(String, VerifyingKey)> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    if field("kty") != Some("EC") || field("crv") != Some("P-256") {
        return None;
    }
    if field("use").is_some_and(|usage| usage != "sig")
        || field("alg").is_some_and(|alg| alg != ES256)
    {
        return None;
    }
    let x = URL_SAFE_NO_PAD.decode(field("x")?).ok()?;
    let y = URL_SAFE_NO_PAD.decode(field("y")?).ok()?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    // SEC 1 §2.3.3 uncompressed point: 0x04 || X || Y.
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let key = VerifyingKey::from_sec1_bytes(&point).ok()?;
    Some((field("kid")?.to_owned(), key))
}

/// What a token must match besides its signature.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// `iss` (RFC 9068 §4): exactly the provider's issuer identifier.
    pub issuer: &'a str,
    /// One of `aud` (RFC 9068 §4). Pforte puts the client id there.
    pub audience: &'a str,
    /// Seconds since the epoch.
    pub now: i64,
}

/// The claims of a verified access token (RFC 9068 §2.2, §2.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessToken {
    pub sub: String,
    pub client_id: String,
    pub scope: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

/// Why a token was refused. Each maps to an `error_description` that says what
/// is wrong with the token, never anything about the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    UnsupportedAlgorithm,
    NotAnAccessToken,
    /// The `kid` is not in our key set: the caller may reload the JWKS once
    /// (the provider may have rotated its keys) and try again.
    UnknownKey,
    BadSignature,
    WrongIssuer,
    WrongAudience,
    Expired,
    MissingClaim,
}

impl TokenError {
    /// The text for `error_description` (a `'static` so the challenge can hold it).
    pub fn description(self) -> &'static str {
        match self {
            Self::Malformed => "the access token is not a signed JWT",
            Self::UnsupportedAlgorithm => "the access token is not signed with ES256",
            Self::NotAnAccessToken => "the token is not an access token",
            Self::UnknownKey | Self::BadSignature => "the access token is not valid",
            Self::WrongIssuer => "the access token was issued by another provider",
            Self::WrongAudience => "the access token is not meant for this API",
            Self::Expired => "the access token has expired",
            Self::MissingClaim => "the access token lacks a required claim",
        }
    }
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        out.write_str(self.description())
    }
}

impl std::error::Error for TokenError {}

fn decode_json(part: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

/// Verifies a compact JWS access token the way RFC 9068 §4 asks a resource
/// server to: `typ`, algorithm, signature, `iss`, `aud`, `exp`; then reads the
/// authentication claims for the step-up decision.
pub fn verify(
    token: &str,
    keys: &KeySet,
    expected: Expected<'_>,
) -> Result<AccessToken, TokenError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header = decode_json(header_b64)?;
    if header.get("alg").and_then(Value::as_str) != Some(ES256) {
        return Err(TokenError::UnsupportedAlgorithm);
    }
    // RFC 9068 §4: "at+jwt" or its full media type, compared without case.
    let typ = header.get("typ").and_then(Value::as_str).unwrap_or("");
    if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
        return Err(TokenError::NotAnAccessToken);
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or(TokenError::UnknownKey)?;
    let key = keys.get(kid).ok_or(TokenError::UnknownKey)?;
    let signature_bytes = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| TokenError::Malformed)?;
    // RFC 7518 §3.4: R || S, 32 bytes each, not DER.
    let signature =
        Signature::from_slice(&signature_bytes).map_err(|_| TokenError::BadSignature)?;
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    key.verify(signing_input.as_bytes(), &signature)
        .map_err(|_| TokenError::BadSignature)?;

    let claims = decode_json(payload_b64)?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    if text("iss").as_deref() != Some(expected.issuer) {
        return Err(TokenError::WrongIssuer);
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(single)) => single == expected.audience,
        Some(Value::Array(many)) => many
            .iter()
            .any(|value| value.as_str() == Some(expected.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(TokenError::WrongAudience);
    }
    let exp = number("exp").ok_or(TokenError::MissingClaim)?;
    if exp <= expected.now {
        return Err(TokenError::Expired);
    }
    Ok(AccessToken {
        sub: text("sub").ok_or(TokenError::MissingClaim)?,
        client_id: text("client_id").ok_or(TokenError::MissingClaim)?,
        scope: text("scope").unwrap_or_default(),
        jti: text("jti").ok_or(TokenError::MissingClaim)?,
        iat: number("iat").ok_or(TokenError::MissingClaim)?,
        exp,
        acr: text("acr"),
        amr: claims
            .get("amr")
            .and_then(Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        auth_time: number("auth_time"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;
    use p256::elliptic_curve::Generate;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;
    const ISSUER: &str = "https://login.example";

    fn expected() -> Expected<'static> {
        Expected {
            issuer: ISSUER,
            audience: "portal",
            now: NOW,
        }
    }

    fn jwk(key: &SigningKey, kid: &str) -> Value {
        let point = key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&bytes[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&bytes[33..65]),
        })
    }

    fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    fn header() -> Value {
        json!({"alg": "ES256", "typ": "at+jwt", "kid": "k1"})
    }

    fn claims() -> Value {
        json!({
            "iss": ISSUER, "sub": "acct-1", "aud": ["portal", "https://login.example/userinfo"],
            "client_id": "portal", "iat": NOW - 10, "exp": NOW + 300, "jti": "j1",
            "scope": "openid profile", "acr": "loa-substantial", "amr": ["pwd", "otp", "mfa"],
            "auth_time": NOW - 20,
        })
    }

    fn setup() -> (SigningKey, KeySet) {
        let key = SigningKey::generate_from_rng(&mut rand::rng());
        let keys = KeySet::from_jwks(&json!({"keys": [
            {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
            jwk(&key, "k1"),
        ]}));
        (key, keys)
    }

    #[test]
    fn rfc_9068_valid_token_yields_its_authentication_claims() {
        let (key, keys) = setup();
        assert_eq!(keys.len(), 1, "the RSA key is skipped");
        let token = verify(&sign(&key, &header(), &claims()), &keys, expected()).unwrap();
        assert_eq!(token.sub, "acct-1");
        assert_eq!(token.acr.as_deref(), Some("loa-substantial"));
        assert_eq!(token.amr, ["pwd", "otp", "mfa"]);
        assert_eq!(token.auth_time, Some(NOW - 20));
    }

    #[test]
    fn rfc_9068_refusals() {
        let (key, keys) = setup();
        let other = SigningKey::generate_from_rng(&mut rand::rng());
        let with = |name: &str, value: Value| {
            let mut claims = claims();
            claims[name] = value;
            claims
        };
        let table = [
            (
                "id token typ",
                sign(
                    &key,
                    &json!({"alg": "ES256", "typ": "JWT", "kid": "k1"}),
                    &claims(),
                ),
                TokenError::NotAnAccessToken,
            ),
            (
                "alg none",
                sign(
                    &key,
                    &json!({"alg": "none", "typ": "at+jwt", "kid": "k1"}),
                    &claims(),
                ),
                TokenError::UnsupportedAlgorithm,
            ),
            (
                "unknown kid",
                sign(
                    &key,
                    &json!({"alg": "ES256", "typ": "at+jwt", "kid": "k9"}),
                    &claims(),
                ),
                TokenError::UnknownKey,
            ),
            (
                "signed by another key",
                sign(&other, &header(), &claims()),
                TokenError::BadSignature,
            ),
            (
                "other issuer",
                sign(&key, &header(), &with("iss", json!("https://evil.example"))),
                TokenError::WrongIssuer,
            ),
            (
                "other audience",
                sign(&key, &header(), &with("aud", json!("other-client"))),
                TokenError::WrongAudience,
            ),
            (
                "expired",
                sign(&key, &header(), &with("exp", json!(NOW))),
                TokenError::Expired,
            ),
            (
                "no sub",
                sign(&key, &header(), &with("sub", Value::Null)),
                TokenError::MissingClaim,
            ),
            ("not a JWT", "abc".to_owned(), TokenError::Malformed),
        ];
        for (name, token, error) in table {
            assert_eq!(verify(&token, &keys, expected()), Err(error), "{name}");
        }
    }

    #[test]
    fn rfc_9068_full_media_type_is_accepted() {
        let (key, keys) = setup();
        let header = json!({"alg": "ES256", "typ": "application/AT+JWT", "kid": "k1"});
        assert!(verify(&sign(&key, &header, &claims()), &keys, expected()).is_ok());
    }
}
