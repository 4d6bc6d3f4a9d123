//! JWS for ID tokens, JWT access tokens (RFC 9068) and client assertions
//! (RFC 7523). The only module that touches josekit (ADR 0001); everything else
//! builds claims as JSON and hands them here.
//!
//! The compact serialization is assembled here (RFC 7515 7.1) and only the raw
//! signature is computed by josekit, so a token costs one JSON encoding and one
//! signature, nothing more.

use crate::CryptoError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{ES256, EdDSA, JwsSigner, JwsVerifier, PS256, RS256};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};
use std::sync::Arc;

/// The JWS algorithms Pforte signs and accepts (RFC 7518 3, RFC 8037).
/// `none` and the HMAC algorithms are deliberately absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigningAlg {
    RS256,
    ES256,
    PS256,
    EdDSA,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 4] = [Self::RS256, Self::ES256, Self::PS256, Self::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
            Self::PS256 => "PS256",
            Self::EdDSA => "EdDSA",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.as_str() == text)
    }

    /// The JWK key type that carries keys for this algorithm.
    fn key_type(self) -> &'static str {
        match self {
            Self::RS256 | Self::PS256 => "RSA",
            Self::ES256 => "EC",
            Self::EdDSA => "OKP",
        }
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

fn key_error(error: impl std::fmt::Display) -> CryptoError {
    CryptoError::Key(error.to_string())
}

fn signer_for(alg: SigningAlg, jwk: &Jwk) -> Result<Box<dyn JwsSigner>, CryptoError> {
    Ok(match alg {
        SigningAlg::RS256 => Box::new(RS256.signer_from_jwk(jwk).map_err(key_error)?),
        SigningAlg::PS256 => Box::new(PS256.signer_from_jwk(jwk).map_err(key_error)?),
        SigningAlg::ES256 => Box::new(ES256.signer_from_jwk(jwk).map_err(key_error)?),
        SigningAlg::EdDSA => Box::new(EdDSA.signer_from_jwk(jwk).map_err(key_error)?),
    })
}

fn verifier_for(alg: SigningAlg, jwk: &Jwk) -> Result<Box<dyn JwsVerifier>, CryptoError> {
    Ok(match alg {
        SigningAlg::RS256 => Box::new(RS256.verifier_from_jwk(jwk).map_err(key_error)?),
        SigningAlg::PS256 => Box::new(PS256.verifier_from_jwk(jwk).map_err(key_error)?),
        SigningAlg::ES256 => Box::new(ES256.verifier_from_jwk(jwk).map_err(key_error)?),
        SigningAlg::EdDSA => Box::new(EdDSA.verifier_from_jwk(jwk).map_err(key_error)?),
    })
}

/// A private signing key with its key id. Cheap to clone.
#[derive(Clone)]
pub struct SigningKey {
    inner: Arc<KeyInner>,
}

struct KeyInner {
    alg: SigningAlg,
    kid: String,
    private_jwk: Jwk,
    public_jwk: Value,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SigningKey")
            .field("alg", &self.inner.alg)
            .field("kid", &self.inner.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new key: RSA 2048 for RS256/PS256 (RFC 7518 3.3 minimum), P-256 for
    /// ES256, Ed25519 for EdDSA.
    pub fn generate(alg: SigningAlg, kid: String) -> Result<Self, CryptoError> {
        let jwk = match alg {
            SigningAlg::RS256 | SigningAlg::PS256 => Jwk::generate_rsa_key(2048),
            SigningAlg::ES256 => Jwk::generate_ec_key(EcCurve::P256),
            SigningAlg::EdDSA => Jwk::generate_ed_key(EdCurve::Ed25519),
        }
        .map_err(key_error)?;
        Self::from_private_jwk(alg, kid, jwk)
    }

    /// Restores a key from [`Self::export_private`] output.
    pub fn import_private(alg: SigningAlg, kid: String, bytes: &[u8]) -> Result<Self, CryptoError> {
        let jwk = Jwk::from_bytes(bytes).map_err(key_error)?;
        Self::from_private_jwk(alg, kid, jwk)
    }

    fn from_private_jwk(alg: SigningAlg, kid: String, mut jwk: Jwk) -> Result<Self, CryptoError> {
        if jwk.key_type() != alg.key_type() {
            return Err(CryptoError::Key(format!(
                "a {} key cannot sign {alg}",
                jwk.key_type()
            )));
        }
        jwk.set_key_id(kid.clone());
        jwk.set_algorithm(alg.as_str());
        jwk.set_key_use("sig");
        let signer = signer_for(alg, &jwk)?;
        let mut public = jwk.to_public_key().map_err(key_error)?;
        // josekit drops these when deriving the public key; RPs pick keys by them.
        public.set_key_id(kid.clone());
        public.set_algorithm(alg.as_str());
        public.set_key_use("sig");
        let verifier = verifier_for(alg, &public)?;
        let public_map: Map<String, Value> = public.into();
        Ok(Self {
            inner: Arc::new(KeyInner {
                alg,
                kid,
                private_jwk: jwk,
                public_jwk: Value::Object(public_map),
                signer,
                verifier,
            }),
        })
    }

    /// The private key as JSON bytes, for encryption with the master key.
    pub fn export_private(&self) -> Vec<u8> {
        self.inner.private_jwk.to_string().into_bytes()
    }

    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.inner.alg
    }

