//! Providers for the second-factor cases (issue 4: R-MF, R-AC, R-RG-7).
//!
//! Every case gets a fresh provider under libfaketime: a TOTP time step is
//! accepted once per factor (R-MF-3), so a second proof needs the next step,
//! and the test moves the provider's clock instead of waiting 30 seconds.
//! Codes sent by SMS or e-mail stay in the dev outbox and are read with
//! `pforte outbox list --json`, the way an operator trying the provider would.
//! TOTP codes are computed from the manual key the enrolment page shows, as
//! an authenticator app does (RFC 6238).
//!
//! [`Person`] plays a user without a browser: the login form, the enrolment
//! of an authenticator app, the recovery codes, the code page and consent.

use super::fixture::{AuthKind, ClientSpec, NATIVE_REDIRECT, PASSWORD, WEB_REDIRECT, secret_for};
use super::forms::element_text;
use super::http::{Arrival, Page, UserAgent};
use super::rp::{AuthResponse, Request, Rp};
use super::server::Server;
use openidconnect::core::CoreIdTokenClaims;
use pforte_factors::totp::{TotpParams, TotpSecret};
use std::path::PathBuf;
use url::Url;

/// The confidential client (client_secret_basic) of every factor provider.
pub const WEB: &str = "factor-web";
/// A public native client (PKCE, loopback redirect on any port) for Chromium.
pub const NATIVE: &str = "factor-native";

/// One TOTP time step (RFC 6238 4.1, the default `X`).
pub const TIME_STEP_SECS: u64 = 30;

/// A stopped provider with a movable clock and both clients; with `policy`,
/// the preset `config/policies/<policy>.toml` is its policy file. `None`
/// when libfaketime is missing outside CI (the case is then skipped).
pub fn prepare(policy: Option<&str>) -> Option<Server> {
    let server = Server::prepare_with_movable_clock()?;
    if let Some(name) = policy {
        let path = repository_root()
            .join("config/policies")
            .join(format!("{name}.toml"));
        assert!(path.is_file(), "no policy preset {}", path.display());
        server.prepend_config(&format!("policy_file = {:?}\n", path.display().to_string()));
    }
    let secret = secret_for(WEB);
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        WEB,
        "--secret",
        &secret,
        "--redirect-uri",
        WEB_REDIRECT,
    ]);
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        NATIVE,
        "--auth-method",
        "none",
        "--application-type",
        "native",
        "--redirect-uri",
        NATIVE_REDIRECT,
    ]);
    Some(server)
}

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `pforte user add --username U --password P` (plus extra flags).
pub fn add_user(server: &Server, username: &str, password: &str, extra: &[&str]) {
    let mut args = vec![
        "user",
        "add",
        "--username",
        username,
        "--password",
        password,
    ];
    args.extend_from_slice(extra);
    server.cli_ok(&args);
}

/// The confidential client as a relying party of the `openidconnect` crate.
pub async fn web_rp(server: &Server) -> Rp {
    let spec = ClientSpec {
        id: WEB,
        auth: AuthKind::SecretBasic,
        redirect_uri: WEB_REDIRECT,
        secret: Some(secret_for(WEB)),
        id_token_alg: "RS256",
    };
    Rp::for_issuer(&server.issuer, spec).await
}

/// The native client as a relying party (PKCE S256).
pub async fn native_rp(server: &Server) -> Rp {
    let spec = ClientSpec {
        id: NATIVE,
        auth: AuthKind::None,
        redirect_uri: NATIVE_REDIRECT,
        secret: None,
        id_token_alg: "RS256",
    };
    Rp::for_issuer(&server.issuer, spec).await
}

/// The code an authenticator app with `manual_key` shows now, on the
/// provider's (moved) clock.
pub fn totp_now(server: &Server, manual_key: &str) -> String {
    let secret = TotpSecret::from_base32(manual_key)
        .unwrap_or_else(|error| panic!("the manual key {manual_key:?} is not base32: {error:?}"));
    let offset = i64::try_from(server.clock_offset_secs()).unwrap();
    let now = chrono::Utc::now() + chrono::TimeDelta::seconds(offset);
    TotpParams::default().code_at(&secret, now).unwrap()
}

