//! Verifying an `id_token_hint`: an ID token this provider issued earlier, sent
//! back by the client at the authorization endpoint (OIDC Core 3.1.2.1) and at the
//! end-session endpoint (RP-Initiated Logout 1.0, 2).
//!
//! The hint must carry *our* signature, made with a key we still trust (active or
//! retired within the overlap), and our `iss`. It may be expired: both
//! specifications allow an expired ID token as a hint, because the RP sends the
//! last one it has. What the hint proves is only "this provider once issued this
//! token for these audiences"; each endpoint decides what to do with the
//! audiences (authorize: they must contain the client; logout: they name the
//! client whose `post_logout_redirect_uri` may be used).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pforte_crypto::SigningKey;
use pforte_types::AccountId;
use serde_json::{Map, Value};

/// Finds a verification key by its `kid`. Implemented by the key set in force;
/// tests supply their own keys.
pub(crate) trait KeyLookup {
    fn key_by_kid(&self, kid: &str) -> Option<&SigningKey>;
}

impl KeyLookup for crate::keys::KeySet {
    fn key_by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.by_kid(kid)
    }
}

/// The facts a verified hint establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HintedIdToken {
    /// `sub`: the account the ID token was issued for.
    pub subject: AccountId,
    /// `aud`, as a list whether the token carried a string or an array.
    pub audiences: Vec<String>,
    /// `azp`, when present (OIDC Core 2): the client among several audiences.
    pub authorized_party: Option<String>,
    /// `sid` (OIDC Front-/Back-Channel Logout): the provider session.
    pub sid: Option<String>,
}

impl HintedIdToken {
    pub(crate) fn is_for_client(&self, client_id: &str) -> bool {
        self.audiences.iter().any(|aud| aud == client_id)
    }

    /// The one client the token was issued to: its single audience, or `azp`
    /// when it lists several.
    pub(crate) fn client_id(&self) -> Option<&str> {
        match self.audiences.as_slice() {
            [only] => Some(only.as_str()),
            _ => self
                .authorized_party
                .as_deref()
                .filter(|azp| self.is_for_client(azp)),
        }
    }
}

/// Why a hint was refused. Internal detail only: callers answer with their own
/// public error and log this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HintError {
    #[error("id_token_hint is not a compact JWS: {0}")]
    Malformed(&'static str),
    #[error("id_token_hint names no key of this provider")]
    UnknownKey,
    #[error("id_token_hint signature does not verify")]
    BadSignature,
    #[error("id_token_hint is a {0} token, not an ID token")]
    NotAnIdToken(String),
    #[error("id_token_hint was issued by {0:?}, not by this provider")]
    ForeignIssuer(Option<String>),
    #[error("id_token_hint has no usable {0}")]
    MissingClaim(&'static str),
}

/// Token types signed with our keys that are not ID tokens (RFC 9068 access
/// tokens, logout tokens): a hint must not be one of them.
const OTHER_TOKEN_TYPES: &[&str] = &["at+jwt", "application/at+jwt", "logout+jwt"];

/// Verifies `token` as an ID token of the issuer `issuer`. Expiry is not checked
/// (OIDC Core 3.1.2.1, RP-Initiated Logout 1.0, 2).
pub(crate) fn verify(
    token: &str,
    issuer: &str,
    keys: &dyn KeyLookup,
) -> Result<HintedIdToken, HintError> {
    let kid = header_kid(token)?;
    let key = keys.key_by_kid(&kid).ok_or(HintError::UnknownKey)?;
    // `verify_own` insists on the key's own algorithm and kid, so `alg: none`,
    // HMAC and algorithm confusion never reach a verifier.
    let verified = key.verify_own(token).map_err(|_| HintError::BadSignature)?;
    if let Some(typ) = verified.header.get("typ").and_then(Value::as_str)
        && OTHER_TOKEN_TYPES
            .iter()
            .any(|other| typ.eq_ignore_ascii_case(other))
    {
        return Err(HintError::NotAnIdToken(typ.to_owned()));
    }
    let claims = verified.claims;
    let token_issuer = claims.get("iss").and_then(Value::as_str);
    if token_issuer != Some(issuer) {
        return Err(HintError::ForeignIssuer(token_issuer.map(str::to_owned)));
    }
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .and_then(AccountId::parse)
        .ok_or(HintError::MissingClaim("sub"))?;
    let audiences = audiences(&claims).ok_or(HintError::MissingClaim("aud"))?;
    Ok(HintedIdToken {
        subject,
        audiences,
        authorized_party: claims.get("azp").and_then(Value::as_str).map(str::to_owned),
        sid: claims.get("sid").and_then(Value::as_str).map(str::to_owned),
    })
}

fn header_kid(token: &str) -> Result<String, HintError> {
    let (header_b64, _) = token
        .split_once('.')
        .ok_or(HintError::Malformed("no header"))?;
    let header_bytes = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| HintError::Malformed("header is not base64url"))?;
    let header: Map<String, Value> = serde_json::from_slice(&header_bytes)
        .map_err(|_| HintError::Malformed("header is not a JSON object"))?;
    header
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(HintError::Malformed("header has no kid"))
}

