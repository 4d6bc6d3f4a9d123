//! Config OP plan: `oidcc-discovery-endpoint-verification`, RFC 8414
//! metadata, and the JWKS the ID tokens are verified with.

use crate::support::raw;
use crate::support::rp::discover;
use crate::support::shared;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, got {value}"))
        .iter()
        .map(|item| item.as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

async fn openid_configuration() -> Value {
    let fixture = shared();
    let response = raw::get(fixture, "/.well-known/openid-configuration", None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert!(
        response
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/json")),
        "discovery must be JSON: {:?}",
        response.header("content-type")
    );
    response.json
}

#[tokio::test]
async fn oidcc_discovery_endpoint_verification_required_fields_and_issuer() {
    let fixture = shared();
    let metadata = openid_configuration().await;
    assert_eq!(metadata["issuer"], fixture.server.issuer.as_str());
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "pushed_authorization_request_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        let url = metadata[endpoint]
            .as_str()
            .unwrap_or_else(|| panic!("{endpoint} missing"));
        assert!(
            url.starts_with(&fixture.server.issuer),
            "{endpoint} = {url} is not under the issuer"
        );
    }
    assert!(strings(&metadata["scopes_supported"]).contains("openid"));
    assert!(!strings(&metadata["subject_types_supported"]).is_empty());
    assert!(strings(&metadata["claims_supported"]).contains("sub"));
    assert_eq!(metadata["claims_parameter_supported"], Value::Bool(true));
    assert_eq!(
        metadata["authorization_response_iss_parameter_supported"],
        Value::Bool(true),
        "RFC 9207 3"
    );
}

/// Advertise only what works: code flow only (no implicit/hybrid), query and
/// form_post, S256 only, the three grants, the four client auth methods, and
/// no request objects (OIDC Discovery: `request_uri_parameter_supported`
/// defaults to true, so it must be false explicitly).
#[tokio::test]
async fn oidcc_discovery_advertises_only_what_works() {
    let metadata = openid_configuration().await;
    assert_eq!(
        strings(&metadata["response_types_supported"]),
        set(&["code"])
    );
    let modes = strings(&metadata["response_modes_supported"]);
    assert!(
        modes.contains("query") && modes.contains("form_post"),
        "{modes:?}"
    );
    assert!(
        modes.is_subset(&set(&["query", "form_post"])),
        "response modes that do not work are advertised: {modes:?}"
    );
    assert_eq!(
        strings(&metadata["code_challenge_methods_supported"]),
        set(&["S256"])
    );
    assert_eq!(
        strings(&metadata["grant_types_supported"]),
        set(&["authorization_code", "refresh_token", "client_credentials"])
    );
    let auth_methods = strings(&metadata["token_endpoint_auth_methods_supported"]);
    assert!(
        set(&[
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt"
        ])
        .is_subset(&auth_methods),
        "{auth_methods:?}"
    );
    assert!(
        auth_methods.is_subset(&set(&[
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none"
        ])),
        "{auth_methods:?}"
    );
    let algs = strings(&metadata["id_token_signing_alg_values_supported"]);
    assert!(
        algs.contains("RS256"),
        "OIDC Discovery 3 requires RS256: {algs:?}"
    );
    assert!(!algs.contains("none"), "alg none must not be advertised");
    assert!(
        algs.is_subset(&set(&["RS256", "ES256", "PS256", "EdDSA"])),
        "{algs:?}"
    );
    assert_ne!(metadata["request_parameter_supported"], Value::Bool(true));
    assert_eq!(
        metadata["request_uri_parameter_supported"],
        Value::Bool(false)
    );
    assert!(
        metadata
            .get("require_pushed_authorization_requests")
            .is_none()
            || metadata["require_pushed_authorization_requests"] == Value::Bool(false),
        "PAR is required per client, not globally"
    );
}

#[tokio::test]
async fn rfc8414_authorization_server_metadata_matches_discovery() {
    let fixture = shared();
    let oauth = raw::get(fixture, "/.well-known/oauth-authorization-server", None).await;
    assert_eq!(oauth.status, StatusCode::OK, "{}", oauth.text);
    let openid = openid_configuration().await;
    assert_eq!(oauth.json["issuer"], fixture.server.issuer.as_str());
    for key in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "pushed_authorization_request_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
        "code_challenge_methods_supported",
        "grant_types_supported",
        "response_types_supported",
    ] {
        assert_eq!(
            oauth.json[key], openid[key],
            "{key} differs between the documents"
        );
    }
}

#[tokio::test]
async fn oidcc_discovery_is_accepted_by_the_rp_library() {
    let fixture = shared();
    let metadata = discover(&fixture.server.issuer).await;
    assert_eq!(metadata.issuer().as_str(), fixture.server.issuer);
    assert!(
        !metadata.jwks().keys().is_empty(),
        "the library fetched an empty JWKS"
    );
}

/// `oidcc-server`: distinct kids; public keys only; a key for every
/// advertised ID token algorithm.
#[tokio::test]
async fn oidcc_jwks_has_distinct_kids_public_keys_and_every_advertised_alg() {
    let fixture = shared();
    let jwks = raw::get(fixture, "/jwks", None).await;
    assert_eq!(jwks.status, StatusCode::OK);
    let keys = jwks.json["keys"].as_array().unwrap();
    let mut kids = BTreeSet::new();
    for key in keys {
        let kid = key["kid"].as_str().expect("every key has a kid");
        assert!(kids.insert(kid.to_owned()), "duplicate kid {kid}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(
                key.get(private).is_none(),
                "JWKS leaks private member {private}"
            );
        }
        if let Some(usage) = key.get("use") {
            assert_eq!(usage, "sig");
        }
    }
    let metadata = openid_configuration().await;
    let algs: BTreeSet<String> = keys
        .iter()
        .filter_map(|key| key["alg"].as_str().map(str::to_owned))
        .collect();
    for alg in strings(&metadata["id_token_signing_alg_values_supported"]) {
        assert!(
            algs.contains(&alg),
            "no JWKS key for advertised alg {alg}: {algs:?}"
        );
    }
}

#[tokio::test]
async fn oidcc_discovery_ui_locales_are_german_and_english() {
    let metadata = openid_configuration().await;
    let locales = strings(&metadata["ui_locales_supported"]);
    assert!(
        locales.contains("de") && locales.contains("en"),
        "{locales:?}"
    );
}