    /// The public JWK (`kty`, key material, `kid`, `alg`, `use=sig`) for the JWKS.
    pub fn public_jwk(&self) -> &Value {
        &self.inner.public_jwk
    }

    /// A compact JWS over the JSON `payload`, header `{alg, kid[, typ]}`
    /// (`typ` = `at+jwt` for RFC 9068 access tokens).
    pub fn sign_json(
        &self,
        payload: &Map<String, Value>,
        typ: Option<&str>,
    ) -> Result<String, CryptoError> {
        let mut header = Map::new();
        header.insert("alg".into(), Value::from(self.inner.alg.as_str()));
        header.insert("kid".into(), Value::from(self.inner.kid.as_str()));
        if let Some(typ) = typ {
            header.insert("typ".into(), Value::from(typ));
        }
        let header_json =
            serde_json::to_vec(&header).map_err(|e| CryptoError::Signing(e.to_string()))?;
        let payload_json =
            serde_json::to_vec(payload).map_err(|e| CryptoError::Signing(e.to_string()))?;
        let mut token =
            String::with_capacity((header_json.len() + payload_json.len()) * 4 / 3 + 400);
        URL_SAFE_NO_PAD.encode_string(&header_json, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload_json, &mut token);
        let signature = self
            .inner
            .signer
            .sign(token.as_bytes())
            .map_err(|e| CryptoError::Signing(e.to_string()))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }

    /// Verifies a token this key signed (our own access tokens at userinfo and
    /// introspection), without parsing any key material per call.
    pub fn verify_own(&self, token: &str) -> Result<VerifiedJws, CryptoError> {
        let parts = CompactParts::parse(token)?;
        if parts.alg()? != self.inner.alg || parts.kid() != Some(self.kid()) {
            return Err(CryptoError::InvalidToken("not signed by this key".into()));
        }
        parts.verify_with(self.inner.verifier.as_ref())
    }
}

/// A verified JWS: its protected header and its claims.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJws {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

struct CompactParts<'a> {
    signing_input: &'a str,
    header: Map<String, Value>,
    payload_b64: &'a str,
    signature: Vec<u8>,
}

impl<'a> CompactParts<'a> {
    fn parse(token: &'a str) -> Result<Self, CryptoError> {
        let invalid = |why: &str| CryptoError::InvalidToken(why.to_string());
        let (signing_input, signature_b64) = token
            .rsplit_once('.')
            .ok_or_else(|| invalid("not a compact JWS"))?;
        let (header_b64, payload_b64) = signing_input
            .split_once('.')
            .ok_or_else(|| invalid("not a compact JWS"))?;
        if payload_b64.contains('.') {
            return Err(invalid("a JWE or malformed token"));
        }
        let header_bytes = URL_SAFE_NO_PAD
            .decode(header_b64)
            .map_err(|_| invalid("header is not base64url"))?;
        let header: Map<String, Value> =
            serde_json::from_slice(&header_bytes).map_err(|_| invalid("header is not JSON"))?;
        // RFC 7515 4.1.11: a `crit` we do not understand makes the JWS invalid.
        if header.contains_key("crit") {
            return Err(invalid("unsupported critical header"));
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| invalid("signature is not base64url"))?;
        Ok(Self {
            signing_input,
            header,
            payload_b64,
            signature,
        })
    }

