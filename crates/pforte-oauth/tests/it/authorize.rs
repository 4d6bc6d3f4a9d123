//! Tests of `authorize`, `resume_authorization` and `abort_authorization`
//! through the `Provider` API, as the web layer calls them. Shared helpers and
//! the code issued on success here; the other cases in the submodules.

mod assurance;
mod flow;
mod resume;
mod session;
mod validation;

use crate::support::{CHALLENGE, Fixture, ISSUER, params, response_param, web_client};
use chrono::TimeDelta;
use pforte_crypto::random::sha256_b64url;
use pforte_oauth::model::{Client, CodeConsumption, GrantType};
use pforte_oauth::ports::GrantStore;
use pforte_oauth::{
    AuthorizationResponse, AuthorizeOutcome, ConsentDecision, ErrorCode, InteractionRequired,
    OAuthError, Params, ResponseMode,
};
use pforte_types::{AccountId, Prompt};

const PORTAL_CB: &str = "https://portal.example/cb";
const APP_CB: &str = "http://127.0.0.1:51234/callback";

/// `base` with `changes` applied: a change replaces the parameter of the same
/// name, an empty value removes it, and new names are added.
fn with(base: &[(&str, &str)], changes: &[(&str, &str)]) -> Params {
    let mut pairs: Vec<(&str, &str)> = base
        .iter()
        .filter(|(name, _)| !changes.iter().any(|(changed, _)| changed == name))
        .copied()
        .collect();
    pairs.extend(changes.iter().filter(|(_, value)| !value.is_empty()));
    params(&pairs)
}

const PORTAL: &[(&str, &str)] = &[
    ("response_type", "code"),
    ("client_id", "portal"),
    ("redirect_uri", PORTAL_CB),
    ("scope", "openid profile"),
    ("state", "st-1"),
    ("nonce", "n-1"),
];

const APP: &[(&str, &str)] = &[
    ("response_type", "code"),
    ("client_id", "app"),
    ("redirect_uri", APP_CB),
    ("scope", "openid offline_access"),
    ("state", "st-2"),
    ("code_challenge", CHALLENGE),
    ("code_challenge_method", "S256"),
];

fn portal(changes: &[(&str, &str)]) -> Params {
    with(PORTAL, changes)
}

fn app(changes: &[(&str, &str)]) -> Params {
    with(APP, changes)
}

#[track_caller]
fn respond(outcome: AuthorizeOutcome) -> AuthorizationResponse {
    match outcome {
        AuthorizeOutcome::Respond(response) => response,
        other => panic!("expected a response to the client, got {other:?}"),
    }
}

#[track_caller]
fn error_page(outcome: AuthorizeOutcome) -> OAuthError {
    match outcome {
        AuthorizeOutcome::ErrorPage(error) => error,
        other => panic!("expected an error page, got {other:?}"),
    }
}

#[track_caller]
fn interaction(outcome: AuthorizeOutcome) -> InteractionRequired {
    match outcome {
        AuthorizeOutcome::Interaction(interaction) => *interaction,
        other => panic!("expected an interaction, got {other:?}"),
    }
}

/// The error a response carries, after checking it has `iss` (RFC 9207).
#[track_caller]
fn error_of(response: &AuthorizationResponse) -> &str {
    assert_eq!(
        response_param(response, "iss"),
        Some(ISSUER),
        "{response:?}"
    );
    assert_eq!(response_param(response, "code"), None);
    response_param(response, "error").expect("an error response")
}

/// Redeems nothing: reads the stored code record by consuming it in the store.
async fn stored_code(
    fixture: &Fixture,
    response: &AuthorizationResponse,
) -> pforte_oauth::model::AuthorizationCode {
    let code = response_param(response, "code").expect("a code");
    match fixture
        .store
        .consume_code(&sha256_b64url(code))
        .await
        .unwrap()
    {
        CodeConsumption::Fresh(record) => record,
        other => panic!("code not stored: {other:?}"),
    }
}

