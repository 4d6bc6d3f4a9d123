//! The `pforte` binary as an operator uses it: a temporary data directory, a
//! `--config` file, and the exit status, stdout and stderr of each command.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pforte_server::{App, Settings};
use pforte_types::SystemClock;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Provider {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Provider {
    /// A provider on a fresh data directory, demo off, cheap password hashing.
    fn new() -> Self {
        Self::with_settings("demo = false\n")
    }

    fn with_settings(extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("pforte.toml");
        let themes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes");
        std::fs::write(
            &config,
            format!(
                "data_dir = {data:?}\nthemes_dir = {themes:?}\n{extra}\n\
                 [password_hashing]\nmemory_kib = 64\niterations = 1\nparallelism = 1\n",
                data = dir.path().join("data"),
            ),
        )
        .unwrap();
        Self { dir, config }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pforte"));
        // The tests' own environment must not configure the binary.
        for (name, _) in std::env::vars() {
            if name.starts_with("PFORTE_") {
                command.env_remove(name);
            }
        }
        command.arg("--config").arg(&self.config);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    async fn app(&self) -> App {
        let settings = Settings::load_from(Some(&self.config), Vec::new()).unwrap();
        App::build(settings, Arc::new(SystemClock)).await.unwrap()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(output: &Output) -> &Output {
    assert!(
        output.status.success(),
        "failed: {:?}\nstdout: {}\nstderr: {}",
        output.status,
        stdout(output),
        stderr(output)
    );
    output
}

fn failed(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "unexpectedly succeeded\nstdout: {}",
        stdout(output)
    );
    stderr(output)
}

const WEB_REDIRECT: &str = "https://portal.example/callback";

#[test]
fn config_check_prints_ok_for_a_valid_file() {
    let provider = Provider::new();
    let output = provider.run(&["config", "check"]);
    assert_eq!(stdout(succeeded(&output)), "OK\n");
}

#[test]
fn config_check_lists_every_problem_by_key() {
    let provider = Provider::with_settings(
        "issuer = \"http://login.example/\"\nlisten = \"nowhere\"\ncolour = \"blue\"\n\
         [tokens]\ncode_ttl_secs = 600\n",
    );
    let message = failed(&provider.run(&["config", "check"]));
    for key in ["issuer:", "listen:", "colour:", "tokens.code_ttl_secs:"] {
        assert!(message.contains(key), "{key} missing in {message}");
    }
}

#[test]
fn config_check_takes_config_after_the_subcommand_and_from_pforte_config() {
    let provider = Provider::with_settings("listen = \"nowhere\"");
    let mut command = Command::new(env!("CARGO_BIN_EXE_pforte"));
    let output = command
        .args(["config", "check", "--config"])
        .arg(&provider.config)
        .output()
        .unwrap();
    assert!(failed(&output).contains("listen:"));
    let output = Command::new(env!("CARGO_BIN_EXE_pforte"))
        .args(["config", "check"])
        .env("PFORTE_CONFIG", &provider.config)
        .output()
        .unwrap();
    assert!(failed(&output).contains("listen:"));
}

#[test]
fn config_check_names_unknown_environment_variables_and_applies_overrides() {
    let provider = Provider::new();
    let output = provider
        .command()
        .args(["config", "check"])
        .env("PFORTE_TOKENS__ACCESS_TOKEN_TTL", "5")
        .output()
        .unwrap();
    assert!(failed(&output).contains("PFORTE_TOKENS__ACCESS_TOKEN_TTL"));
    let output = provider
        .command()
        .args(["config", "check"])
        .env("PFORTE_TOKENS__CODE_TTL_SECS", "0")
        .output()
        .unwrap();
    assert!(failed(&output).contains("tokens.code_ttl_secs"));
}

#[test]
fn config_check_loads_the_theme() {
    let provider = Provider::new();
    let output = provider
        .command()
        .args(["config", "check"])
        .env("PFORTE_THEMES_DIR", provider.dir.path())
        .output()
        .unwrap();
    assert!(failed(&output).contains("themes_dir"));
}

#[test]
fn missing_config_file_is_an_error_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_pforte"))
        .args(["client", "list", "--config", "/nonexistent/pforte.toml"])
        .output()
        .unwrap();
    assert!(failed(&output).contains("/nonexistent/pforte.toml"));
}

#[test]
fn migrate_brings_an_empty_database_up_to_date() {
    let provider = Provider::new();
    succeeded(&provider.run(&["migrate"]));
    succeeded(&provider.run(&["migrate"]));
    assert!(provider.dir.path().join("data/pforte.db").exists());
}

#[test]
fn adr_0002_generated_client_secret_is_printed_once_and_never_listed() {
    let provider = Provider::new();
    let output = provider.run(&[
        "client",
        "add",
        "--id",
        "portal",
        "--redirect-uri",
        WEB_REDIRECT,
    ]);
    let printed = stdout(succeeded(&output));
    let secret = printed
        .lines()
        .find_map(|line| line.strip_prefix("client_secret: "))
        .expect("secret printed")
        .to_owned();
    assert!(secret.len() >= 43);
    assert!(printed.contains("client_id: portal"));

    let listed = stdout(succeeded(&provider.run(&["client", "list"])));
    assert!(
        listed.contains("portal\tclient_secret_basic\tweb"),
        "{listed}"
    );
    assert!(listed.contains(WEB_REDIRECT));
    assert!(!listed.contains(&secret));

    let again = provider.run(&[
        "client",
        "add",
        "--id",
        "portal",
        "--redirect-uri",
        WEB_REDIRECT,
    ]);
    assert!(failed(&again).contains("already exists"));
}

#[test]
fn adr_0002_given_client_secret_is_never_echoed_and_verifies() {
    let provider = Provider::new();
    let given = "operator-chosen-secret-0123456789abcdef";
    let output = provider.run(&[
        "client",
        "add",
        "--id",
        "backend",
        "--secret",
        given,
        "--auth-method",
        "client_secret_post",
        "--grant-type",
        "client_credentials",
        "--scope",
        "claims:read",
    ]);
    succeeded(&output);
    assert!(!stdout(&output).contains(given) && !stderr(&output).contains(given));
    assert!(!stdout(&output).contains("client_secret:"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use pforte_oauth::ports::ClientStore;
        let app = provider.app().await;
        let client = app.store.get_client("backend").await.unwrap().unwrap();
        assert!(
            app.secrets
                .verify(given, client.secret_digest.as_deref().unwrap())
        );
        assert_eq!(client.extra_scopes, vec!["claims:read"]);
    });

    let short = "short-secret";
    let output = provider.run(&[
        "client",
        "add",
        "--id",
        "other",
        "--secret",
        short,
        "--redirect-uri",
        WEB_REDIRECT,
    ]);
    let message = failed(&output);
    assert!(
        message.contains("--secret") && !message.contains(short),
        "{message}"
    );
}

#[test]
fn r_ac_2_client_default_and_minimum_levels_are_stored_when_the_policy_knows_them() {
    let provider = Provider::new();
    let add = |id: &str, extra: &[&str]| {
        let mut args = vec!["client", "add", "--id", id, "--redirect-uri", WEB_REDIRECT];
        args.extend_from_slice(extra);
        provider.run(&args)
    };
    let unknown = failed(&add("bad", &["--minimum-acr", "loa-extreme"]));
    assert!(
        unknown.contains("--minimum-acr") && unknown.contains("loa-extreme"),
        "{unknown}"
    );
    let malformed = failed(&add("bad", &["--default-acr", "loa low"]));
    assert!(malformed.contains("--default-acr"), "{malformed}");
    succeeded(&add(
        "health",
        &[
            "--default-acr",
            "loa-substantial",
            "--default-acr",
            "loa-high",
            "--minimum-acr",
            "loa-substantial",
        ],
    ));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use pforte_oauth::ports::ClientStore;
        let app = provider.app().await;
        assert_eq!(app.store.get_client("bad").await.unwrap(), None);
        let client = app.store.get_client("health").await.unwrap().unwrap();
        assert_eq!(client.default_acr_values, ["loa-substantial", "loa-high"]);
        assert_eq!(client.minimum_acr.as_deref(), Some("loa-substantial"));
    });
}

