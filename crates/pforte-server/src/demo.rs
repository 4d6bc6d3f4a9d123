//! First-start provisioning of a demo client and a demo user, printed so that a
//! newcomer can log in at once (issue 2, "Workspace and run").
//!
//! Runs only when `demo = true` and the provider has neither clients nor
//! accounts, so it never touches a provider that is in real use. The generated
//! secrets are stored as a digest and a password hash only; they can be shown
//! on this one start and never again.

use crate::app::{App, ServerError};
use pforte_crypto::SigningAlg;
use pforte_crypto::random::{random_token, sha256_b64url};
use pforte_identity::account::Account;
use pforte_identity::ports::AccountStore;
use pforte_oauth::model::{ApplicationType, Client, ClientAuthMethod, GrantType};
use pforte_oauth::ports::ClientStore;
use pforte_types::AccountId;
use std::fmt;

/// The demo relying party: a confidential web portal.
pub const DEMO_CLIENT_ID: &str = "demo-portal";
pub const DEMO_USERNAME: &str = "demo";
/// Where the demo client's callback lives (served by the web layer when the
/// demo is enabled).
pub const DEMO_CALLBACK_PATH: &str = "/demo/callback";
const DEMO_SCOPE: &str = "openid profile email";
/// Long enough to resist guessing, short enough to type.
const DEMO_PASSWORD_LEN: usize = 20;

/// What [`provision`] did.
#[derive(Debug)]
pub enum DemoOutcome {
    /// `demo = false`.
    Disabled,
    /// The provider already has clients or accounts; nothing was created and
    /// nothing secret can be shown.
    AlreadyProvisioned,
    /// Created now; the credentials exist in clear only in this value.
    Created(Box<DemoCredentials>),
}

/// The demo client and user as created, with a ready-to-open authorization
/// request (PKCE S256, RFC 7636 4.1/4.2; `state` and `nonce`, OIDC Core 3.1.2.1).
#[derive(Clone, PartialEq, Eq)]
pub struct DemoCredentials {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub username: String,
    pub password: String,
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
    pub authorization_url: String,
}

impl fmt::Debug for DemoCredentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("DemoCredentials")
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for DemoCredentials {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(out, "Pforte demo (shown once: only digests are stored)")?;
        writeln!(out, "  issuer:         {}", self.issuer)?;
        writeln!(out, "  client_id:      {}", self.client_id)?;
        writeln!(out, "  client_secret:  {}", self.client_secret)?;
        writeln!(out, "  redirect_uri:   {}", self.redirect_uri)?;
        writeln!(out, "  username:       {}", self.username)?;
        writeln!(out, "  password:       {}", self.password)?;
        writeln!(out, "  code_verifier:  {}", self.code_verifier)?;
        writeln!(out, "Open this URL in a browser and log in:")?;
        writeln!(out, "  {}", self.authorization_url)?;
        writeln!(out, "Then redeem the code shown on the callback page:")?;
        writeln!(
            out,
            "  curl -u '{}:{}' -d grant_type=authorization_code -d code=CODE \\",
            self.client_id, self.client_secret
        )?;
        writeln!(
            out,
            "    --data-urlencode redirect_uri='{}' -d code_verifier={} {}/token",
            self.redirect_uri, self.code_verifier, self.issuer
        )
    }
}

/// Creates the demo client and user when the demo is enabled and the provider
/// is empty.
pub async fn provision(app: &App) -> Result<DemoOutcome, ServerError> {
    if !app.settings.demo {
        return Ok(DemoOutcome::Disabled);
    }
    let has_clients = !app.store.list_clients().await?.is_empty();
    let has_accounts = !app.store.list_accounts().await?.is_empty();
    if has_clients || has_accounts {
        return Ok(DemoOutcome::AlreadyProvisioned);
    }
    let issuer = app.settings.issuer.trim_end_matches('/').to_owned();
    let now = app.clock.now();
    let client_secret = random_token();
    let redirect_uri = format!("{issuer}{DEMO_CALLBACK_PATH}");
    let client = Client {
        client_id: DEMO_CLIENT_ID.to_owned(),
        name: Some("Demo portal".to_owned()),
        secret_digest: Some(app.secrets.digest(&client_secret)),
        auth_method: ClientAuthMethod::ClientSecretBasic,
        jwks: None,
        redirect_uris: vec![redirect_uri.clone()],
        post_logout_redirect_uris: vec![format!("{issuer}/")],
        application_type: ApplicationType::Web,
        require_par: false,
        require_pkce: false,
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        extra_scopes: Vec::new(),
        id_token_alg: SigningAlg::RS256,
        default_acr_values: Vec::new(),
        minimum_acr: None,
        brand: None,
        logout: Default::default(),
        created_at: now,
    };
    app.store.insert_client(&client).await?;

    let password: String = random_token().chars().take(DEMO_PASSWORD_LEN).collect();
    let password_hash = app
        .hasher
        .hash(&password)
        .await
        .map_err(|error| ServerError::Keys(format!("password hash: {error}")))?;
    let account = Account {
        id: AccountId::new(),
        username: DEMO_USERNAME.to_owned(),
        password_hash,
        email: Some("demo@example.org".to_owned()),
        email_verified: true,
        given_name: Some("Erika".to_owned()),
        family_name: Some("Mustermann".to_owned()),
        phone: None,
        phone_verified: false,
        totp_secret_encrypted: None,
        created_at: now,
        updated_at: now,
    };
    app.store.insert_account(&account).await?;

    let state = random_token();
    let nonce = random_token();
    let code_verifier = random_token();
    let authorization_url = authorization_url(
        &issuer,
        DEMO_CLIENT_ID,
        &redirect_uri,
        &state,
        &nonce,
        &code_verifier,
    );
    Ok(DemoOutcome::Created(Box::new(DemoCredentials {
        issuer,
        client_id: DEMO_CLIENT_ID.to_owned(),
        client_secret,
        redirect_uri,
        username: DEMO_USERNAME.to_owned(),
        password,
        state,
        nonce,
        code_verifier,
        authorization_url,
    })))
}