#[tokio::test]
async fn oidc_core_3_1_2_5_live_session_gets_a_code_with_state_and_iss() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[]), Some(&session))
            .await,
    );
    assert_eq!(response.redirect_uri, PORTAL_CB);
    assert_eq!(response.mode, ResponseMode::Query);
    let names: Vec<&str> = response.params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["code", "state", "iss"]);
    assert_eq!(response_param(&response, "state"), Some("st-1"));
    assert_eq!(response_param(&response, "iss"), Some(ISSUER));
    let code = response_param(&response, "code").unwrap();
    assert_eq!(code.len(), 43, "256-bit code");
    assert!(
        response
            .redirect_location()
            .starts_with(&format!("{PORTAL_CB}?code="))
    );

    let record = stored_code(&fixture, &response).await;
    assert_eq!(record.client_id, "portal");
    assert_eq!(record.account_id, fixture.account);
    assert_eq!(record.redirect_uri, PORTAL_CB);
    assert_eq!(record.scope, "openid profile");
    assert_eq!(record.nonce.as_deref(), Some("n-1"));
    assert_eq!(record.code_challenge, None);
    assert_eq!(record.auth.sid.as_deref(), Some("sid-1"));
    assert_eq!(record.auth.acr, "loa-low");
    assert_eq!(record.auth.amr, ["pwd"]);
    assert_eq!(record.auth.auth_time, session.auth_time);
    assert_eq!(
        record.expires_at,
        fixture.clock_now() + TimeDelta::seconds(60)
    );
    let grant = fixture
        .store
        .get_grant(&record.grant_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (grant.client_id.as_str(), grant.account_id),
        ("portal", fixture.account)
    );
    assert_eq!(grant.scope, "openid profile");
}

#[tokio::test]
async fn codes_are_single_use_and_distinct() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let first = respond(
        fixture
            .provider
            .authorize(&portal(&[]), Some(&session))
            .await,
    );
    let second = respond(
        fixture
            .provider
            .authorize(&portal(&[]), Some(&session))
            .await,
    );
    assert_ne!(
        response_param(&first, "code"),
        response_param(&second, "code")
    );
    let digest = sha256_b64url(response_param(&first, "code").unwrap());
    assert!(matches!(
        fixture.store.consume_code(&digest).await.unwrap(),
        CodeConsumption::Fresh(_)
    ));
    assert!(matches!(
        fixture.store.consume_code(&digest).await.unwrap(),
        CodeConsumption::AlreadyUsed { .. }
    ));
}

/// A provider whose configuration asks for ten-minute codes.
async fn provider_with_long_code_ttl() -> (pforte_oauth::Provider, pforte_store::SqlStore, Fixture)
{
    use pforte_crypto::{MasterKey, SecretDigester};
    use pforte_oauth::ports::ClientStore;
    use pforte_oauth::{KeyManager, Provider, ProviderConfig, ProviderPorts};
    use std::sync::Arc;

    let fixture = Fixture::new().await;
    let store = pforte_store::SqlStore::connect("sqlite::memory:")
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let master = MasterKey::generate();
    let secrets = SecretDigester::new(&master);
    let mut config = ProviderConfig::with_issuer(ISSUER);
    config.code_ttl = std::time::Duration::from_secs(600);
    let clock = Arc::new(fixture.clock.clone());
    let keys = KeyManager::load(
        Arc::new(store.clone()),
        master,
        clock.clone(),
        config.longest_signed_token_lifetime(),
    )
    .await
    .unwrap();
    let ports = ProviderPorts {
        clients: Arc::new(store.clone()),
        grants: Arc::new(store.clone()),
        claims: Arc::new(store.clone()),
    };
    let provider = Provider::new(config, ports, Arc::new(keys), secrets.clone(), clock).unwrap();
    store
        .insert_client(&web_client("portal", &secrets))
        .await
        .unwrap();
    (provider, store, fixture)
}

#[tokio::test]
async fn asvs_10_4_3_codes_live_at_most_sixty_seconds_whatever_the_configuration() {
    let (provider, store, fixture) = provider_with_long_code_ttl().await;
    let response = respond(
        provider
            .authorize(&portal(&[]), Some(&fixture.session()))
            .await,
    );
    let code = response_param(&response, "code").unwrap();
    let CodeConsumption::Fresh(record) = store.consume_code(&sha256_b64url(code)).await.unwrap()
    else {
        panic!("code not stored");
    };
    assert_eq!(
        record.expires_at,
        fixture.clock_now() + TimeDelta::seconds(60)
    );
}