/// Moves the provider's clock into the next TOTP time step: the step of the
/// last proof counts once (R-MF-3).
pub fn next_time_step(server: &Server) {
    server.advance_clock(TIME_STEP_SECS);
}

/// The newest message in the dev outbox to `to`, as `pforte outbox list
/// --json` prints it.
pub fn newest_message(server: &Server, to: &str) -> serde_json::Value {
    let output = server.cli_ok(&["outbox", "list", "--to", to, "--limit", "1", "--json"]);
    let line = output
        .stdout
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_else(|| panic!("no message to {to} in the outbox"));
    serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"))
}

/// The one-time code of the newest message to `to`, with its template.
pub fn outbox_code(server: &Server, to: &str) -> (String, String) {
    let message = newest_message(server, to);
    let template = message["template"].as_str().unwrap_or_default().to_owned();
    let code = message["params"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code in {message}"))
        .to_owned();
    (template, code)
}

/// The `acr` of verified ID token claims.
pub fn acr(claims: &CoreIdTokenClaims) -> String {
    claims
        .auth_context_ref()
        .map(|acr| acr.as_str().to_owned())
        .unwrap_or_default()
}

/// The `amr` values of verified ID token claims, in token order.
pub fn amr(claims: &CoreIdTokenClaims) -> Vec<String> {
    claims
        .auth_method_refs()
        .map(|values| values.iter().map(|amr| amr.as_str().to_owned()).collect())
        .unwrap_or_default()
}

/// `auth_time` in seconds since the epoch.
pub fn auth_time(claims: &CoreIdTokenClaims) -> i64 {
    claims
        .auth_time()
        .expect("ID token without auth_time")
        .timestamp()
}

/// A user at the provider's pages with a cookie-keeping user agent, a
/// password and, once enrolled, an authenticator app.
pub struct Person<'a> {
    pub server: &'a Server,
    pub agent: UserAgent,
    pub username: String,
    pub password: String,
    /// The manual key of the enrolled authenticator app.
    pub manual_key: Option<String>,
}

/// One walk through the pages: the pages the person had to act on, in
/// order, and the answer the relying party got.
#[derive(Debug)]
pub struct Run {
    pub pages: Vec<&'static str>,
    pub response: AuthResponse,
}