/// OIDC Core 2: `aud` is a string or an array of strings; never empty.
fn audiences(claims: &Map<String, Value>) -> Option<Vec<String>> {
    let audiences: Vec<String> = match claims.get("aud")? {
        Value::String(aud) => vec![aud.clone()],
        Value::Array(list) => list
            .iter()
            .map(|aud| aud.as_str().map(str::to_owned))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    (!audiences.is_empty()).then_some(audiences)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use pforte_crypto::SigningAlg;
    use serde_json::json;

    pub(crate) const ISSUER: &str = "https://id.example.test";

    /// A stand-in for the key set: the keys of one test.
    pub(crate) struct TestKeys(pub Vec<SigningKey>);

    impl KeyLookup for TestKeys {
        fn key_by_kid(&self, kid: &str) -> Option<&SigningKey> {
            self.0.iter().find(|key| key.kid() == kid)
        }
    }

    impl TestKeys {
        pub(crate) fn new() -> Self {
            Self(vec![
                SigningKey::generate(SigningAlg::ES256, "k-es".into()).unwrap(),
            ])
        }

        pub(crate) fn sign(&self, claims: Value, typ: Option<&str>) -> String {
            self.0[0]
                .sign_json(claims.as_object().unwrap(), typ)
                .unwrap()
        }
    }

    pub(crate) fn id_token_claims(subject: AccountId, aud: Value) -> Value {
        json!({
            "iss": ISSUER,
            "sub": subject.to_string(),
            "aud": aud,
            "exp": 1,
            "iat": 0,
            "sid": "sid-1",
        })
    }

    #[test]
    fn oidc_core_3_1_2_1_expired_hint_of_ours_is_accepted() {
        let keys = TestKeys::new();
        let subject = AccountId::new();
        let token = keys.sign(id_token_claims(subject, json!("portal")), None);
        let hint = verify(&token, ISSUER, &keys).unwrap();
        assert_eq!(hint.subject, subject);
        assert_eq!(hint.audiences, ["portal"]);
        assert_eq!(hint.sid.as_deref(), Some("sid-1"));
        assert_eq!(hint.client_id(), Some("portal"));
    }

    #[test]
    fn oidc_core_2_audience_arrays_name_the_client_through_azp() {
        let keys = TestKeys::new();
        let mut claims = id_token_claims(AccountId::new(), json!(["portal", "api"]));
        let token = keys.sign(claims.clone(), None);
        let hint = verify(&token, ISSUER, &keys).unwrap();
        assert!(hint.is_for_client("api"));
        assert_eq!(hint.client_id(), None);
        claims["azp"] = json!("portal");
        let hint = verify(&keys.sign(claims, None), ISSUER, &keys).unwrap();
        assert_eq!(hint.client_id(), Some("portal"));
    }

    #[test]
    fn hints_that_are_not_our_id_tokens_are_refused() {
        let keys = TestKeys::new();
        let foreign = TestKeys(vec![
            SigningKey::generate(SigningAlg::ES256, "k-es".into()).unwrap(),
        ]);
        let subject = AccountId::new();
        let good = id_token_claims(subject, json!("portal"));
        let mut other_issuer = good.clone();
        other_issuer["iss"] = json!("https://evil.example");
        let mut bad_sub = good.clone();
        bad_sub["sub"] = json!("erika");
        let mut no_aud = good.clone();
        no_aud.as_object_mut().unwrap().remove("aud");
        let mut empty_aud = good.clone();
        empty_aud["aud"] = json!([]);

        let cases: Vec<(&str, String, HintError)> = vec![
            (
                "signed by someone else's key with our kid",
                foreign.sign(good.clone(), None),
                HintError::BadSignature,
            ),
            (
                "an access token",
                keys.sign(good.clone(), Some("at+jwt")),
                HintError::NotAnIdToken("at+jwt".into()),
            ),
            (
                "another issuer",
                keys.sign(other_issuer, None),
                HintError::ForeignIssuer(Some("https://evil.example".into())),
            ),
            (
                "a subject that is no account id",
                keys.sign(bad_sub, None),
                HintError::MissingClaim("sub"),
            ),
            (
                "no audience",
                keys.sign(no_aud, None),
                HintError::MissingClaim("aud"),
            ),
            (
                "an empty audience",
                keys.sign(empty_aud, None),
                HintError::MissingClaim("aud"),
            ),
            (
                "garbage",
                "not-a-token".to_owned(),
                HintError::Malformed("no header"),
            ),
        ];
        for (what, token, expected) in cases {
            assert_eq!(verify(&token, ISSUER, &keys), Err(expected), "{what}");
        }
    }

    #[test]
    fn unsigned_or_modified_hints_are_refused() {
        let keys = TestKeys::new();
        let token = keys.sign(id_token_claims(AccountId::new(), json!("portal")), None);
        let mut parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k-es"}"#);
        parts[0] = &none_header;
        let unsigned = format!("{}.{}.", parts[0], parts[1]);
        assert_eq!(
            verify(&unsigned, ISSUER, &keys),
            Err(HintError::BadSignature)
        );

        let other_payload = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&id_token_claims(AccountId::new(), json!("portal"))).unwrap(),
        );
        let original: Vec<&str> = token.split('.').collect();
        let modified = format!("{}.{}.{}", original[0], other_payload, original[2]);
        assert_eq!(
            verify(&modified, ISSUER, &keys),
            Err(HintError::BadSignature)
        );

        let no_kid = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256"}"#);
        let without_kid = format!("{}.{}.{}", no_kid, original[1], original[2]);
        assert_eq!(
            verify(&without_kid, ISSUER, &keys),
            Err(HintError::Malformed("header has no kid"))
        );
        let unknown_kid = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","kid":"gone"}"#);
        let with_unknown_kid = format!("{}.{}.{}", unknown_kid, original[1], original[2]);
        assert_eq!(
            verify(&with_unknown_kid, ISSUER, &keys),
            Err(HintError::UnknownKey)
        );
    }
}