    fn alg(&self) -> Result<SigningAlg, CryptoError> {
        self.header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(SigningAlg::parse)
            .ok_or_else(|| CryptoError::InvalidToken("algorithm not allowed".into()))
    }

    fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    fn verify_with(self, verifier: &dyn JwsVerifier) -> Result<VerifiedJws, CryptoError> {
        verifier
            .verify(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| CryptoError::InvalidToken("signature does not verify".into()))?;
        let payload = URL_SAFE_NO_PAD
            .decode(self.payload_b64)
            .map_err(|_| CryptoError::InvalidToken("payload is not base64url".into()))?;
        let claims: Map<String, Value> = serde_json::from_slice(&payload)
            .map_err(|_| CryptoError::InvalidToken("payload is not a JSON object".into()))?;
        Ok(VerifiedJws {
            header: self.header,
            claims,
        })
    }
}

/// Reads the claims of a compact JWS *without* verifying it. Only for choosing
/// which key to verify with (e.g. the `iss` of a client assertion); never trust
/// the result.
pub fn unverified_claims(token: &str) -> Result<Map<String, Value>, CryptoError> {
    let parts = CompactParts::parse(token)?;
    let payload = URL_SAFE_NO_PAD
        .decode(parts.payload_b64)
        .map_err(|_| CryptoError::InvalidToken("payload is not base64url".into()))?;
    serde_json::from_slice(&payload)
        .map_err(|_| CryptoError::InvalidToken("payload is not a JSON object".into()))
}

/// Verifies a compact JWS against a JWK Set (a client's registered keys for
/// private_key_jwt, RFC 7523 3). The key is chosen by `kid`; without a `kid` the
/// token must fit exactly one key of the right type. `alg` must be in `allowed`
/// and agree with the key's own `alg` when the key names one.
pub fn verify_with_jwks(
    token: &str,
    jwks: &Value,
    allowed: &[SigningAlg],
) -> Result<VerifiedJws, CryptoError> {
    let parts = CompactParts::parse(token)?;
    let alg = parts.alg()?;
    if !allowed.contains(&alg) {
        return Err(CryptoError::InvalidToken(format!(
            "{alg} is not allowed here"
        )));
    }
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| CryptoError::Key("JWK Set has no keys".into()))?;
    let fitting: Vec<&Value> = keys
        .iter()
        .filter(|key| key.get("kty").and_then(Value::as_str) == Some(alg.key_type()))
        .filter(|key| match key.get("alg").and_then(Value::as_str) {
            Some(key_alg) => key_alg == alg.as_str(),
            None => true,
        })
        .filter(|key| match key.get("use").and_then(Value::as_str) {
            Some(key_use) => key_use == "sig",
            None => true,
        })
        .filter(|key| match parts.kid() {
            Some(kid) => key.get("kid").and_then(Value::as_str) == Some(kid),
            None => true,
        })
        .collect();
    let [key] = fitting.as_slice() else {
        return Err(CryptoError::InvalidToken(
            "no single registered key fits the token".into(),
        ));
    };
    let map = key
        .as_object()
        .cloned()
        .ok_or_else(|| CryptoError::Key("JWK is not an object".into()))?;
    let jwk = Jwk::from_map(map).map_err(key_error)?;
    if jwk.parameter("d").is_some() {
        return Err(CryptoError::Key("a registered key must be public".into()));
    }
    let verifier = verifier_for(alg, &jwk)?;
    parts.verify_with(verifier.as_ref())
}

/// `at_hash` / `c_hash` (OIDC Core 3.1.3.6, 3.3.2.11): the left half of the hash
/// of the ASCII value, base64url. The hash is the one of the ID token's `alg`:
/// SHA-256 for RS256/ES256/PS256, SHA-512 for EdDSA with Ed25519.
pub fn oidc_hash(alg: SigningAlg, value: &str) -> String {
    match alg {
        SigningAlg::EdDSA => {
            let digest = Sha512::digest(value.as_bytes());
            URL_SAFE_NO_PAD.encode(&digest[..32])
        }
        _ => {
            let digest = Sha256::digest(value.as_bytes());
            URL_SAFE_NO_PAD.encode(&digest[..16])
        }
    }
}

