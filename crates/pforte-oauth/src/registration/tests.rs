#![allow(clippy::unwrap_used)]

use super::*;
use crate::model::{ApplicationType, LogoutEndpoints};
use chrono::DateTime;
use pforte_crypto::SigningAlg;

fn levels() -> Vec<String> {
    ["loa-low", "loa-substantial", "loa-high"]
        .iter()
        .map(|&level| level.to_owned())
        .collect()
}

fn web() -> Client {
    Client {
        client_id: "portal".into(),
        name: Some("Kundenportal".into()),
        secret_digest: Some("digest".into()),
        auth_method: ClientAuthMethod::ClientSecretBasic,
        jwks: None,
        redirect_uris: vec!["https://portal.example/cb".into()],
        post_logout_redirect_uris: vec![],
        application_type: ApplicationType::Web,
        require_par: false,
        require_pkce: false,
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        extra_scopes: vec![],
        id_token_alg: SigningAlg::RS256,
        default_acr_values: vec![],
        minimum_acr: None,
        logout: LogoutEndpoints::default(),
        brand: None,
        created_at: DateTime::from_timestamp(0, 0).unwrap(),
    }
}

fn has(problems: &[String], start: &str) -> bool {
    problems.iter().any(|problem| problem.starts_with(start))
}

#[test]
fn a_plain_confidential_web_client_is_valid() {
    assert_eq!(validate(&web(), &levels()), Ok(()));
}

#[test]
fn rfc8252_7_native_clients_may_use_private_use_schemes_web_clients_may_not() {
    let mut client = web();
    client.redirect_uris = vec!["com.example.app:/cb".into()];
    assert!(has(
        &problems(&client, &levels()),
        "redirect_uris: com.example.app"
    ));
    client.application_type = ApplicationType::Native;
    assert_eq!(validate(&client, &levels()), Ok(()));
    client.redirect_uris.push("http://portal.example/cb".into());
    assert!(has(
        &problems(&client, &levels()),
        "redirect_uris: http://portal"
    ));
}

#[test]
fn r_ac_2_levels_must_be_levels_of_the_policy() {
    let mut client = web();
    client.minimum_acr = Some("loa-substantial".into());
    client.default_acr_values = vec!["loa-high".into()];
    assert_eq!(validate(&client, &levels()), Ok(()));
    client.minimum_acr = Some("loa-extreme".into());
    client.default_acr_values = vec!["loa high".into()];
    let problems = problems(&client, &levels());
    assert!(has(
        &problems,
        "minimum_acr: \"loa-extreme\" is not an assurance level of the policy"
    ));
    assert!(has(
        &problems,
        "default_acr_values: \"loa high\" is not an assurance level name"
    ));
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut client = web();
    client.client_id = "a b".into();
    client.redirect_uris = vec!["https://portal.example/#x".into()];
    client.post_logout_redirect_uris = vec!["ftp://portal.example/".into()];
    client.secret_digest = None;
    let problems = problems(&client, &levels());
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(has(&problems, "client_id:"));
    assert!(has(&problems, "redirect_uris:"));
    assert!(has(&problems, "post_logout_redirect_uris:"));
    assert!(has(
        &problems,
        "auth_method: client_secret_basic needs a client secret"
    ));
}

#[test]
fn rfc9700_2_1_1_public_clients_need_pkce_and_no_client_credentials_or_secret() {
    let mut client = web();
    client.auth_method = ClientAuthMethod::None;
    client.grant_types.push(GrantType::ClientCredentials);
    let problems = problems(&client, &levels());
    assert!(has(&problems, "grant_types: client_credentials"));
    assert!(has(&problems, "require_pkce:"));
    assert!(has(&problems, "auth_method: a none client has no secret"));
}

#[test]
fn rfc7523_private_key_jwt_needs_keys_and_keys_need_private_key_jwt() {
    let mut client = web();
    client.secret_digest = None;
    client.auth_method = ClientAuthMethod::PrivateKeyJwt;
    assert!(has(&problems(&client, &levels()), "jwks: private_key_jwt"));
    client.jwks = Some(serde_json::json!({"keys": []}));
    assert_eq!(validate(&client, &levels()), Ok(()));
    client.auth_method = ClientAuthMethod::ClientSecretPost;
    client.secret_digest = Some("d".into());
    assert!(has(
        &problems(&client, &levels()),
        "jwks: public keys are only"
    ));
}

#[test]
fn r_se_2_logout_uris_follow_their_rules() {
    let mut client = web();
    client.logout.frontchannel_uri = Some("https://elsewhere.example/fcl".into());
    client.logout.backchannel_session_required = true;
    let problems = problems(&client, &levels());
    assert!(has(&problems, "frontchannel_logout_uri:"));
    assert!(has(&problems, "backchannel_logout_session_required:"));
}

#[test]
fn client_credentials_only_clients_need_no_redirect_uri() {
    let mut client = web();
    client.redirect_uris.clear();
    assert!(has(
        &problems(&client, &levels()),
        "redirect_uris: at least one"
    ));
    client.grant_types = vec![GrantType::ClientCredentials];
    assert_eq!(validate(&client, &levels()), Ok(()));
}