#[test]
fn r_op_2_client_brand_must_be_a_brand_of_the_themes() {
    let provider = Provider::new();
    let add = |id: &str, brand: &str| {
        provider.run(&[
            "client",
            "add",
            "--id",
            id,
            "--redirect-uri",
            WEB_REDIRECT,
            "--brand",
            brand,
        ])
    };
    let unknown = failed(&add("bad", "no-such-brand"));
    assert!(
        unknown.contains("--brand") && unknown.contains("no-such-brand"),
        "{unknown}"
    );
    let unsafe_name = failed(&add("bad", "../base"));
    assert!(unsafe_name.contains("--brand"), "{unsafe_name}");
    succeeded(&add("branded", "base"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use pforte_oauth::ports::ClientStore;
        let app = provider.app().await;
        assert_eq!(app.store.get_client("bad").await.unwrap(), None);
        let client = app.store.get_client("branded").await.unwrap().unwrap();
        assert_eq!(client.brand.as_deref(), Some("base"));
    });
}

#[test]
fn rfc9700_public_native_client_gets_pkce_and_private_use_redirect() {
    let provider = Provider::new();
    let output = provider.run(&[
        "client",
        "add",
        "--id",
        "app",
        "--auth-method",
        "none",
        "--application-type",
        "native",
        "--redirect-uri",
        "com.example.app:/callback",
        "--redirect-uri",
        "http://127.0.0.1/callback",
    ]);
    assert!(!stdout(succeeded(&output)).contains("client_secret:"));
    let listed = stdout(succeeded(&provider.run(&["client", "list"])));
    assert!(listed.contains("app\tnone\tnative\trequired"), "{listed}");
}

