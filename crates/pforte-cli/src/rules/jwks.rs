//! The public keys of a private_key_jwt client (RFC 7523 2.2, OIDC Core 9).
//!
//! Only public keys may be registered: a file that contains a private or a
//! symmetric key is refused, so a mistake never puts secret key material into
//! the database.

use serde_json::Value;

/// JWK members that hold private or symmetric key material (RFC 7518 6.2.2,
/// 6.3.2, 6.4.1; RFC 8037 2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const ASYMMETRIC_KEY_TYPES: [&str; 3] = ["RSA", "EC", "OKP"];

/// Parses a JWK Set (or a single JWK, which is wrapped into a set) and checks
/// that it holds only public asymmetric keys.
pub fn parse_public_jwks(text: &str) -> Result<Value, String> {
    let document: Value =
        serde_json::from_str(text).map_err(|error| format!("--jwks-file: not JSON ({error})"))?;
    let set = if document.get("keys").is_some() {
        document
    } else if document.get("kty").is_some() {
        serde_json::json!({ "keys": [document] })
    } else {
        return Err("--jwks-file: expected a JWK Set ({\"keys\": [...]}) or one JWK".to_owned());
    };
    let keys = set
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("--jwks-file: \"keys\" must be an array")?;
    if keys.is_empty() {
        return Err("--jwks-file: the key set is empty".to_owned());
    }
    for (index, key) in keys.iter().enumerate() {
        let name = key
            .get("kid")
            .and_then(Value::as_str)
            .map_or_else(|| format!("key {index}"), |kid| format!("key {kid:?}"));
        let kty = key.get("kty").and_then(Value::as_str).unwrap_or_default();
        if !ASYMMETRIC_KEY_TYPES.contains(&kty) {
            return Err(format!(
                "--jwks-file: {name} has kty {kty:?}; only RSA, EC and OKP public keys are allowed"
            ));
        }
        if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| key.get(**m).is_some()) {
            return Err(format!(
                "--jwks-file: {name} contains private key material (\"{member}\"); register the public key only"
            ));
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC_PUBLIC: &str = r#"{"kty":"EC","crv":"P-256","kid":"k1",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    #[test]
    fn rfc7517_a_jwk_set_of_public_keys_is_accepted() {
        let set = parse_public_jwks(&format!("{{\"keys\":[{EC_PUBLIC}]}}")).unwrap();
        assert_eq!(set["keys"][0]["kid"], "k1");
    }

    #[test]
    fn a_single_jwk_is_wrapped_into_a_set() {
        let set = parse_public_jwks(EC_PUBLIC).unwrap();
        assert_eq!(set["keys"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn rfc7518_private_or_symmetric_keys_are_refused() {
        let private = EC_PUBLIC.replace("\"kid\"", "\"d\":\"secret\",\"kid\"");
        let error = parse_public_jwks(&private).unwrap_err();
        assert!(
            error.contains("private") && !error.contains("secret\""),
            "{error}"
        );
        let symmetric = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#;
        assert!(parse_public_jwks(symmetric).unwrap_err().contains("oct"));
    }

    #[test]
    fn malformed_key_sets_are_refused() {
        assert!(parse_public_jwks("not json").is_err());
        assert!(parse_public_jwks("{}").is_err());
        assert!(parse_public_jwks(r#"{"keys":[]}"#).is_err());
        assert!(parse_public_jwks(r#"{"keys":{}}"#).is_err());
        assert!(parse_public_jwks(r#"{"keys":[{"crv":"P-256"}]}"#).is_err());
    }
}
