//! A provider on a fresh in-memory SQLite store with a manual clock, and the
//! clients and accounts the tests use.

use chrono::{DateTime, Utc};
use pforte_crypto::{MasterKey, SecretDigester, SigningAlg};
use pforte_identity::account::Account;
use pforte_identity::ports::AccountStore;
use pforte_oauth::model::{ApplicationType, Client, ClientAuthMethod, GrantType};
use pforte_oauth::ports::ClientStore;
use pforte_oauth::{KeyManager, Params, Provider, ProviderConfig, ProviderPorts};
use pforte_store::SqlStore;
use pforte_types::{AccountId, AuthResult, ManualClock, SessionSnapshot};
use std::sync::Arc;

pub const ISSUER: &str = "https://id.example.test";
/// The secret of every confidential test client.
pub const SECRET: &str = "s3cret-of-at-least-thirty-two-characters";

pub struct Fixture {
    pub provider: Provider,
    pub store: SqlStore,
    pub clock: ManualClock,
    pub secrets: SecretDigester,
    pub account: AccountId,
}

pub fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap()
}

/// Query or form parameters from literal pairs.
pub fn params(pairs: &[(&str, &str)]) -> Params {
    Params::new(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// `Authorization: Basic …` for a client id and secret (RFC 6749 2.3.1:
/// form-urlencoded, then base64).
pub fn basic(client_id: &str, secret: &str) -> String {
    use base64::Engine;
    let encode = |s: &str| form_urlencoded_component(s);
    let raw = format!("{}:{}", encode(client_id), encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn form_urlencoded_component(value: &str) -> String {
    let encoded = serde_urlencoded::to_string([("v", value)]).unwrap();
    encoded.trim_start_matches("v=").to_owned()
}

/// A confidential web client authenticating with `client_secret_basic`.
pub fn web_client(client_id: &str, secrets: &SecretDigester) -> Client {
    Client {
        client_id: client_id.to_owned(),
        name: Some(format!("{client_id} portal")),
        secret_digest: Some(secrets.digest(SECRET)),
        auth_method: ClientAuthMethod::ClientSecretBasic,
        jwks: None,
        redirect_uris: vec![format!("https://{client_id}.example/cb")],
        post_logout_redirect_uris: vec![format!("https://{client_id}.example/bye")],
        application_type: ApplicationType::Web,
        require_par: false,
        require_pkce: false,
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        extra_scopes: vec!["api".to_owned()],
        id_token_alg: SigningAlg::RS256,
        created_at: t0(),
    }
}

/// A public native client (PKCE mandatory, loopback redirect).
pub fn native_client(client_id: &str) -> Client {
    Client {
        client_id: client_id.to_owned(),
        name: Some("App".to_owned()),
        secret_digest: None,
        auth_method: ClientAuthMethod::None,
        jwks: None,
        redirect_uris: vec![
            "http://127.0.0.1/callback".to_owned(),
            "de.example.app:/oauth2redirect".to_owned(),
        ],
        post_logout_redirect_uris: vec![],
        application_type: ApplicationType::Native,
        require_par: false,
        require_pkce: true,
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        extra_scopes: vec![],
        id_token_alg: SigningAlg::RS256,
        created_at: t0(),
    }
}

impl Fixture {
    /// A provider with the clients `portal` (web, client_secret_basic) and `app`
    /// (native, public) and one account.
    pub async fn new() -> Fixture {
        let clock = ManualClock::new(t0());
        let store = SqlStore::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        let master = MasterKey::generate();
        let secrets = SecretDigester::new(&master);
        let config = ProviderConfig::with_issuer(ISSUER);
        let keys = KeyManager::load(
            Arc::new(store.clone()),
            master,
            Arc::new(clock.clone()),
            config.longest_signed_token_lifetime(),
        )
        .await
        .unwrap();
        let ports = ProviderPorts {
            clients: Arc::new(store.clone()),
            grants: Arc::new(store.clone()),
            claims: Arc::new(store.clone()),
        };
        let provider = Provider::new(
            config,
            ports,
            Arc::new(keys),
            secrets.clone(),
            Arc::new(clock.clone()),
        )
        .unwrap();
        store
            .insert_client(&web_client("portal", &secrets))
            .await
            .unwrap();
        store.insert_client(&native_client("app")).await.unwrap();
        let account = AccountId::new();
        store
            .insert_account(&Account {
                id: account,
                username: "erika".to_owned(),
                password_hash: "$argon2id$not-used-here".to_owned(),
                email: Some("erika@example.test".to_owned()),
                email_verified: true,
                given_name: Some("Erika".to_owned()),
                family_name: Some("Mustermann".to_owned()),
                phone: Some("+4915112345678".to_owned()),
                phone_verified: false,
                totp_secret_encrypted: None,
                created_at: t0(),
                updated_at: t0(),
            })
            .await
            .unwrap();
        Fixture {
            provider,
            store,
            clock,
            secrets,
            account,
        }
    }

    /// A login that just happened for the fixture's account.
    pub fn login(&self) -> AuthResult {
        AuthResult {
            account_id: self.account,
            acr: "loa-low".to_owned(),
            amr: vec!["pwd".to_owned()],
            auth_time: self.clock_now(),
            sid: "sid-1".to_owned(),
        }
    }

    /// The browser session after [`Self::login`].
    pub fn session(&self) -> SessionSnapshot {
        let login = self.login();
        SessionSnapshot {
            sid: login.sid,
            account_id: login.account_id,
            auth_time: login.auth_time,
            acr: login.acr,
            amr: login.amr,
        }
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use pforte_types::Clock;
        self.clock.now()
    }
}

// Helpers for the authorization, PAR and logout tests.

impl Fixture {
    /// An ID token of this provider (RS256, issued now, valid five minutes) for
    /// `client_id`, as the hint an RP sends back.
    pub fn id_token_for(&self, client_id: &str, account: AccountId, sid: &str) -> String {
        let now = self.clock_now().timestamp();
        let claims = serde_json::json!({
            "iss": ISSUER,
            "sub": account.to_string(),
            "aud": client_id,
            "exp": now + 300,
            "iat": now,
            "auth_time": now,
            "sid": sid,
        });
        self.provider
            .keys()
            .current()
            .active(SigningAlg::RS256)
            .unwrap()
            .sign_json(claims.as_object().unwrap(), None)
            .unwrap()
    }

    pub async fn add_client(&self, client: &Client) {
        self.store.insert_client(client).await.unwrap();
    }
}

/// The value of a response parameter.
pub fn response_param<'a>(
    response: &'a pforte_oauth::AuthorizationResponse,
    name: &str,
) -> Option<&'a str> {
    response
        .params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}
