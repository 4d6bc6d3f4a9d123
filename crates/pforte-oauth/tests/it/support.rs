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
        default_acr_values: Vec::new(),
        minimum_acr: None,
        brand: None,
        logout: Default::default(),
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
        default_acr_values: Vec::new(),
        minimum_acr: None,
        brand: None,
        logout: Default::default(),
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
            evidence: Vec::new(),
        }
    }

    /// The browser session after [`Self::login`].
    pub fn session(&self) -> SessionSnapshot {
        let login = self.login();
        SessionSnapshot {
            sid: login.sid,
            evidence: Vec::new(),
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

// ---- Token side: codes as the authorization endpoint stores them, tokens,
// private_key_jwt assertions.

use pforte_crypto::SigningKey;
use pforte_crypto::random::{random_token, sha256_b64url};
use pforte_oauth::model::{AuthContext, AuthorizationCode, Grant};
use pforte_oauth::ports::GrantStore;
use pforte_oauth::{OAuthError, TokenResponse};
use serde_json::{Map, Value};

/// RFC 7636 Appendix B verifier and its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// What an authorization request decided, as stored with its code.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub claims_request: Option<Value>,
}

impl CodeRequest {
    /// `portal`, scopes openid profile email, a nonce, no PKCE.
    pub fn portal() -> Self {
        Self {
            client_id: "portal".to_owned(),
            redirect_uri: "https://portal.example/cb".to_owned(),
            scope: "openid profile email".to_owned(),
            nonce: Some("n-0S6_WzA2Mj".to_owned()),
            code_challenge: None,
            claims_request: None,
        }
    }

    /// `app` (public, PKCE S256 with [`CHALLENGE`]), scope openid.
    pub fn app() -> Self {
        Self {
            client_id: "app".to_owned(),
            redirect_uri: "http://127.0.0.1/callback".to_owned(),
            scope: "openid".to_owned(),
            nonce: None,
            code_challenge: Some(CHALLENGE.to_owned()),
            claims_request: None,
        }
    }

    pub fn scope(mut self, scope: &str) -> Self {
        scope.clone_into(&mut self.scope);
        self
    }

    pub fn client(mut self, client_id: &str, redirect_uri: &str) -> Self {
        client_id.clone_into(&mut self.client_id);
        redirect_uri.clone_into(&mut self.redirect_uri);
        self
    }
}

/// A code value and the grant it belongs to.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub code: String,
    pub grant_id: String,
}

impl Fixture {
    /// Stores a grant and its code the way the authorization endpoint does.
    pub async fn code(&self, request: &CodeRequest) -> IssuedCode {
        let now = self.clock_now();
        let grant_id = random_token();
        self.store
            .insert_grant(&Grant {
                grant_id: grant_id.clone(),
                client_id: request.client_id.clone(),
                account_id: self.account,
                scope: request.scope.clone(),
                created_at: now,
                revoked_at: None,
            })
            .await
            .unwrap();
        let code = random_token();
        let login = self.login();
        self.store
            .insert_code(&AuthorizationCode {
                code_digest: sha256_b64url(&code),
                grant_id: grant_id.clone(),
                client_id: request.client_id.clone(),
                account_id: self.account,
                redirect_uri: request.redirect_uri.clone(),
                scope: request.scope.clone(),
                nonce: request.nonce.clone(),
                code_challenge: request.code_challenge.clone(),
                claims_request: request.claims_request.clone(),
                auth: AuthContext {
                    auth_time: login.auth_time,
                    acr: login.acr,
                    amr: login.amr,
                    sid: Some(login.sid),
                },
                expires_at: now + chrono::Duration::seconds(60),
            })
            .await
            .unwrap();
        IssuedCode { code, grant_id }
    }

    /// Redeems a `portal` code with client_secret_basic.
    pub async fn redeem_portal(&self, code: &IssuedCode) -> Result<TokenResponse, OAuthError> {
        let body = params(&[
            ("grant_type", "authorization_code"),
            ("code", &code.code),
            ("redirect_uri", "https://portal.example/cb"),
        ]);
        self.provider
            .token(&body, Some(&basic("portal", SECRET)))
            .await
    }

    /// A fresh `portal` code (openid profile email) redeemed.
    pub async fn portal_tokens(&self) -> TokenResponse {
        let code = self.code(&CodeRequest::portal()).await;
        self.redeem_portal(&code).await.unwrap()
    }

    /// Refreshes as `portal`.
    pub async fn refresh_portal(
        &self,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(scope) = scope {
            pairs.push(("scope", scope));
        }
        self.provider
            .token(&params(&pairs), Some(&basic("portal", SECRET)))
            .await
    }

    pub async fn add_client(&self, client: Client) {
        self.store.insert_client(&client).await.unwrap();
    }

    /// Verifies a token we issued against the published JWKS and returns its
    /// header and claims.
    pub fn verify_issued(&self, token: &str) -> (Map<String, Value>, Map<String, Value>) {
        let jwks: Value = serde_json::from_slice(&self.provider.jwks()).unwrap();
        let verified =
            pforte_crypto::jose::verify_with_jwks(token, &jwks, &SigningAlg::ALL).unwrap();
        (verified.header, verified.claims)
    }
}

/// A confidential client with the given method and grant types, secret
/// [`SECRET`] where it uses one.
pub fn confidential_client(
    client_id: &str,
    method: ClientAuthMethod,
    grant_types: &[GrantType],
    secrets: &SecretDigester,
) -> Client {
    let mut client = web_client(client_id, secrets);
    client.auth_method = method;
    if !method.uses_secret() {
        client.secret_digest = None;
    }
    client.grant_types = grant_types.to_vec();
    client
}

/// A `private_key_jwt` client whose JWKS holds `key`'s public part.
pub fn private_key_jwt_client(client_id: &str, key: &SigningKey) -> Client {
    let mut client = web_client(client_id, &SecretDigester::new(&MasterKey::generate()));
    client.auth_method = ClientAuthMethod::PrivateKeyJwt;
    client.secret_digest = None;
    client.jwks = Some(serde_json::json!({"keys": [key.public_jwk()]}));
    client.grant_types = vec![GrantType::AuthorizationCode, GrantType::ClientCredentials];
    client
}

/// Claims of a client assertion for `client_id`, valid from `now` for 60 s.
pub fn assertion_claims(client_id: &str, now: DateTime<Utc>) -> Map<String, Value> {
    serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": ISSUER,
        "iat": now.timestamp(),
        "exp": now.timestamp() + 60,
        "jti": random_token(),
    })
    .as_object()
    .cloned()
    .unwrap()
}

/// The form parameters of a `private_key_jwt` authentication.
pub fn assertion_params(assertion: &str, extra: &[(&str, &str)]) -> Params {
    let mut pairs = vec![
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ];
    pairs.extend_from_slice(extra);
    params(&pairs)
}

/// The claims of a JWT, unverified (for tokens already verified elsewhere).
pub fn claims_of(token: &str) -> Map<String, Value> {
    pforte_crypto::jose::unverified_claims(token).unwrap()
}

/// `Authorization: Bearer …`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
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
