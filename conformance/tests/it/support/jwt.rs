//! Keys and JWTs the relying party signs itself: private_key_jwt client
//! assertions (RFC 7523, OIDC Core 9) and forged ID tokens for the logout
//! cases.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jwk::alg::ec::EcKeyPair;
use josekit::jws::{ES256, JwsHeader};
use josekit::jwt::{self, JwtPayload};
use std::time::{Duration, SystemTime};

/// An ES256 key pair with a `kid`.
pub struct ClientKey {
    pub kid: String,
    private: Jwk,
    public: Jwk,
}

impl ClientKey {
    pub fn generate(kid: &str) -> ClientKey {
        let pair: EcKeyPair = ES256.generate_key_pair().unwrap();
        use josekit::jwk::KeyPair;
        let mut private = pair.to_jwk_private_key();
        let mut public = pair.to_jwk_public_key();
        private.set_key_id(kid);
        public.set_key_id(kid);
        public.set_algorithm("ES256");
        public.set_key_use("sig");
        ClientKey {
            kid: kid.to_owned(),
            private,
            public,
        }
    }

    /// `{"keys":[…]}` with the public key, for `client add --jwks-file`.
    pub fn public_jwks(&self) -> String {
        serde_json::json!({ "keys": [serde_json::Value::Object(self.public.as_ref().clone())] })
            .to_string()
    }

    /// Signs arbitrary claims with this key.
    pub fn sign(&self, claims: serde_json::Value) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id(&self.kid);
        let map = match claims {
            serde_json::Value::Object(map) => map,
            _ => panic!("claims must be an object"),
        };
        let payload = JwtPayload::from_map(map).unwrap();
        let signer = ES256.signer_from_jwk(&self.private).unwrap();
        jwt::encode_with_signer(&payload, &header, &signer).unwrap()
    }

    /// A client assertion for `client_id` with the given audience and jti.
    pub fn client_assertion(&self, client_id: &str, audience: &str, jti: &str) -> String {
        let now = unix_now();
        self.sign(serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": jti,
            "iat": now,
            "exp": now + 60,
        }))
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// A fresh unique value (jti, state, nonce).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// The decoded header and payload of a compact JWS, without checking it.
pub fn peek(token: &str) -> (serde_json::Value, serde_json::Value) {
    let mut parts = token.split('.');
    let header = parts.next().unwrap();
    let payload = parts.next().unwrap();
    let decode = |part: &str| -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    (decode(header), decode(payload))
}

/// The same claims with `alg: none` and no signature: a modified hint.
pub fn unsigned_copy(token: &str) -> String {
    let (_, payload) = peek(token);
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    format!("{header}.{body}.")
}
