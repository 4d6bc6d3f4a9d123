//! The provider most tests share: one process, provisioned once through the
//! CLI with every kind of client the cases need. Tests never depend on each
//! other's order: each uses its own user agent (cookie jar), its own codes and
//! tokens, and users whose sessions nobody else ends.

use super::jwt::ClientKey;
use super::server::Server;
use std::sync::LazyLock;

pub const WEB_REDIRECT: &str = "https://rp.example.test/callback";
pub const WEB_POST_LOGOUT: &str = "https://rp.example.test/logged-out";
pub const NATIVE_REDIRECT: &str = "http://127.0.0.1/callback";
/// A registered redirect URI with a query component (OIDC Core 3.1.2.1).
pub const QUERY_REDIRECT: &str = "https://rp.example.test/callback?tenant=a";
/// The second redirect URI of the client that has two.
pub const SECOND_REDIRECT: &str = "https://rp.example.test/second";

/// The password of every provisioned user.
pub const PASSWORD: &str = "Sonnenblume-42-Wiese!";

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    SecretBasic,
    SecretPost,
    PrivateKeyJwt,
    None,
}

/// A client as registered through `pforte client add`.
#[derive(Debug, Clone)]
pub struct ClientSpec {
    pub id: &'static str,
    pub auth: AuthKind,
    pub redirect_uri: &'static str,
    pub secret: Option<String>,
    pub id_token_alg: &'static str,
}

/// Clients of the shared server.
pub mod clients {
    /// Confidential web client, client_secret_basic, RS256.
    pub const WEB: &str = "web";
    /// Confidential web client, client_secret_post.
    pub const WEB_POST: &str = "web-post";
    /// A second confidential client, to prove artefacts are bound to theirs.
    pub const OTHER: &str = "web-other";
    pub const ES256: &str = "web-es256";
    pub const PS256: &str = "web-ps256";
    pub const EDDSA: &str = "web-eddsa";
    /// Public native client: PKCE mandatory, loopback redirect on any port.
    pub const NATIVE: &str = "native";
    /// private_key_jwt client.
    pub const JWT: &str = "jwt";
    /// A client that must use PAR.
    pub const PAR_ONLY: &str = "par-only";
    /// client_credentials only.
    pub const SERVICE: &str = "service";
    /// Registered with a redirect URI that has a query component.
    pub const WEB_QUERY: &str = "web-query";
    /// Registered with two redirect URIs.
    pub const WEB_TWO: &str = "web-two";
}

/// Users of the shared server. Each test that ends sessions has its own user.
pub mod users {
    /// Full profile: e-mail, phone, names.
    pub const ALICE: &str = "alice";
    /// Logs out in the logout tests.
    pub const BOB: &str = "bob";
    /// The browser tests' user.
    pub const CAROL: &str = "carol";
    /// Used by tests that revoke or reuse, so revocation never meets others.
    pub const DAVE: &str = "dave";
    /// One user per logout test: ending a session never touches another test.
    pub const LOGOUT: [&str; 10] = [
        "logout-0", "logout-1", "logout-2", "logout-3", "logout-4", "logout-5", "logout-6",
        "logout-7", "logout-8", "logout-9",
    ];
}

pub const API_SCOPE: &str = "api.read";

pub struct Fixture {
    pub server: Server,
    pub clients: Vec<ClientSpec>,
    /// The private_key_jwt client's registered key.
    pub client_key: ClientKey,
}

impl Fixture {
    pub fn client(&self, id: &str) -> &ClientSpec {
        self.clients
            .iter()
            .find(|client| client.id == id)
            .unwrap_or_else(|| panic!("no client {id} in the fixture"))
    }

    pub fn secret(&self, id: &str) -> &str {
        self.client(id).secret.as_deref().unwrap()
    }
}

/// A client secret of the required strength, unique per client.
pub fn secret_for(id: &str) -> String {
    format!("{id}.S3cr3t.7Qm2Rk9Vx4Lp8Tz3Wn6Yb1Hc5Jd0Fg")
}

static SHARED: LazyLock<Fixture> = LazyLock::new(build_shared);

/// The shared, running provider.
pub fn shared() -> &'static Fixture {
    &SHARED
}

