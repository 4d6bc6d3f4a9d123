//! R-OP-5: three provider processes behind HAProxy on one PostgreSQL database
//! and one Redis, started by `deploy/local-cluster.sh` exactly as an operator
//! would start the local cluster. Every node has the load balancer's URL as
//! issuer and the same master key; the tests talk to single nodes by port and
//! to the load balancer:
//!
//! - a login started on node 1 finishes there, its code is redeemed on node 2
//!   and the refresh token used on node 3 (and the same through HAProxy);
//! - parallel wrong passwords spread over the nodes count exactly
//!   `max_failures` and lock the account on every node;
//! - a node killed while a login is in progress: the login finishes on
//!   another node;
//! - Redis restarted: sessions are gone, users see the login page again;
//! - `pforte keys rotate` against the database: every node serves the new
//!   JWKS within `keys.reload_interval_secs`.
//!
//! Needs `haproxy`, PostgreSQL at `PFORTE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`; each cluster gets a database of
//! its own, dropped afterwards) with `psql`, and `redis-server`: the tests
//! start a Redis of their own on a free port, never touching a shared one.
//! Missing: skipped with a printed reason, a failure under `CI=true`.
//! The health check path HAProxy uses is `PFORTE_CLUSTER_HEALTH_PATH`
//! (the script's default unless set).

use crate::support::PASSWORD;
use crate::support::fixture::{AuthKind, ClientSpec, WEB_REDIRECT, secret_for};
use crate::support::forms::element_text;
use crate::support::http::{Page, UserAgent, plain_client};
use crate::support::jwt::peek;
use crate::support::lockout::{CLIENT, DuringLock, Lockout, policy_toml};
use crate::support::raw::basic;
use crate::support::rp::{Request, Rp};
use crate::support::server::{BINARY, free_port, report_skip};
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const NODES: usize = 3;
const MAX_FAILURES: u32 = 5;
/// `keys.reload_interval_secs` of the test cluster: the bound a rotation must
/// meet, plus up to 5 s for one reload and the JWKS requests on a busy
/// machine.
const KEY_RELOAD_SECS: u64 = 2;

/// One cluster at a time: each test starts its own (three nodes, HAProxy,
/// Redis) and the machine has few cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn skip_or_fail<T>(reason: &str) -> Option<T> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the cluster tests need haproxy, PostgreSQL and Redis under CI=true: {reason}");
    }
    report_skip(&format!("cluster tests: {reason}"));
    None
}

fn found(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn listening(port: u16) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&address, Duration::from_millis(300)).is_ok()
}

/// Waits until `ready` holds, for another process to come up or to pick
/// something up; fails after `limit`.
fn poll_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A Redis server of the test's own, on a free port, without persistence:
/// restarting it is a flush.
struct OwnRedis {
    port: u16,
    process: Mutex<Option<Child>>,
}

impl OwnRedis {
    fn start() -> OwnRedis {
        let redis = OwnRedis {
            port: free_port(),
            process: Mutex::new(None),
        };
        redis.spawn();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        *self.process.lock().unwrap() = Some(child);
        poll_until("redis-server answers", Duration::from_secs(20), || {
            listening(self.port)
        });
    }