#[test]
fn private_key_jwt_client_registers_public_keys_only() {
    let provider = Provider::new();
    let jwks = provider.dir.path().join("jwks.json");
    let public = r#"{"kty":"EC","crv":"P-256","kid":"rp-1",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
    std::fs::write(&jwks, format!("{{\"keys\":[{public}]}}")).unwrap();
    let args = |file: &Path| {
        vec![
            "client".to_owned(),
            "add".to_owned(),
            "--id".to_owned(),
            "signed".to_owned(),
            "--auth-method".to_owned(),
            "private_key_jwt".to_owned(),
            "--jwks-file".to_owned(),
            file.display().to_string(),
            "--redirect-uri".to_owned(),
            WEB_REDIRECT.to_owned(),
            "--id-token-alg".to_owned(),
            "ES256".to_owned(),
            "--require-par".to_owned(),
        ]
    };
    let private = provider.dir.path().join("private.json");
    std::fs::write(
        &private,
        public.replace("\"kid\"", "\"d\":\"AAAA\",\"kid\""),
    )
    .unwrap();
    let output = provider.command().args(args(&private)).output().unwrap();
    assert!(failed(&output).contains("private key material"));

    succeeded(&provider.command().args(args(&jwks)).output().unwrap());
    let listed = stdout(succeeded(&provider.run(&["client", "list"])));
    assert!(
        listed.contains("signed\tprivate_key_jwt\tweb\toptional\trequired\tES256"),
        "{listed}"
    );
}