impl<'a> Person<'a> {
    pub fn new(server: &'a Server, username: &str) -> Person<'a> {
        Person {
            server,
            agent: UserAgent::new(&server.issuer),
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
            manual_key: None,
        }
    }

    /// Opens `url` and acts on every page until the provider answers the
    /// relying party. Enrolment chooses the authenticator app.
    pub async fn authorize(&mut self, url: &str) -> Run {
        let mut page = self.agent.get(url).await;
        let mut pages = Vec::new();
        for _ in 0..16 {
            let stopped = match self.agent.follow(page).await {
                Arrival::Redirect(target) => {
                    return Run {
                        pages,
                        response: response_at(&target),
                    };
                }
                Arrival::FormPost { action, params } => {
                    let logins = pages.iter().filter(|page| **page == "login").count();
                    return Run {
                        pages,
                        response: AuthResponse {
                            target: action.to_string(),
                            params: params.into_iter().collect(),
                            form_post: true,
                            logins,
                        },
                    };
                }
                Arrival::Stopped(stopped) => stopped,
            };
            let (name, next) = self.act(&stopped).await;
            assert!(
                !(name == "login" && pages.last() == Some(&"login")),
                "the login form came back after the right password ({pages:?}): {}",
                stopped.describe()
            );
            pages.push(name);
            page = next;
        }
        panic!("no answer to the relying party after 16 pages: {pages:?}");
    }

    /// Recognises a page and acts on it; returns its name and the answer.
    async fn act(&mut self, page: &Page) -> (&'static str, Page) {
        assert_eq!(page.status, reqwest::StatusCode::OK, "{}", page.describe());
        let has = |id: &str| page.body.contains(&format!("id=\"{id}\""));
        if page.is_login_page() {
            let form = form_with(page, |form| form.has_field("password"));
            let next = self
                .agent
                .submit(
                    page,
                    &form,
                    &[
                        ("username", &self.username),
                        ("password", &self.password),
                        ("action", "login"),
                    ],
                )
                .await;
            return ("login", next);
        }
        if has("recovery-codes") {
            let form = form_with(page, |form| {
                form.action.as_deref() == Some("/login/continue")
            });
            return ("recovery-codes", self.agent.submit(page, &form, &[]).await);
        }
        if has("enrol-manual-key") {
            let key = element_text(&page.body, "id", "enrol-manual-key").unwrap();
            let code = totp_now(self.server, &key);
            self.manual_key = Some(key);
            let form = form_with(page, |form| form.has_field("code"));
            let next = self
                .agent
                .submit(page, &form, &[("code", &code), ("action", "confirm")])
                .await;
            return ("enrol-totp", next);
        }
        if page.url.path() == "/login/enrol" && has("enrol-totp") {
            let form = form_with(page, |form| {
                form.input("method").and_then(|input| input.attr("value")) == Some("totp")
            });
            let next = self.agent.submit(page, &form, &[("action", "start")]).await;
            return ("enrol", next);
        }
        if page.url.path() == "/login/factor" {
            let form = form_with(page, |form| form.has_field("code"));
            let method = form.input("method").and_then(|input| input.attr("value"));
            assert_eq!(method, Some("totp"), "{}", page.describe());
            let key = self.manual_key.clone().unwrap_or_else(|| {
                panic!("asked for a code without a factor: {}", page.describe())
            });
            next_time_step(self.server);
            let code = totp_now(self.server, &key);
            let next = self
                .agent
                .submit(page, &form, &[("code", &code), ("action", "verify")])
                .await;
            return ("factor", next);
        }
        if page.is_consent_page() {
            let form = form_with(page, |form| form.has_button("decision", "allow"));
            let next = self
                .agent
                .submit(page, &form, &[("decision", "allow")])
                .await;
            return ("consent", next);
        }
        panic!("a page the person cannot act on: {}", page.describe());
    }
}

fn form_with(page: &Page, wanted: impl Fn(&super::forms::Form) -> bool) -> super::forms::Form {
    page.forms()
        .into_iter()
        .find(|form| wanted(form))
        .unwrap_or_else(|| panic!("no such form: {}", page.describe()))
}

fn response_at(target: &Url) -> AuthResponse {
    let params = target
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut base = target.clone();
    base.set_query(None);
    AuthResponse {
        target: base.to_string(),
        params,
        form_post: false,
        logins: 0,
    }
}

/// A finished login of [`login`]: verified claims and the pages it took.
pub struct Login {
    pub claims: CoreIdTokenClaims,
    pub run: Run,
}

/// The whole code flow of `rp` for `person`: authorization URL, the pages,
/// callback checks (state, RFC 9207 iss), code exchange and ID token
/// verification by the `openidconnect` crate.
pub async fn login(rp: &Rp, person: &mut Person<'_>, request: &Request<'_>) -> Login {
    let started = rp.start(request);
    let run = person.authorize(started.url.as_str()).await;
    assert_eq!(
        run.response.get("state"),
        Some(started.state.secret().as_str()),
        "state not echoed"
    );
    assert_eq!(run.response.get("iss"), Some(rp.issuer.as_str()), "iss");
    let code = run.response.code().to_owned();
    let tokens = rp
        .redeem(&code, started.verifier, request.redirect_uri.as_deref())
        .await
        .unwrap_or_else(|error| panic!("code exchange failed: {error}"));
    let claims = rp.verify(&tokens, &started.nonce);
    Login { claims, run }
}
