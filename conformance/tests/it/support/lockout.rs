//! Providers with a password and lockout policy (issue 3): a policy file in
//! the `config/policies/*.toml` format written next to the data directory and
//! named by `policy_file`, a confidential and a native client, and helpers to
//! try a login, read `pforte user show` and `pforte audit list`.

use super::fixture::{NATIVE_REDIRECT, WEB_REDIRECT, secret_for};
use super::forms::element_text;
use super::http::{Page, UserAgent, plain_client};
use super::raw::basic;
use super::rp::{AuthResponse, Walk, walk, walk_from};
use super::server::Server;
use reqwest::StatusCode;
use std::collections::BTreeMap;
use url::Url;

/// The confidential client of every policy server.
pub const CLIENT: &str = "lockout-web";
/// A public native client (PKCE, loopback redirect on any port) for Chromium.
pub const NATIVE_CLIENT: &str = "lockout-native";

/// What happens on an attempt during a lock (`lockout.during_lock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuringLock {
    Ignore,
    Extend,
    Deactivate,
}

impl DuringLock {
    fn as_str(self) -> &'static str {
        match self {
            DuringLock::Ignore => "ignore",
            DuringLock::Extend => "extend",
            DuringLock::Deactivate => "deactivate",
        }
    }
}

/// The numbers of a test policy.
#[derive(Debug, Clone, Copy)]
pub struct Lockout {
    pub max_failures: u32,
    pub lock_secs: u64,
    pub during_lock: DuringLock,
}

/// Five failures lock for ten minutes, as in the seed rule set but shorter.
pub const FIVE_FAILURES: u32 = 5;
pub const LOCK_SECS: u64 = 600;

/// A policy in the format of `config/policies/*.toml`: self-chosen usernames
/// and KVNR, at least 12 characters from 3 of 4 classes, the common-password
/// list, initial passwords changed at first login, cheap hashing for the
/// tests, and per-IP/per-network throttling off so that only the account
/// lockout decides (all test requests come from 127.0.0.1).
pub fn policy_toml(lockout: Lockout) -> String {
    format!(
        r#"# Written by the conformance tests.
name = "conformance-{during}"
description = "{max} failures lock for {secs}s, {during} during the lock"

[identifiers]
accepted = ["self_chosen", "kvnr"]
kvnr_lowercase = "normalise"
kvnr_suffix = "strip"

[password]
min_length = 12
max_length = 128
username = "not_contained"
email = "not_contained"
history = 0
initial_must_change = true

[password.composition]
rule = "at_least"
classes = ["upper", "lower", "digit", "special"]
at_least = 3

[password.blocklist]
common = true

[password.hashing]
memory_kib = 1024
iterations = 1
parallelism = 1

[lockout]
max_failures = {max}
lock_duration = "{secs}s"
during_lock = "{during}"
failure_cap = 100

[throttle]
per_ip = {{ enabled = false }}
per_network = {{ enabled = false }}
"#,
        max = lockout.max_failures,
        secs = lockout.lock_secs,
        during = lockout.during_lock.as_str(),
    )
}

/// Writes the policy file into the server's scratch directory and names it
/// in the configuration (`policy_file`, an absolute path).
pub fn use_policy(server: &Server, lockout: Lockout) -> std::path::PathBuf {
    let path = server.scratch().join("policy.toml");
    std::fs::write(&path, policy_toml(lockout)).unwrap();
    server.prepend_config(&format!("policy_file = {:?}\n", path.display().to_string()));
    path
}

/// Registers the two clients of a policy server.
pub fn add_clients(server: &Server) {
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        CLIENT,
        "--secret",
        &secret_for(CLIENT),
        "--redirect-uri",
        WEB_REDIRECT,
    ]);
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        NATIVE_CLIENT,
        "--auth-method",
        "none",
        "--application-type",
        "native",
        "--redirect-uri",
        NATIVE_REDIRECT,
    ]);
}