#[test]
fn client_add_rejects_bad_input_with_a_message() {
    let provider = Provider::new();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--id", "x", "--redirect-uri", "http://portal.example/cb"],
            "loopback",
        ),
        (
            &[
                "--id",
                "x",
                "--redirect-uri",
                "https://portal.example/cb#frag",
            ],
            "fragment",
        ),
        (&["--id", "x"], "--redirect-uri"),
        (&["--id", "bad id", "--redirect-uri", WEB_REDIRECT], "--id"),
        (
            &[
                "--id",
                "x",
                "--auth-method",
                "private_key_jwt",
                "--redirect-uri",
                WEB_REDIRECT,
            ],
            "--jwks-file",
        ),
    ];
    for (args, expected) in cases {
        let output = provider
            .command()
            .args(["client", "add"])
            .args(args)
            .output()
            .unwrap();
        let message = failed(&output);
        assert!(message.contains(expected), "{args:?}: {message}");
    }
    let output = provider.run(&["client", "add", "--id", "x", "--auth-method", "basic"]);
    assert_eq!(output.status.code(), Some(2), "usage errors exit with 2");
    assert!(stdout(&provider.run(&["client", "list"])).lines().count() == 1);
}

#[test]
fn client_remove_deletes_once() {
    let provider = Provider::new();
    succeeded(&provider.run(&[
        "client",
        "add",
        "--id",
        "gone",
        "--redirect-uri",
        WEB_REDIRECT,
    ]));
    succeeded(&provider.run(&["client", "remove", "gone"]));
    assert!(!stdout(&provider.run(&["client", "list"])).contains("gone"));
    assert!(failed(&provider.run(&["client", "remove", "gone"])).contains("no client"));
}

#[test]
fn r_pw_1_user_add_list_and_set_password_never_show_passwords() {
    let provider = Provider::new();
    let password = "first-password-1";
    let output = provider.run(&[
        "user",
        "add",
        "--username",
        "erika",
        "--password",
        password,
        "--email",
        "erika@example.org",
        "--email-verified",
        "--given-name",
        "Erika",
        "--family-name",
        "Mustermann",
        "--phone",
        "+4915112345678",
        "--totp-secret",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    ]);
    succeeded(&output);
    assert!(!stdout(&output).contains(password) && !stderr(&output).contains(password));

    let listed = stdout(succeeded(&provider.run(&["user", "list"])));
    assert!(listed.contains("erika\t"), "{listed}");
    assert!(
        listed.contains("erika@example.org\tyes\tErika Mustermann\t+4915112345678\tyes"),
        "{listed}"
    );
    assert!(!listed.contains(password) && !listed.contains("argon2"));

    let duplicate = provider.run(&["user", "add", "--username", "erika", "--password", password]);
    assert!(failed(&duplicate).contains("already exists"));

    let second = "second-password-2";
    let output = provider.run(&[
        "user",
        "set-password",
        "--username",
        "erika",
        "--password",
        second,
    ]);
    assert!(!stdout(succeeded(&output)).contains(second));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use pforte_identity::ports::{AccountStore, FactorStore};
        let app = provider.app().await;
        let account = app.store.find_by_username("erika").await.unwrap().unwrap();
        assert!(account.password_hash.starts_with("$argon2id$"));
        assert!(
            app.hasher
                .verify(second, &account.password_hash)
                .await
                .unwrap()
        );
        assert!(
            !app.hasher
                .verify(password, &account.password_hash)
                .await
                .unwrap()
        );
        assert!(account.email_verified);
        assert!(
            account.totp_secret_encrypted.is_none(),
            "legacy column unused"
        );
        let factors = app.store.factors(account.id).await.unwrap();
        assert_eq!(factors.len(), 1);
        let factor = &factors[0];
        assert_eq!(factor.method, pforte_types::Method::Totp);
        assert_eq!(factor.label, "CLI");
        assert!(factor.confirmed);
        let sealed = factor.secret_sealed.as_deref().unwrap();
        assert!(!sealed.windows(20).any(|w| w == b"12345678901234567890"));
        let seed = app
            .master
            .decrypt(
                sealed,
                pforte_identity::factor::seal_context(factor.id).as_bytes(),
            )
            .unwrap();
        assert_eq!(seed, b"12345678901234567890");
        // An authenticator app with this seed produces codes the login accepts.
        let secret = pforte_factors::totp::TotpSecret::from_bytes(&seed).unwrap();
        let now = chrono::Utc::now();
        let code = pforte_factors::totp::TotpParams::default()
            .code_at(&secret, now)
            .unwrap();
        assert!(pforte_factors::totp::verify(&secret, &code, now, None).is_ok());
        let trail = app
            .identity
            .audit_events(Some("erika"), None)
            .await
            .unwrap();
        assert!(
            trail
                .iter()
                .any(|event| event.kind == pforte_identity::AuditKind::FactorEnrolled)
        );
    });

    let unknown = provider.run(&[
        "user",
        "set-password",
        "--username",
        "nobody",
        "--password",
        second,
    ]);
    assert!(failed(&unknown).contains("no user"));
}