    fn stop(&self) {
        if let Some(mut child) = self.process.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A restart of a Redis without persistence: everything it held is gone.
    fn restart(&self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The running cluster; `destroy` (stop, drop the database, delete the run
/// directory) when dropped.
struct Cluster {
    run_dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    issuer: String,
    node_ports: Vec<u16>,
    redis: OwnRedis,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("deploy/local-cluster.sh")
}

impl Cluster {
    /// Starts a cluster, or says why it cannot (`None` outside CI).
    fn start() -> Option<Cluster> {
        for (program, package) in [
            ("haproxy", "haproxy"),
            ("psql", "postgresql-client"),
            ("redis-server", "redis-server"),
            ("curl", "curl"),
        ] {
            if !found(program) {
                return skip_or_fail(&format!(
                    "{program} not found (apt-get install -y {package})"
                ));
            }
        }
        let admin_url = std::env::var("PFORTE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let parsed = Url::parse(&admin_url).unwrap();
        let postgres_port = parsed.port().unwrap_or(5432);
        if !listening(postgres_port) {
            return skip_or_fail(&format!(
                "nothing answers at PostgreSQL 127.0.0.1:{postgres_port}"
            ));
        }
        // The server's URL without the database: the script adds its own.
        let mut server_url = parsed.clone();
        server_url.set_path("");
        let server_url = server_url.as_str().trim_end_matches('/').to_owned();

        let redis = OwnRedis::start();
        let run_dir = tempfile::tempdir().unwrap();
        let policy = run_dir.path().join("policy.toml");
        std::fs::write(
            &policy,
            policy_toml(Lockout {
                max_failures: MAX_FAILURES,
                lock_secs: 3600,
                during_lock: DuringLock::Ignore,
            }),
        )
        .unwrap();
        let extra = run_dir.path().join("extra.toml");
        std::fs::write(&extra, "[log]\nlevel = \"warn\"\n").unwrap();
        let lb_port = free_port();
        let node_ports: Vec<u16> = (0..NODES).map(|_| free_port()).collect();
        let database = format!("pforte_cluster_{}", uuid::Uuid::new_v4().simple());
        let mut env = vec![
            ("PFORTE_BIN", BINARY.to_owned()),
            (
                "PFORTE_CLUSTER_DIR",
                run_dir.path().join("run").display().to_string(),
            ),
            ("PFORTE_CLUSTER_LB_PORT", lb_port.to_string()),
            (
                "PFORTE_CLUSTER_NODE_PORTS",
                node_ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            ("PFORTE_CLUSTER_POSTGRES_URL", server_url),
            ("PFORTE_CLUSTER_DB", database),
            ("PFORTE_CLUSTER_REDIS_URL", redis.url()),
            ("PFORTE_CLUSTER_REDIS_PREFIX", "pforte-test".to_owned()),
            (
                "PFORTE_CLUSTER_KEY_RELOAD_SECS",
                KEY_RELOAD_SECS.to_string(),
            ),
            ("PFORTE_CLUSTER_POLICY_FILE", policy.display().to_string()),
            ("PFORTE_CLUSTER_EXTRA_CONFIG", extra.display().to_string()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect::<Vec<_>>();
        if let Ok(path) = std::env::var("PFORTE_CLUSTER_HEALTH_PATH") {
            env.push(("PFORTE_CLUSTER_HEALTH_PATH".to_owned(), path));
        }
        let cluster = Cluster {
            run_dir,
            env,
            issuer: format!("http://127.0.0.1:{lb_port}"),
            node_ports,
            redis,
        };
        cluster.script_ok(&["start"]);
        cluster.cli_ok(&[
            "client",
            "add",
            "--id",
            CLIENT,
            "--secret",
            &secret_for(CLIENT),
            "--redirect-uri",
            WEB_REDIRECT,
        ]);
        Some(cluster)
    }

    fn script(&self, args: &[&str]) -> std::process::Output {
        Command::new("bash")
            .arg(script())
            .args(args)
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn script_ok(&self, args: &[&str]) -> String {
        let output = self.script(args);
        assert!(
            output.status.success(),
            "`local-cluster.sh {}` failed\nstdout: {}\nstderr: {}\nlogs:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.logs()
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// `pforte ARGS` against the cluster's database (node 1's configuration).
    fn cli_ok(&self, args: &[&str]) -> String {
        let mut full = vec!["cli"];
        full.extend_from_slice(args);
        self.script_ok(&full)
    }

    fn add_user(&self, username: &str) {
        self.cli_ok(&[
            "user",
            "add",
            "--username",
            username,
            "--password",
            PASSWORD,
        ]);
    }

    fn user_show(&self, username: &str) -> BTreeMap<String, String> {
        self.cli_ok(&["user", "show", username])
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
            .collect()
    }

    fn logs(&self) -> String {
        let run = self.run_dir.path().join("run");
        let mut text = String::new();
        for name in ["node1.log", "node2.log", "node3.log", "haproxy.log"] {
            let content = std::fs::read_to_string(run.join(name)).unwrap_or_default();
            let tail: Vec<&str> = content.lines().rev().take(20).collect();
            text.push_str(&format!("--- {name}\n"));
            for line in tail.into_iter().rev() {
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }

    /// Node `number` (1-based) addressed directly.
    fn node(&self, number: usize) -> u16 {
        self.node_ports[number - 1]
    }

    fn node_url(&self, number: usize, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.node(number))
    }

    fn spec(&self) -> ClientSpec {
        ClientSpec {
            id: CLIENT,
            auth: AuthKind::SecretBasic,
            redirect_uri: WEB_REDIRECT,
            secret: Some(secret_for(CLIENT)),
            id_token_alg: "RS256",
        }
    }

    /// An authorization request of the confidential client, at the load
    /// balancer (`issuer`) or at one node.
    fn authorize_url(&self, base: &str) -> String {
        let mut url = Url::parse(&format!("{base}/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", CLIENT)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid")
            .append_pair("redirect_uri", WEB_REDIRECT)
            .append_pair("state", "cluster-state")
            .append_pair("nonce", "cluster-nonce")
            .append_pair("ui_locales", "en");
        url.to_string()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let output = self.script(&["destroy"]);
        if !output.status.success() {
            eprintln!(
                "local-cluster.sh destroy failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// A browser stand-in for a cluster: one cookie jar for the host (cookies do
/// not depend on the port, RFC 6265 8.5), and every provider URL it is sent
/// to (the issuer's or any node's) goes to the node it is pointed at, as a
/// load balancer would choose.
struct Browser {
    http: reqwest::Client,
    jar: Mutex<BTreeMap<String, String>>,
    ports: Vec<u16>,
    target: Mutex<u16>,
}

impl Browser {
    fn new(cluster: &Cluster, target: u16) -> Browser {
        let mut ports = cluster.node_ports.clone();
        ports.push(Url::parse(&cluster.issuer).unwrap().port().unwrap());
        Browser {
            http: plain_client(),
            jar: Mutex::new(BTreeMap::new()),
            ports,
            target: Mutex::new(target),
        }
    }

    /// From now on, provider URLs go to this port.
    fn point_at(&self, port: u16) {
        *self.target.lock().unwrap() = port;
    }

    fn at_provider(&self, url: &Url) -> bool {
        url.host_str() == Some("127.0.0.1") && url.port().is_some_and(|p| self.ports.contains(&p))
    }

    fn retarget(&self, url: &Url) -> Url {
        let mut url = url.clone();
        if self.at_provider(&url) {
            url.set_port(Some(*self.target.lock().unwrap())).unwrap();
        }
        url
    }

    fn forget_cookies(&self) {
        self.jar.lock().unwrap().clear();
    }

    async fn send(&self, url: Url, form: Option<&[(String, String)]>) -> Page {
        let url = self.retarget(&url);
        let mut request = match form {
            Some(fields) => self.http.post(url.clone()).form(fields),
            None => self.http.get(url.clone()),
        };
        let cookies = {
            let jar = self.jar.lock().unwrap();
            jar.iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !cookies.is_empty() {
            request = request.header("cookie", cookies);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        {
            let mut jar = self.jar.lock().unwrap();
            for value in headers.get_all("set-cookie") {
                let Ok(text) = value.to_str() else { continue };
                let pair = text.split(';').next().unwrap_or_default();
                let Some((name, value)) = pair.split_once('=') else {
                    continue;
                };
                if value.trim().is_empty() || text.to_ascii_lowercase().contains("max-age=0") {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        let body = response.text().await.unwrap_or_default();
        Page {
            url,
            status,
            headers,
            body,
        }
    }

    /// Opens `url` and follows redirects inside the provider (allowing
    /// consent); returns the code when the provider answers the relying
    /// party, or the page where the user is needed.
    async fn open(&self, url: &str) -> Result<String, Page> {
        let page = self.send(Url::parse(url).unwrap(), None).await;
        self.follow(page).await
    }

    async fn follow(&self, page: Page) -> Result<String, Page> {
        let mut page = page;
        for _ in 0..10 {
            if page.is_consent_page() {
                let form = page
                    .forms()
                    .into_iter()
                    .find(|form| form.has_button("decision", "allow"))
                    .unwrap();
                let mut fields = form.fields();
                fields.push(("decision".to_owned(), "allow".to_owned()));
                let action = form
                    .action_url(&page.url)
                    .unwrap_or_else(|| page.url.clone());
                page = self.send(action, Some(&fields)).await;
                continue;
            }
            if !page.status.is_redirection() {
                return Err(page);
            }
            let target = page.location().unwrap();
            if !self.at_provider(&target) {
                let params: BTreeMap<String, String> = target.query_pairs().into_owned().collect();
                assert_eq!(
                    params.get("state").map(String::as_str),
                    Some("cluster-state"),
                    "{target}"
                );
                return Ok(params
                    .get("code")
                    .unwrap_or_else(|| panic!("no code in {target}"))
                    .clone());
            }
            page = self.send(target, None).await;
        }
        Err(page)
    }

    /// Submits the login form of `page` (to the node the browser points at).
    async fn submit_login(&self, page: &Page, username: &str, password: &str) -> Page {
        assert!(
            page.is_login_page(),
            "not a login page: {}",
            page.describe()
        );
        let form = page
            .forms()
            .into_iter()
            .find(|form| form.has_field("password"))
            .unwrap();
        let mut fields = form.fields();
        if let Some(button) = form.default_button()
            && let Some(name) = button.attr("name")
        {
            fields.push((
                name.to_owned(),
                button.attr("value").unwrap_or("").to_owned(),
            ));
        }
        fields.retain(|(name, _)| name != "username" && name != "password");
        fields.push(("username".to_owned(), username.to_owned()));
        fields.push(("password".to_owned(), password.to_owned()));
        let action = form
            .action_url(&page.url)
            .unwrap_or_else(|| page.url.clone());
        self.send(action, Some(&fields)).await
    }

    /// The whole login at the node the browser points at; the code.
    async fn login(&self, start: &str, username: &str) -> String {
        let page = self.open(start).await.unwrap_err();
        let answer = self.submit_login(&page, username, PASSWORD).await;
        self.follow(answer)
            .await
            .unwrap_or_else(|page| panic!("the login did not finish: {}", page.describe()))
    }
}

/// A token request of the confidential client at one node.
async fn token(port: u16, fields: &[(&str, &str)]) -> (StatusCode, serde_json::Value) {
    let response = plain_client()
        .post(format!("http://127.0.0.1:{port}/token"))
        .header("authorization", basic(CLIENT, &secret_for(CLIENT)))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

async fn userinfo(port: u16, access_token: &str) -> serde_json::Value {
    let response = plain_client()
        .get(format!("http://127.0.0.1:{port}/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn jwks_kids(url: &str) -> Vec<String> {
    let response = plain_client().get(url).send().await.unwrap();
    let jwks: serde_json::Value = response.json().await.unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|key| key["kid"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_5_login_on_node_1_code_on_node_2_refresh_on_node_3() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.add_user("ada");

    // Every node names the load balancer as issuer (OIDC Discovery 4.3).
    for number in 1..=NODES {
        let discovery: serde_json::Value = plain_client()
            .get(cluster.node_url(number, "/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], cluster.issuer.as_str());
    }

    let browser = Browser::new(&cluster, cluster.node(1));
    let code = browser
        .login(&cluster.authorize_url(&cluster.node_url(1, "")), "ada")
        .await;
    let (status, tokens) = token(
        cluster.node(2),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "code on node 2: {tokens}");
    let (_, claims) = peek(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["iss"], cluster.issuer.as_str());
    assert_eq!(claims["nonce"], "cluster-nonce");
    let (status, refreshed) = token(
        cluster.node(3),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "refresh on node 3: {refreshed}");
    let access_token = refreshed["access_token"].as_str().unwrap();
    let subject = claims["sub"].as_str().unwrap();
    for number in 1..=NODES {
        assert_eq!(
            userinfo(cluster.node(number), access_token).await["sub"],
            subject
        );
    }
    // The code is used up on every node, not just on the one that took it;
    // a second use revokes the grant (RFC 6749 4.1.2), on every node.
    for number in [1, 3] {
        let (status, error) = token(
            cluster.node(number),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", WEB_REDIRECT),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["error"], "invalid_grant");
    }
    let (status, error) = token(
        cluster.node(2),
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                refreshed["refresh_token"].as_str().unwrap(),
            ),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["error"], "invalid_grant");
    // The session made on node 1 is known to node 3: no login page there.
    browser.point_at(cluster.node(3));
    let again = browser
        .open(&cluster.authorize_url(&cluster.node_url(3, "")))
        .await
        .unwrap_or_else(|page| panic!("node 3 asked again: {}", page.describe()));
    assert_ne!(again, code);

    // The same through HAProxy, with the relying party library (discovery,
    // ID token signature and nonce, userinfo), several times, so that
    // round robin spreads the steps over the nodes.
    let rp = Rp::for_issuer(&cluster.issuer, cluster.spec()).await;
    for _ in 0..3 {
        let agent = UserAgent::new(&cluster.issuer);
        let completed = rp
            .login_flow(&agent, "ada", &Request::scopes(&["openid"]))
            .await;
        assert_eq!(completed.claims.subject().as_str(), subject);
        let (status, refreshed) = token(
            Url::parse(&cluster.issuer).unwrap().port().unwrap(),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &completed.refresh_token()),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{refreshed}");
        let info = rp
            .userinfo(&openidconnect::AccessToken::new(
                refreshed["access_token"].as_str().unwrap().to_owned(),
            ))
            .await
            .unwrap();
        assert_eq!(info.subject().as_str(), subject);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_op_5_r_lo_3_parallel_wrong_passwords_over_three_nodes_count_exactly_n() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.add_user("rita");
    const ATTEMPTS: usize = 30;
    let lb_port = Url::parse(&cluster.issuer).unwrap().port().unwrap();
    // Each attempt has its own browser and login form, on nodes 1, 2, 3 in
    // turn, every fourth through HAProxy; then the posts start together.
    let mut prepared = Vec::new();
    for index in 0..ATTEMPTS {
        let port = if index % 4 == 3 {
            lb_port
        } else {
            cluster.node(index % 4 + 1)
        };
        let browser = Browser::new(&cluster, port);
        let base = format!("http://127.0.0.1:{port}");
        let page = browser
            .open(&cluster.authorize_url(&base))
            .await
            .unwrap_err();
        prepared.push((browser, page));
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(ATTEMPTS));
    let mut tasks = Vec::new();
    for (browser, page) in prepared {
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            browser
                .submit_login(&page, "rita", "Falsch-geraten-123")
                .await
        }));
    }
    for task in tasks {
        let answer = task.await.unwrap();
        assert!(answer.is_login_page(), "{}", answer.describe());
    }
    let shown = cluster.user_show("rita");
    assert_eq!(
        shown["failures"],
        MAX_FAILURES.to_string(),
        "R-LO-3 over three nodes: {shown:?}"
    );
    assert_eq!(shown["state"], "locked", "{shown:?}");
    // Locked everywhere: the right password is refused on every node and
    // through the load balancer, with the same neutral message.
    let mut alerts = Vec::new();
    for port in cluster.node_ports.iter().copied().chain([lb_port]) {
        let browser = Browser::new(&cluster, port);
        let base = format!("http://127.0.0.1:{port}");
        let page = browser
            .open(&cluster.authorize_url(&base))
            .await
            .unwrap_err();
        let answer = browser.submit_login(&page, "rita", PASSWORD).await;
        assert!(
            answer.is_login_page(),
            "locked account let in on port {port}: {}",
            answer.describe()
        );
        alerts.push(element_text(&answer.body, "role", "alert").unwrap());
    }
    alerts.dedup();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        cluster.user_show("rita")["failures"],
        MAX_FAILURES.to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_5_node_killed_during_a_login_the_login_finishes_on_another_node() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.add_user("kim");

    // Directly: the login page comes from node 1, node 1 dies, the form is
    // posted to node 2.
    let browser = Browser::new(&cluster, cluster.node(1));
    let page = browser
        .open(&cluster.authorize_url(&cluster.node_url(1, "")))
        .await
        .unwrap_err();
    cluster.script_ok(&["kill-node", "1"]);
    assert!(!listening(cluster.node(1)), "node 1 still answers");
    browser.point_at(cluster.node(2));
    let answer = browser.submit_login(&page, "kim", PASSWORD).await;
    let code = browser
        .follow(answer)
        .await
        .unwrap_or_else(|page| panic!("login not finished on node 2: {}", page.describe()));
    let (status, tokens) = token(
        cluster.node(3),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");

    // Through HAProxy: the user started at the load balancer, whichever node
    // served the page is killed, and the post still succeeds: HAProxy sends
    // it to a living node (`option redispatch`) and that node finds the
    // pending login in Redis.
    cluster.script_ok(&["start-node", "1"]);
    let lb_port = Url::parse(&cluster.issuer).unwrap().port().unwrap();
    for victim in 1..=NODES {
        let browser = Browser::new(&cluster, lb_port);
        let page = browser
            .open(&cluster.authorize_url(&cluster.issuer))
            .await
            .unwrap_err();
        cluster.script_ok(&["kill-node", &victim.to_string()]);
        let answer = browser.submit_login(&page, "kim", PASSWORD).await;
        let code = browser.follow(answer).await.unwrap_or_else(|page| {
            panic!(
                "login not finished after node {victim} died: {}",
                page.describe()
            )
        });
        let (status, tokens) = token(
            lb_port,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", WEB_REDIRECT),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        cluster.script_ok(&["start-node", &victim.to_string()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_5_redis_restart_ends_sessions_and_users_see_the_login_page_again() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.add_user("rolf");
    let browser = Browser::new(&cluster, cluster.node(1));
    let first = browser
        .login(&cluster.authorize_url(&cluster.node_url(1, "")), "rolf")
        .await;
    let (status, tokens) = token(
        cluster.node(2),
        &[
            ("grant_type", "authorization_code"),
            ("code", &first),
            ("redirect_uri", WEB_REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    // With the session, a new authorization needs no login on any node.
    browser.point_at(cluster.node(2));
    browser
        .open(&cluster.authorize_url(&cluster.node_url(2, "")))
        .await
        .unwrap_or_else(|page| panic!("session not shared: {}", page.describe()));
    // A login page open while Redis restarts.
    let other = Browser::new(&cluster, cluster.node(3));
    let pending = other
        .open(&cluster.authorize_url(&cluster.node_url(3, "")))
        .await
        .unwrap_err();

    cluster.redis.restart();

    // The nodes reconnect on their own, and the first request after the
    // restart is already answered normally: reads and whole-value writes are
    // retried on the new connection.
    let page = match browser
        .open(&cluster.authorize_url(&cluster.node_url(2, "")))
        .await
    {
        Err(page) => page,
        Ok(code) => panic!("the session outlived the Redis restart (code {code})"),
    };
    assert!(
        page.is_login_page(),
        "after a Redis restart the user logs in again: {}",
        page.describe()
    );
    // Every node answers a fresh visitor with the login page at once, not an
    // error page.
    for number in 1..=NODES {
        let fresh = Browser::new(&cluster, cluster.node(number));
        match fresh
            .open(&cluster.authorize_url(&cluster.node_url(number, "")))
            .await
        {
            Err(page) => assert!(page.is_login_page(), "node {number}: {}", page.describe()),
            Ok(code) => panic!("a fresh browser got a code: {code}"),
        }
    }
    // The login page that was open: posting it does not log in with a lost
    // pending login; the user gets a fresh login page or a readable page,
    // never a server error.
    let answer = other.submit_login(&pending, "rolf", PASSWORD).await;
    assert!(
        !answer.status.is_server_error(),
        "a login page from before the restart: {}\n{}",
        answer.describe(),
        cluster.logs()
    );
    // Tokens live in PostgreSQL: the refresh token still works, on any node.
    let (status, refreshed) = token(
        cluster.node(3),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    // And logging in again works everywhere.
    browser.forget_cookies();
    browser.point_at(cluster.node(1));
    let code = browser
        .login(&cluster.authorize_url(&cluster.node_url(1, "")), "rolf")
        .await;
    assert_ne!(code, first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_5_keys_rotated_by_the_cli_reach_every_node_within_the_reload_interval() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.add_user("kai");
    let before = jwks_kids(&cluster.node_url(1, "/jwks")).await;
    assert!(!before.is_empty());
    for number in 2..=NODES {
        let mut kids = jwks_kids(&cluster.node_url(number, "/jwks")).await;
        let mut expected = before.clone();
        kids.sort();
        expected.sort();
        assert_eq!(kids, expected, "node {number} serves other keys");
    }

    let rotated_at = Instant::now();
    let printed = cluster.cli_ok(&["keys", "rotate"]);
    let new: BTreeMap<String, String> = printed
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(alg, kid)| (alg.trim().to_owned(), kid.trim().to_owned()))
        .collect();
    assert_eq!(new.len(), 4, "{printed}");
    let bound = Duration::from_secs(KEY_RELOAD_SECS + 5);
    let mut reached = Vec::new();
    for number in 1..=NODES {
        let url = cluster.node_url(number, "/jwks");
        let deadline = rotated_at + bound;
        loop {
            let kids = jwks_kids(&url).await;
            if new.values().all(|kid| kids.contains(kid)) {
                // The old keys stay published for the tokens they signed.
                assert!(before.iter().all(|kid| kids.contains(kid)), "{kids:?}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "node {number} does not serve the rotated keys within {bound:?}: {kids:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        reached.push(rotated_at.elapsed());
    }
    eprintln!("rotated keys reached the nodes after {reached:?}");

    // New tokens from every node are signed with the new key.
    for number in 1..=NODES {
        let browser = Browser::new(&cluster, cluster.node(number));
        let code = browser
            .login(&cluster.authorize_url(&cluster.node_url(number, "")), "kai")
            .await;
        let (status, tokens) = token(
            cluster.node(number),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", WEB_REDIRECT),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        let (header, _) = peek(tokens["id_token"].as_str().unwrap());
        assert_eq!(header["kid"], new["RS256"].as_str(), "node {number}");
    }
    // Through HAProxy, verified by the relying party library against the
    // JWKS it fetches.
    let rp = Rp::for_issuer(&cluster.issuer, cluster.spec()).await;
    let agent = UserAgent::new(&cluster.issuer);
    rp.login_flow(&agent, "kai", &Request::scopes(&["openid"]))
        .await;
}
