//! Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2). Advertises only what
//! works: code flow only, S256 only, the signing algorithms we hold keys for.
//! Built once at start-up and served as bytes.

use crate::config::{ProviderConfig, paths};
use crate::error::OAuthError;
use crate::model::ClientAuthMethod;
use bytes::Bytes;
use pforte_crypto::SigningAlg;
use serde_json::{Value, json};

/// Claims this provider can release (OIDC Core 5.1, 2).
pub const SUPPORTED_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "at_hash",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "birthdate",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
];

/// The OpenID scopes (OIDC Core 5.4) plus `offline_access` (11).
pub const OPENID_SCOPES: &[&str] = &["openid", "profile", "email", "phone", "offline_access"];

fn algs() -> Vec<&'static str> {
    SigningAlg::ALL.iter().map(|alg| alg.as_str()).collect()
}

fn auth_methods() -> Vec<&'static str> {
    [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
        ClientAuthMethod::PrivateKeyJwt,
        ClientAuthMethod::None,
    ]
    .iter()
    .map(|method| method.as_str())
    .collect()
}

/// Metadata common to both documents.
fn common(config: &ProviderConfig) -> serde_json::Map<String, Value> {
    let authenticated_endpoint_methods: Vec<&str> = auth_methods()
        .into_iter()
        .filter(|method| *method != "none")
        .collect();
    let metadata = json!({
        "issuer": config.issuer,
        "authorization_endpoint": config.endpoint(paths::AUTHORIZE),
        "token_endpoint": config.endpoint(paths::TOKEN),
        "jwks_uri": config.endpoint(paths::JWKS),
        "pushed_authorization_request_endpoint": config.endpoint(paths::PAR),
        "require_pushed_authorization_requests": false,
        "introspection_endpoint": config.endpoint(paths::INTROSPECT),
        "revocation_endpoint": config.endpoint(paths::REVOKE),
        "scopes_supported": OPENID_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods(),
        "token_endpoint_auth_signing_alg_values_supported": algs(),
        "introspection_endpoint_auth_methods_supported": authenticated_endpoint_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": algs(),
        "revocation_endpoint_auth_methods_supported": auth_methods(),
        "revocation_endpoint_auth_signing_alg_values_supported": algs(),
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["de", "en"],
    });
    match metadata {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn openid_configuration(config: &ProviderConfig) -> Value {
    let mut metadata = common(config);
    let extra = json!({
        "userinfo_endpoint": config.endpoint(paths::USERINFO),
        "end_session_endpoint": config.endpoint(paths::END_SESSION),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs(),
        "claims_supported": SUPPORTED_CLAIMS,
        // OIDC Discovery 3: the configured levels, lowest first (R-AC-1).
        "acr_values_supported": config.acr_levels,
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claim_types_supported": ["normal"],
        "prompt_values_supported": ["none", "login", "consent"],
        "display_values_supported": ["page"],
        // BCL 1.0 §2.1 and FCL 1.0 §3 (R-SE-2): logout tokens are posted to
        // registered back-channel URIs and always carry `sid`; the logout
        // page loads front-channel URIs with `iss` and `sid` on request.
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
    });
    if let Value::Object(extra) = extra {
        metadata.extend(extra);
    }
    Value::Object(metadata)
}

fn to_bytes(value: &Value) -> Result<Bytes, OAuthError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|error| OAuthError::server_error(error.to_string()))
}

pub(crate) fn openid_configuration_bytes(config: &ProviderConfig) -> Result<Bytes, OAuthError> {
    to_bytes(&openid_configuration(config))
}

pub(crate) fn oauth_metadata_bytes(config: &ProviderConfig) -> Result<Bytes, OAuthError> {
    to_bytes(&Value::Object(common(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        openid_configuration(&ProviderConfig::with_issuer("https://login.example"))
    }

    #[test]
    fn discovery_3_endpoints_derive_from_the_issuer() {
        let doc = document();
        assert_eq!(doc["issuer"], "https://login.example");
        assert_eq!(doc["token_endpoint"], "https://login.example/token");
        assert_eq!(doc["jwks_uri"], "https://login.example/jwks");
        assert_eq!(doc["end_session_endpoint"], "https://login.example/logout");
    }

    #[test]
    fn r_se_2_back_and_front_channel_logout_are_advertised_with_sessions() {
        let doc = document();
        for key in [
            "backchannel_logout_supported",
            "backchannel_logout_session_supported",
            "frontchannel_logout_supported",
            "frontchannel_logout_session_supported",
        ] {
            assert_eq!(doc[key], true, "{key}");
        }
    }

    #[test]
    fn only_the_code_flow_and_s256_are_advertised() {
        let doc = document();
        assert_eq!(doc["response_types_supported"], json!(["code"]));
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert!(
            !doc["id_token_signing_alg_values_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("none"))
        );
    }

    #[test]
    fn r_ac_1_discovery_lists_the_levels_and_the_authentication_claims() {
        let mut config = ProviderConfig::with_issuer("https://login.example");
        assert_eq!(
            openid_configuration(&config)["acr_values_supported"],
            json!(["loa-low", "loa-substantial", "loa-high"])
        );
        config.acr_levels = vec!["basic".into(), "strong".into()];
        let doc = openid_configuration(&config);
        assert_eq!(doc["acr_values_supported"], json!(["basic", "strong"]));
        let claims = doc["claims_supported"].as_array().unwrap();
        for claim in ["acr", "amr", "auth_time"] {
            assert!(claims.contains(&json!(claim)), "{claim}");
        }
    }

    #[test]
    fn rfc8414_metadata_has_no_openid_only_members() {
        let doc = Value::Object(common(&ProviderConfig::with_issuer(
            "https://login.example",
        )));
        assert!(doc.get("userinfo_endpoint").is_none());
        assert_eq!(doc["issuer"], "https://login.example");
    }
}