#[test]
fn user_add_rejects_bad_input_without_echoing_secrets() {
    let provider = Provider::new();
    let short = "pw";
    let message = failed(&provider.run(&["user", "add", "--username", "a", "--password", short]));
    assert!(message.contains("--password"), "{message}");
    let seed = "JBSWY3DPEHPK3PXP";
    let message = failed(&provider.run(&[
        "user",
        "add",
        "--username",
        "a",
        "--password",
        "long-enough-1",
        "--totp-secret",
        seed,
    ]));
    assert!(
        message.contains("--totp-secret") && !message.contains(seed),
        "{message}"
    );
    let message = failed(&provider.run(&[
        "user",
        "add",
        "--username",
        "a",
        "--password",
        "long-enough-1",
        "--email",
        "nope",
    ]));
    assert!(message.contains("--email"), "{message}");
    assert_eq!(stdout(&provider.run(&["user", "list"])).lines().count(), 1);
}

#[test]
fn r_op_1_user_show_lists_factors_and_an_operator_removes_one() {
    let provider = Provider::new();
    succeeded(&provider.run(&[
        "user",
        "add",
        "--username",
        "erika",
        "--password",
        "first-password-1",
        "--totp-secret",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    ]));
    let shown = stdout(succeeded(&provider.run(&["user", "show", "erika"])));
    assert!(shown.contains("recovery_codes_left: 0"), "{shown}");
    assert!(shown.contains("factors: 1"), "{shown}");
    assert!(
        shown.contains("FACTOR_ID\tMETHOD\tLABEL\tCONFIRMED\tCREATED\tLAST_USED"),
        "{shown}"
    );
    let row = shown
        .lines()
        .find(|line| line.contains("\ttotp\tCLI\tyes\t"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(row.ends_with("\t-"), "never used: {row}");
    let factor_id = row.split('\t').next().unwrap().to_owned();
    assert!(!shown.contains("GEZDGNBV"), "the seed is never printed");

    let unknown = provider.run(&["user", "factors", "remove", "erika", "not-an-id"]);
    assert!(failed(&unknown).contains("FACTOR_ID"));
    let other = uuid::Uuid::now_v7().to_string();
    let missing = provider.run(&["user", "factors", "remove", "erika", &other]);
    assert!(failed(&missing).contains("has no factor"));
    let nobody = provider.run(&["user", "factors", "remove", "nobody", &factor_id]);
    assert!(failed(&nobody).contains("no user"));

    let removed = stdout(succeeded(
        &provider.run(&["user", "factors", "remove", "erika", &factor_id]),
    ));
    assert!(
        removed.contains(&factor_id) && removed.contains("removed"),
        "{removed}"
    );
    let shown = stdout(succeeded(&provider.run(&["user", "show", "erika"])));
    assert!(shown.contains("factors: 0"), "{shown}");
    let again = provider.run(&["user", "factors", "remove", "erika", &factor_id]);
    assert!(failed(&again).contains("has no factor"));

    let trail = stdout(succeeded(
        &provider.run(&["audit", "list", "--user", "erika"]),
    ));
    assert!(trail.contains("factor_enrolled"), "{trail}");
    assert!(trail.contains("factor_removed"), "{trail}");
    assert!(trail.contains("by=operator"), "{trail}");
}

#[test]
fn keys_rotate_changes_the_active_kids_and_keeps_the_previous_in_jwks() {
    let provider = Provider::new();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let before = runtime.block_on(async { provider.app().await.keys.current().active_kids() });

    let output = provider.run(&["keys", "rotate"]);
    let printed = stdout(succeeded(&output));
    let mut printed_kids: Vec<String> = printed
        .lines()
        .map(|line| line.split('\t').nth(1).unwrap().to_owned())
        .collect();
    printed_kids.sort();
    assert_eq!(printed.lines().count(), 4, "{printed}");
    assert!(printed.starts_with("RS256\t"));

    runtime.block_on(async {
        let keys = provider.app().await.keys.current();
        let after = keys.active_kids();
        assert_eq!(after, printed_kids);
        assert!(before.iter().all(|kid| !after.contains(kid)));
        let jwks: serde_json::Value = serde_json::from_slice(&keys.jwks()).unwrap();
        let published: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|key| key["kid"].as_str().unwrap())
            .collect();
        for kid in before.iter().chain(after.iter()) {
            assert!(published.contains(&kid.as_str()), "{kid} not in JWKS");
        }
    });
}

/// RFC 6749 2.3.1: client id and secret, form-encoded, joined by a colon.
fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    format!("Basic {encoded}")
}

