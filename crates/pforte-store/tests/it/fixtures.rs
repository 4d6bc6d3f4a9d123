//! Sample records for the suite. Times are whole seconds: PostgreSQL keeps
//! microseconds, so a finer time would not round-trip exactly.

use chrono::{DateTime, Duration, Utc};
use pforte_crypto::SigningAlg;
use pforte_identity::account::Account;
use pforte_oauth::model::{
    ApplicationType, AuthContext, AuthorizationCode, Client, ClientAuthMethod, Grant, GrantType,
    PushedRequest, RefreshToken, SigningKeyRecord,
};
use pforte_oauth::ports::{ClientStore, GrantStore};
use pforte_store::{RedisGrantStore, SqlStore};
use pforte_types::AccountId;
use serde_json::json;

/// The suite's "now".
pub fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap()
}

/// An algorithm by its JOSE name (the serde form of [`SigningAlg`]).
pub fn alg(name: &str) -> SigningAlg {
    serde_json::from_value(json!(name)).unwrap()
}

pub fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

pub fn client(client_id: &str) -> Client {
    Client {
        client_id: client_id.to_owned(),
        name: Some(format!("{client_id} portal")),
        secret_digest: Some("hmac-sha256:c2VjcmV0".to_owned()),
        auth_method: ClientAuthMethod::ClientSecretBasic,
        jwks: None,
        redirect_uris: vec![
            format!("https://{client_id}.example/cb"),
            format!("https://{client_id}.example/other"),
        ],
        post_logout_redirect_uris: vec![format!("https://{client_id}.example/bye")],
        application_type: ApplicationType::Web,
        require_par: false,
        require_pkce: true,
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        extra_scopes: vec!["api".to_owned()],
        id_token_alg: alg("RS256"),
        default_acr_values: Vec::new(),
        minimum_acr: None,
        brand: None,
        logout: Default::default(),
        created_at: t0(),
    }
}

/// A public native client with a key set, to cover the other enum values.
pub fn native_client(client_id: &str) -> Client {
    Client {
        secret_digest: None,
        auth_method: ClientAuthMethod::PrivateKeyJwt,
        jwks: Some(json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "AQ", "y": "Ag"}]})),
        redirect_uris: vec!["http://127.0.0.1/cb".to_owned()],
        post_logout_redirect_uris: vec![],
        application_type: ApplicationType::Native,
        require_par: true,
        grant_types: vec![GrantType::ClientCredentials],
        extra_scopes: vec![],
        id_token_alg: alg("ES256"),
        default_acr_values: Vec::new(),
        minimum_acr: None,
        brand: None,
        ..client(client_id)
    }
}

pub fn account(username: &str) -> Account {
    Account {
        id: AccountId::new(),
        username: username.to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        email: Some(format!("{}@example.org", username.to_lowercase())),
        email_verified: true,
        given_name: Some("Erika".to_owned()),
        family_name: Some("Mustermann".to_owned()),
        phone: Some("+49 30 1234567".to_owned()),
        phone_verified: false,
        totp_secret_encrypted: Some(vec![0, 1, 2, 254, 255]),
        created_at: t0(),
        updated_at: t0(),
    }
}

pub fn grant(grant_id: &str, client_id: &str) -> Grant {
    Grant {
        grant_id: grant_id.to_owned(),
        client_id: client_id.to_owned(),
        account_id: AccountId::new(),
        scope: "openid profile email".to_owned(),
        created_at: t0(),
        revoked_at: None,
    }
}

pub fn auth_context() -> AuthContext {
    AuthContext {
        auth_time: t0() - secs(30),
        acr: "loa-substantial".to_owned(),
        amr: vec!["pwd".to_owned(), "otp".to_owned()],
        sid: Some("sid-1".to_owned()),
    }
}

pub fn code(code_digest: &str, grant: &Grant) -> AuthorizationCode {
    AuthorizationCode {
        code_digest: code_digest.to_owned(),
        grant_id: grant.grant_id.clone(),
        client_id: grant.client_id.clone(),
        account_id: grant.account_id,
        redirect_uri: "https://rp.example/cb".to_owned(),
        scope: grant.scope.clone(),
        nonce: Some("n-0S6_WzA2Mj".to_owned()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
        claims_request: Some(json!({"id_token": {"acr": {"essential": true}}})),
        auth: auth_context(),
        expires_at: t0() + secs(60),
    }
}

pub fn refresh_token(token_digest: &str, grant: &Grant) -> RefreshToken {
    RefreshToken {
        token_digest: token_digest.to_owned(),
        grant_id: grant.grant_id.clone(),
        client_id: grant.client_id.clone(),
        account_id: grant.account_id,
        scope: grant.scope.clone(),
        claims_request: None,
        auth: AuthContext {
            sid: None,
            ..auth_context()
        },
        created_at: t0(),
        expires_at: t0() + secs(86_400),
    }
}

pub fn pushed_request(uri_digest: &str, client_id: &str) -> PushedRequest {
    PushedRequest {
        uri_digest: uri_digest.to_owned(),
        client_id: client_id.to_owned(),
        params: vec![
            ("response_type".to_owned(), "code".to_owned()),
            ("scope".to_owned(), "openid".to_owned()),
            (
                "scope".to_owned(),
                "duplicate names keep their order".to_owned(),
            ),
        ],
        expires_at: t0() + secs(90),
    }
}

pub fn signing_key(kid: &str, created_at: DateTime<Utc>) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.to_owned(),
        alg: alg("ES256"),
        private_key_encrypted: vec![9, 8, 7, 0, 255],
        public_jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": "AQ", "y": "Ag"}),
        created_at,
        retired_at: None,
    }
}

/// A [`GrantStore`] under test together with the SQL store its clients live
/// in: the SQL store itself, or the Redis store of one-time artefacts over it.
pub trait GrantBackend: GrantStore + Clone + 'static {
    fn sql(&self) -> &SqlStore;
}

impl GrantBackend for SqlStore {
    fn sql(&self) -> &SqlStore {
        self
    }
}

impl GrantBackend for RedisGrantStore<SqlStore> {
    fn sql(&self) -> &SqlStore {
        self.durable()
    }
}

/// Inserts a client and a grant for it, as the token flow would before issuing.
pub async fn client_with_grant<S: GrantBackend>(
    store: &S,
    client_id: &str,
    grant_id: &str,
) -> Grant {
    store.sql().insert_client(&client(client_id)).await.unwrap();
    let grant = grant(grant_id, client_id);
    store.insert_grant(&grant).await.unwrap();
    grant
}