/// A fresh key id: random, URL-safe, says nothing about the key.
pub fn new_kid() -> String {
    URL_SAFE_NO_PAD.encode(crate::random::random_bytes::<12>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims() -> Map<String, Value> {
        json!({"iss": "https://op.example", "sub": "alice", "n": 1})
            .as_object()
            .cloned()
            .unwrap()
    }

    fn jwks_of(key: &SigningKey) -> Value {
        json!({"keys": [key.public_jwk()]})
    }

    #[test]
    fn every_algorithm_signs_and_verifies_through_its_jwks() {
        for alg in SigningAlg::ALL {
            let key = SigningKey::generate(alg, new_kid()).unwrap();
            let token = key.sign_json(&claims(), Some("at+jwt")).unwrap();
            let verified = verify_with_jwks(&token, &jwks_of(&key), &SigningAlg::ALL).unwrap();
            assert_eq!(verified.claims, claims(), "{alg}");
            assert_eq!(verified.header["alg"], alg.as_str());
            assert_eq!(verified.header["typ"], "at+jwt");
            assert_eq!(verified.header["kid"], key.kid());
            assert_eq!(key.verify_own(&token).unwrap().claims, claims());
            assert!(
                key.public_jwk().get("d").is_none(),
                "public JWK leaks private part"
            );
        }
    }

    #[test]
    fn exported_keys_restore_to_the_same_key() {
        let key = SigningKey::generate(SigningAlg::ES256, "k1".into()).unwrap();
        let restored =
            SigningKey::import_private(SigningAlg::ES256, "k1".into(), &key.export_private())
                .unwrap();
        let token = restored.sign_json(&claims(), None).unwrap();
        assert!(key.verify_own(&token).is_ok());
        assert!(
            SigningKey::import_private(SigningAlg::RS256, "k1".into(), &key.export_private())
                .is_err()
        );
    }

    #[test]
    fn tampered_tokens_and_foreign_keys_are_rejected() {
        let key = SigningKey::generate(SigningAlg::ES256, "k1".into()).unwrap();
        let other = SigningKey::generate(SigningAlg::ES256, "k1".into()).unwrap();
        let token = key.sign_json(&claims(), None).unwrap();
        assert!(verify_with_jwks(&token, &jwks_of(&other), &SigningAlg::ALL).is_err());
        let mut forged = token.clone();
        forged.insert(token.find('.').unwrap() + 2, 'A');
        assert!(key.verify_own(&forged).is_err());
        assert!(verify_with_jwks(&token, &jwks_of(&key), &[SigningAlg::RS256]).is_err());
        assert!(key.verify_own("a.b").is_err());
    }

    #[test]
    fn alg_none_and_hmac_are_never_accepted() {
        let key = SigningKey::generate(SigningAlg::ES256, "k1".into()).unwrap();
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims()).unwrap());
        for alg in ["none", "HS256"] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","kid":"k1"}}"#));
            let token = format!("{header}.{payload}.");
            assert!(verify_with_jwks(&token, &jwks_of(&key), &SigningAlg::ALL).is_err());
        }
    }

    #[test]
    fn private_keys_in_a_registered_jwks_are_refused() {
        let key = SigningKey::generate(SigningAlg::ES256, "k1".into()).unwrap();
        let token = key.sign_json(&claims(), None).unwrap();
        let private: Value = serde_json::from_slice(&key.export_private()).unwrap();
        assert!(verify_with_jwks(&token, &json!({"keys": [private]}), &SigningAlg::ALL).is_err());
    }

    #[test]
    fn at_hash_is_the_left_half_of_the_algorithms_hash() {
        // Left 128 bits of SHA-256, computed independently with Python's hashlib.
        assert_eq!(
            oidc_hash(
                SigningAlg::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNpsqkLoAjmQqqQVZbXy"
            ),
            "5_-JRQiLUCQoFMKqVTL8jQ"
        );
        assert_eq!(oidc_hash(SigningAlg::EdDSA, "x").len(), 43);
    }
}