fn params(pairs: &[(&str, &str)]) -> pforte_oauth::Params {
    pforte_oauth::Params::new(
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
    )
}

#[test]
fn rfc6749_4_4_clients_added_by_the_cli_get_tokens_with_their_secret() {
    let provider = Provider::new();
    let output = provider.run(&[
        "client",
        "add",
        "--id",
        "batch",
        "--grant-type",
        "client_credentials",
        "--scope",
        "claims:read",
    ]);
    let secret = stdout(succeeded(&output))
        .lines()
        .find_map(|line| line.strip_prefix("client_secret: "))
        .unwrap()
        .to_owned();
    let given = "operator-chosen-secret-0123456789abcdef";
    succeeded(&provider.run(&[
        "client",
        "add",
        "--id",
        "poster",
        "--auth-method",
        "client_secret_post",
        "--secret",
        given,
        "--grant-type",
        "client_credentials",
    ]));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = provider.app().await;
        let grant = params(&[
            ("grant_type", "client_credentials"),
            ("scope", "claims:read"),
        ]);
        let response = app
            .provider
            .token(&grant, Some(&basic("batch", &secret)))
            .await
            .unwrap();
        assert_eq!(response.scope, "claims:read");
        let wrong = app
            .provider
            .token(&grant, Some(&basic("batch", "not-the-secret")))
            .await
            .unwrap_err();
        assert_eq!(wrong.code.as_str(), "invalid_client");

        let posted = params(&[
            ("grant_type", "client_credentials"),
            ("client_id", "poster"),
            ("client_secret", given),
        ]);
        assert!(app.provider.token(&posted, None).await.is_ok());
    });
}

/// A plain HTTP/1.1 GET; `None` while nothing answers.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    (!response.is_empty()).then_some(response)
}