/// An authorization request URL (OIDC Core 3.1.2.1) with an S256 challenge
/// (RFC 7636 4.2: BASE64URL(SHA256(verifier))).
fn authorization_url(
    issuer: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    nonce: &str,
    code_verifier: &str,
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", DEMO_SCOPE)
        .append_pair("state", state)
        .append_pair("nonce", nonce)
        .append_pair("code_challenge", &sha256_b64url(code_verifier))
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("{issuer}{}?{query}", pforte_oauth::config::paths::AUTHORIZE)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::config::Settings;
    use pforte_types::SystemClock;
    use std::collections::HashMap;
    use std::sync::Arc;

    async fn app(dir: &std::path::Path, demo: bool) -> App {
        let mut settings = Settings {
            data_dir: dir.to_path_buf(),
            demo,
            ..Settings::default()
        };
        // Cheap hashing keeps the test fast; the parameters are not under test.
        settings.password_hashing.memory_kib = 64;
        settings.password_hashing.iterations = 1;
        App::build(settings, Arc::new(SystemClock)).await.unwrap()
    }

    fn created(outcome: DemoOutcome) -> DemoCredentials {
        match outcome {
            DemoOutcome::Created(credentials) => *credentials,
            other => panic!("expected Created, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn first_start_creates_a_confidential_client_and_a_user_that_log_in() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path(), true).await;
        let demo = created(provision(&app).await.unwrap());

        let client = app.store.get_client(DEMO_CLIENT_ID).await.unwrap().unwrap();
        assert_eq!(client.auth_method, ClientAuthMethod::ClientSecretBasic);
        assert_eq!(
            client.redirect_uris,
            vec!["http://127.0.0.1:8080/demo/callback"]
        );
        assert_eq!(
            client.post_logout_redirect_uris,
            vec!["http://127.0.0.1:8080/"]
        );
        assert_eq!(
            client.grant_types,
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        let digest = client.secret_digest.unwrap();
        assert!(!digest.contains(&demo.client_secret));
        assert!(app.secrets.verify(&demo.client_secret, &digest));

        let account = app
            .store
            .find_by_username(DEMO_USERNAME)
            .await
            .unwrap()
            .unwrap();
        assert!(!account.password_hash.contains(&demo.password));
        assert!(
            app.hasher
                .verify(&demo.password, &account.password_hash)
                .await
                .unwrap()
        );
        assert!(demo.password.len() >= 16);
    }

    #[tokio::test]
    async fn rfc7636_printed_url_carries_the_s256_challenge_of_the_printed_verifier() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path(), true).await;
        let demo = created(provision(&app).await.unwrap());

        let (base, query) = demo.authorization_url.split_once('?').unwrap();
        assert_eq!(base, "http://127.0.0.1:8080/authorize");
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(params["response_type"], "code");
        assert_eq!(params["client_id"], DEMO_CLIENT_ID);
        assert_eq!(params["redirect_uri"], demo.redirect_uri);
        assert_eq!(params["scope"], "openid profile email");
        assert_eq!(params["state"], demo.state);
        assert_eq!(params["nonce"], demo.nonce);
        assert_eq!(params["code_challenge_method"], "S256");
        assert_eq!(params["code_challenge"], sha256_b64url(&demo.code_verifier));
        // RFC 7636 4.1: 43 to 128 unreserved characters.
        assert!((43..=128).contains(&demo.code_verifier.len()));

        let printed = demo.to_string();
        for value in [
            &demo.issuer,
            &demo.client_secret,
            &demo.password,
            &demo.code_verifier,
            &demo.authorization_url,
        ] {
            assert!(printed.contains(value.as_str()), "{value} not printed");
        }
        let debug = format!("{demo:?}");
        assert!(!debug.contains(&demo.client_secret) && !debug.contains(&demo.password));
    }

    #[tokio::test]
    async fn later_starts_create_and_reveal_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path(), true).await;
        created(provision(&app).await.unwrap());
        assert!(matches!(
            provision(&app).await.unwrap(),
            DemoOutcome::AlreadyProvisioned
        ));
        assert_eq!(app.store.list_clients().await.unwrap().len(), 1);
        assert_eq!(app.store.list_accounts().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn disabled_demo_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path(), false).await;
        assert!(matches!(
            provision(&app).await.unwrap(),
            DemoOutcome::Disabled
        ));
        assert!(app.store.list_clients().await.unwrap().is_empty());
        assert!(app.store.list_accounts().await.unwrap().is_empty());
    }
}