fn build_shared() -> Fixture {
    let server = Server::prepare();
    let client_key = ClientKey::generate("rp-key-1");
    let jwks_file = server.scratch().join("jwt-client-jwks.json");
    std::fs::write(&jwks_file, client_key.public_jwks()).unwrap();
    let jwks_path = jwks_file.display().to_string();

    let mut specs = Vec::new();
    let mut add = |id: &'static str, auth: AuthKind, alg: &'static str, extra: &[&str]| {
        let redirect_uri = if auth == AuthKind::None {
            NATIVE_REDIRECT
        } else if id == clients::WEB_QUERY {
            QUERY_REDIRECT
        } else {
            WEB_REDIRECT
        };
        let secret =
            matches!(auth, AuthKind::SecretBasic | AuthKind::SecretPost).then(|| secret_for(id));
        let mut args: Vec<String> = ["client", "add", "--id", id, "--redirect-uri", redirect_uri]
            .iter()
            .map(|arg| (*arg).to_owned())
            .collect();
        if let Some(secret) = &secret {
            args.extend(["--secret".to_owned(), secret.clone()]);
        }
        let method = match auth {
            AuthKind::SecretBasic => "client_secret_basic",
            AuthKind::SecretPost => "client_secret_post",
            AuthKind::PrivateKeyJwt => "private_key_jwt",
            AuthKind::None => "none",
        };
        args.extend(["--auth-method".to_owned(), method.to_owned()]);
        if alg != "RS256" {
            args.extend(["--id-token-alg".to_owned(), alg.to_owned()]);
        }
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
        server.cli_ok(&borrowed);
        specs.push(ClientSpec {
            id,
            auth,
            redirect_uri,
            secret,
            id_token_alg: alg,
        });
    };

    add(
        clients::WEB,
        AuthKind::SecretBasic,
        "RS256",
        &[
            "--post-logout-redirect-uri",
            WEB_POST_LOGOUT,
            "--name",
            "Web Portal",
        ],
    );
    add(clients::WEB_POST, AuthKind::SecretPost, "RS256", &[]);
    add(
        clients::OTHER,
        AuthKind::SecretBasic,
        "RS256",
        &["--post-logout-redirect-uri", WEB_POST_LOGOUT],
    );
    add(clients::ES256, AuthKind::SecretBasic, "ES256", &[]);
    add(clients::PS256, AuthKind::SecretBasic, "PS256", &[]);
    add(clients::EDDSA, AuthKind::SecretBasic, "EdDSA", &[]);
    add(
        clients::NATIVE,
        AuthKind::None,
        "RS256",
        &["--application-type", "native"],
    );
    add(
        clients::JWT,
        AuthKind::PrivateKeyJwt,
        "RS256",
        &["--jwks-file", &jwks_path],
    );
    add(
        clients::PAR_ONLY,
        AuthKind::SecretBasic,
        "RS256",
        &["--require-par"],
    );
    add(clients::WEB_QUERY, AuthKind::SecretBasic, "RS256", &[]);
    add(
        clients::WEB_TWO,
        AuthKind::SecretBasic,
        "RS256",
        &["--redirect-uri", SECOND_REDIRECT],
    );
    add(
        clients::SERVICE,
        AuthKind::SecretBasic,
        "RS256",
        &["--grant-type", "client_credentials", "--scope", API_SCOPE],
    );

    for (username, extra) in [
        (
            users::ALICE,
            vec![
                "--email",
                "alice@example.test",
                "--email-verified",
                "--given-name",
                "Alice",
                "--family-name",
                "Adler",
                "--phone",
                "+49301234567",
                "--birthdate",
                "1980-04-02",
            ],
        ),
        (users::BOB, vec!["--email", "bob@example.test"]),
        (users::CAROL, vec!["--given-name", "Carol"]),
        (users::DAVE, vec!["--email", "dave@example.test"]),
    ]
    .into_iter()
    .chain(users::LOGOUT.iter().map(|username| (*username, Vec::new())))
    {
        let mut args = vec![
            "user",
            "add",
            "--username",
            username,
            "--password",
            PASSWORD,
        ];
        args.extend(extra);
        server.cli_ok(&args);
    }

    server.start();
    Fixture {
        server,
        clients: specs,
        client_key,
    }
}