/// Starts `pforte serve` on a free port and stops it with SIGTERM; returns
/// what it printed.
fn serve_once(provider: &Provider) -> Output {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = provider
        .command()
        .arg("serve")
        .env("PFORTE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PFORTE_ISSUER", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        if let Some(response) = http_get(port, "/healthz") {
            break response;
        }
        assert!(Instant::now() < deadline, "pforte serve did not answer");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("ok"), "{health}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    succeeded(&output);
    output
}

#[cfg(unix)]
#[test]
fn serve_prints_demo_credentials_on_first_start_only_and_stops_on_sigterm() {
    let provider = Provider::with_settings("demo = true");
    let first = serve_once(&provider);
    let printed = stdout(&first);
    assert!(printed.contains("client_id:      demo-portal"), "{printed}");
    let secret = printed
        .lines()
        .find_map(|line| line.trim().strip_prefix("client_secret:"))
        .unwrap()
        .trim()
        .to_owned();
    let password = printed
        .lines()
        .find_map(|line| line.trim().strip_prefix("password:"))
        .unwrap()
        .trim()
        .to_owned();
    assert!(printed.contains("/authorize?response_type=code&client_id=demo-portal"));
    assert!(printed.contains("code_challenge_method=S256"));

    let second = serve_once(&provider);
    let again = format!("{}{}", stdout(&second), stderr(&second));
    assert!(
        !again.contains(&secret) && !again.contains(&password),
        "{again}"
    );
    assert!(!stdout(&second).contains("client_secret"));
}

#[test]
fn serve_with_a_missing_theme_fails_before_printing_demo_credentials() {
    let provider = Provider::with_settings("demo = true");
    let output = provider
        .command()
        .arg("serve")
        .env("PFORTE_THEMES_DIR", provider.dir.path().join("no-themes"))
        .env("PFORTE_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    let message = failed(&output);
    assert!(message.contains("themes_dir"), "{message}");
    assert!(!stdout(&output).contains("client_secret"));
}

#[path = "cli/letters.rs"]
mod letters;

#[path = "cli/lockout.rs"]
mod lockout;

#[path = "cli/members.rs"]
mod members;

#[path = "cli/outbox.rs"]
mod outbox;

#[path = "cli/session.rs"]
mod session;

/// R-OP-3: `/health/ready` answers on the public listener, `/metrics` only on
/// `ops.metrics_listen`, and SIGTERM stops both cleanly.
#[cfg(unix)]
#[test]
fn r_op_3_serve_exposes_metrics_only_on_the_metrics_listener() {
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (port, metrics_port) = (free_port(), free_port());
    let provider = Provider::with_settings("demo = false");
    let child = provider
        .command()
        .arg("serve")
        .env("PFORTE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PFORTE_ISSUER", format!("http://127.0.0.1:{port}"))
        .env(
            "PFORTE_OPS__METRICS_LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        )
        .env("PFORTE_LOG__FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = loop {
        if let Some(response) = http_get(port, "/health/ready") {
            break response;
        }
        assert!(Instant::now() < deadline, "pforte serve did not answer");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(
        ready.ends_with(r#"{"status":"ready","checks":{"database":"ok"}}"#),
        "{ready}"
    );
    let public = http_get(port, "/metrics").unwrap();
    assert!(public.starts_with("HTTP/1.1 404"), "{public}");
    let metrics = http_get(metrics_port, "/metrics").unwrap();
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains(
            r#"pforte_http_requests_total{route="/health/ready",method="GET",status_class="2xx"}"#
        ),
        "{metrics}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    succeeded(&output);
    let log = stderr(&output);
    let last = log.lines().last().unwrap();
    let line: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(line["fields"]["message"], "Pforte stopped", "{log}");
}

/// `pforte user add --birthdate` (OIDC Core 5.1 `birthdate`, R-RG-5): a date
/// as `YYYY-MM-DD`, anything else refused before anything is stored.
#[test]
fn r_rg_5_user_add_takes_a_birthdate_as_iso_date() {
    let provider = Provider::new();
    let base = [
        "user",
        "add",
        "--username",
        "erika",
        "--password",
        "richtig-und-lang-genug",
    ];
    let refused = provider.run(&[&base[..], &["--birthdate", "02.04.1980"]].concat());
    assert!(failed(&refused).contains("--birthdate"));
    assert!(!stdout(&provider.run(&["user", "list"])).contains("erika"));
    succeeded(&provider.run(&[&base[..], &["--birthdate", "1980-04-02"]].concat()));
    assert!(stdout(&provider.run(&["user", "list"])).contains("erika"));
}

#[path = "cli/operator.rs"]
mod operator;