/// A fresh (stopped) provider with the given lockout, its clients and
/// nobody else; with `movable_clock`, `None` when libfaketime is missing
/// outside CI.
pub fn prepare(lockout: Lockout, movable_clock: bool) -> Option<Server> {
    let server = if movable_clock {
        Server::prepare_with_movable_clock()?
    } else {
        Server::prepare()
    };
    use_policy(&server, lockout);
    add_clients(&server);
    Some(server)
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

/// An authorization request of the confidential client.
pub fn authorize_url(server: &Server, extra: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", WEB_REDIRECT)
        .append_pair("state", "lockout-state")
        .append_pair("ui_locales", "en")
        .extend_pairs(extra);
    url.to_string()
}

/// The outcome of one login attempt through the HTML login form.
#[derive(Debug)]
pub enum Attempt {
    /// The provider answered the relying party.
    Answered(AuthResponse),
    /// The login form came back, with its `role="alert"` text.
    Refused { page: Page, alert: String },
    /// Another provider page (password change, error page).
    Elsewhere(Page),
}

impl Attempt {
    /// The alert text of a refused attempt; anything else fails the test.
    pub fn refused(self) -> String {
        match self {
            Attempt::Refused { alert, .. } => alert,
            Attempt::Answered(response) => panic!(
                "the login was accepted: {} {:?}",
                response.target, response.params
            ),
            Attempt::Elsewhere(page) => {
                panic!("expected the login form again, got {}", page.describe())
            }
        }
    }

    /// The code of an accepted login; anything else fails the test.
    pub fn code(self) -> String {
        match self {
            Attempt::Answered(response) => response.code().to_owned(),
            Attempt::Refused { alert, page } => {
                panic!("the login was refused ({alert}): {}", page.describe())
            }
            Attempt::Elsewhere(page) => panic!("the login stopped at {}", page.describe()),
        }
    }
}

fn classify(walked: Walk) -> Attempt {
    match walked {
        Walk::Done(response) => Attempt::Answered(response),
        Walk::Stuck { page } if page.is_login_page() => {
            let alert = element_text(&page.body, "role", "alert")
                .unwrap_or_else(|| panic!("login form without role=alert: {}", page.describe()))
                .trim()
                .to_owned();
            Attempt::Refused { page, alert }
        }
        Walk::Stuck { page } => Attempt::Elsewhere(page),
    }
}

/// A new user agent starts an authorization and submits the login form once.
pub async fn attempt(server: &Server, username: &str, password: &str) -> Attempt {
    let agent = UserAgent::new(&server.issuer);
    attempt_with(&agent, server, username, password).await
}

/// Like [`attempt`] with a given user agent (its cookies stay).
pub async fn attempt_with(
    agent: &UserAgent,
    server: &Server,
    username: &str,
    password: &str,
) -> Attempt {
    classify(
        walk(
            agent,
            &authorize_url(server, &[]),
            Some((username, password)),
        )
        .await,
    )
}

/// Continues a walk from a page (after the password change).
pub async fn continue_from(agent: &UserAgent, page: Page) -> Attempt {
    classify(walk_from(agent, page, None).await)
}

/// The login form of a fresh authorization, not yet submitted.
pub async fn login_form(agent: &UserAgent, server: &Server) -> Page {
    let page = walk(agent, &authorize_url(server, &[]), None).await.stuck();
    assert!(page.is_login_page(), "{}", page.describe());
    page
}

/// Submits the login form of `page` with the given credentials.
pub async fn submit_login(agent: &UserAgent, page: &Page, username: &str, password: &str) -> Page {
    let form = page
        .forms()
        .into_iter()
        .find(|form| form.has_field("password"))
        .unwrap();
    agent
        .submit(
            page,
            &form,
            &[("username", username), ("password", password)],
        )
        .await
}

/// Redeems a code of the confidential client at the token endpoint.
pub async fn redeem(server: &Server, code: &str) -> (StatusCode, serde_json::Value) {
    let response = plain_client()
        .post(server.url("/token"))
        .header("authorization", basic(CLIENT, &secret_for(CLIENT)))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", WEB_REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// `pforte user show U` as a map of its `key: value` lines.
pub fn user_show(server: &Server, username: &str) -> BTreeMap<String, String> {
    let output = server.cli_ok(&["user", "show", username]);
    let fields: BTreeMap<String, String> = output
        .stdout
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect();
    for key in ["username", "state", "failures", "locked_until"] {
        assert!(
            fields.contains_key(key),
            "`pforte user show {username}` has no `{key}:` line:\n{}",
            output.stdout
        );
    }
    fields
}

/// One line of `pforte audit list`.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub time: chrono::DateTime<chrono::FixedOffset>,
    pub kind: String,
    pub fields: BTreeMap<String, String>,
    pub line: String,
}

/// `pforte audit list [args…]`, parsed: RFC 3339 time, the kind, then
/// ` key=value` pairs, where a value with a space, `"` or `=` is a JSON
/// string (docs/events.md).
pub fn audit_list(server: &Server, args: &[&str]) -> Vec<AuditEvent> {
    let mut full = vec!["audit", "list"];
    full.extend_from_slice(args);
    let output = server.cli_ok(&full);
    output
        .stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(parse_audit_line)
        .collect()
}

fn parse_audit_line(line: &str) -> AuditEvent {
    let (time, rest) = line
        .split_once(' ')
        .unwrap_or_else(|| panic!("audit line without a kind: {line}"));
    let time = chrono::DateTime::parse_from_rfc3339(time)
        .unwrap_or_else(|error| panic!("audit line without RFC 3339 time ({error}): {line}"));
    let (kind, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut fields = BTreeMap::new();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .unwrap_or_else(|| panic!("audit field without `=` in: {line}"));
        let (value, after) = if after.starts_with('"') {
            let mut escaped = false;
            let end = after
                .char_indices()
                .skip(1)
                .find(|(_, character)| {
                    let closes = *character == '"' && !escaped;
                    escaped = *character == '\\' && !escaped;
                    closes
                })
                .map(|(index, _)| index)
                .unwrap_or_else(|| panic!("unterminated quoted value in: {line}"));
            let value: String = serde_json::from_str(&after[..=end])
                .unwrap_or_else(|error| panic!("bad quoted value ({error}) in: {line}"));
            (value, &after[end + 1..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_owned(), &after[end..])
        };
        fields.insert(key.trim().to_owned(), value);
        rest = after.trim_start();
    }
    AuditEvent {
        time,
        kind: kind.to_owned(),
        fields,
        line: line.to_owned(),
    }
}

#[test]
fn audit_lines_with_quoted_values_split_into_fields() {
    let event = parse_audit_line(
        r#"2026-12-01T09:30:12Z login_failed username=erika user_agent="Mozilla/5.0 (X11; \"x\")" detail="wrong_password failures=2 remaining=3""#,
    );
    assert_eq!(event.kind, "login_failed");
    assert_eq!(event.fields["username"], "erika");
    assert_eq!(event.fields["user_agent"], r#"Mozilla/5.0 (X11; "x")"#);
    assert_eq!(
        event.fields["detail"],
        "wrong_password failures=2 remaining=3"
    );
    let bare =
        parse_audit_line("2026-12-01T09:30:12Z account_locked detail=until=2026-12-02T09:31:40Z");
    assert_eq!(bare.fields["detail"], "until=2026-12-02T09:31:40Z");
}

/// The kinds of the audit events of one user, oldest first as listed.
pub fn audit_kinds(server: &Server, username: &str) -> Vec<String> {
    audit_list(server, &["--user", username])
        .into_iter()
        .map(|event| event.kind)
        .collect()
}

/// How often `kind` occurs.
pub fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|each| *each == kind).count()
}
