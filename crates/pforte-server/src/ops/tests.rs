//! Health, metrics, logs and shutdown of a built provider (R-OP-3).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::App;
use crate::config::{LogSettings, Settings};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use pforte_types::{Clock, SystemClock};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::ServiceExt as _;

fn settings(dir: &Path) -> Settings {
    let mut settings = Settings {
        data_dir: dir.to_path_buf(),
        demo: false,
        themes_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes"),
        ..Settings::default()
    };
    settings.password_hashing.memory_kib = 64;
    settings.password_hashing.iterations = 1;
    settings
}

async fn get(router: &axum::Router, path: &str) -> (StatusCode, String) {
    let response = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn r_op_3_ready_checks_the_database_and_fails_when_it_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::build(settings(dir.path()), Arc::new(SystemClock))
        .await
        .unwrap();
    let router = app.router().unwrap();

    let (status, body) = get(&router, "/health/ready").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"status": "ready", "checks": {"database": "ok"}})
    );
    assert_eq!(
        get(&router, "/health/live").await,
        (StatusCode::OK, "ok".to_owned())
    );
    assert_eq!(
        get(&router, "/healthz").await,
        (StatusCode::OK, "ok".to_owned())
    );

    // The pool is closed: every query fails as with a database that is gone.
    app.store.connection().close_by_ref().await.unwrap();
    let (status, body) = get(&router, "/health/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"status": "not_ready", "checks": {"database": "failed"}})
    );
    let data_dir = dir.path().display().to_string();
    assert!(
        !body.contains(&data_dir) && !body.contains("sqlite"),
        "{body}"
    );
    // Liveness does not depend on the database.
    assert_eq!(get(&router, "/health/live").await.0, StatusCode::OK);
}

/// Redis for the readiness test: `PFORTE_TEST_REDIS_URL` or the local default;
/// unreachable is a skip outside CI and a failure under `CI=true`.
fn redis_address() -> Option<std::net::SocketAddr> {
    let url = std::env::var("PFORTE_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let address = url::Url::parse(&url).ok().and_then(|parsed| {
        let host = parsed.host_str().unwrap_or("localhost").to_owned();
        let port = parsed.port().unwrap_or(6379);
        std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
            .ok()
            .and_then(|mut addresses| addresses.next())
    });
    let reachable = address.filter(|address| {
        std::net::TcpStream::connect_timeout(address, Duration::from_secs(2)).is_ok()
    });
    match reachable {
        Some(address) => Some(address),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("the Redis readiness test cannot run under CI: nothing answers at {url}")
        }
        None => {
            eprintln!("skipping the Redis readiness test: nothing answers at {url}");
            None
        }
    }
}

/// A TCP relay in front of Redis that can be cut, as when Redis goes away.
struct Relay {
    port: u16,
    tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn start(upstream: std::net::SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let connections = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections.lock().unwrap().push(relay.abort_handle());
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        Relay { port, tasks }
    }

    /// Drops every relayed connection but keeps accepting new ones, as when
    /// Redis restarts.
    fn drop_connections(&self) {
        for task in self.tasks.lock().unwrap().iter().skip(1) {
            task.abort();
        }
    }

    /// Stops accepting and drops every relayed connection.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test]
async fn r_op_3_ready_fails_when_redis_goes_away() {
    let Some(redis) = redis_address() else { return };
    let relay = Relay::start(redis).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.session.store = "redis".to_owned();
    settings.session.redis_url = Some(format!("redis://127.0.0.1:{}", relay.port));
    settings.session.redis_key_prefix = format!("pforte-ready-test-{}", std::process::id());
    settings.ops.readiness_timeout_ms = 1000;
    let app = App::build(settings, Arc::new(SystemClock)).await.unwrap();
    let router = app.router().unwrap();

    let (status, body) = get(&router, "/health/ready").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(json(&body)["checks"]["redis"], "ok");

    relay.cut();
    let (status, body) = get(&router, "/health/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let answer = json(&body);
    assert_eq!(answer["status"], "not_ready");
    assert_eq!(answer["checks"]["database"], "ok");
    assert_ne!(answer["checks"]["redis"], "ok", "{body}");
    assert!(
        !body.contains("redis://") && !body.contains("127.0.0.1"),
        "{body}"
    );
}

/// R-OP-5: after Redis dropped the connection (a restart), the first read of
/// a session is retried on the new connection instead of failing the user's
/// request.
#[tokio::test]
async fn r_op_5_the_first_session_read_after_a_dropped_connection_succeeds() {
    let Some(redis) = redis_address() else { return };
    let relay = Relay::start(redis).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.session.store = "redis".to_owned();
    settings.session.redis_url = Some(format!("redis://127.0.0.1:{}", relay.port));
    settings.session.redis_key_prefix = format!("pforte-reconnect-test-{}", std::process::id());
    let app = App::build(settings, Arc::new(SystemClock)).await.unwrap();
    let now = app.clock.now();
    let session = pforte_identity::session::ProviderSession {
        sid: "sid-reconnect".to_owned(),
        account_id: pforte_types::AccountId::new(),
        auth_time: now,
        acr: "loa-low".to_owned(),
        amr: vec!["pwd".to_owned()],
        created_at: now,
        expires_at: now + chrono::Duration::seconds(60),
        clients: vec![],
        evidence: vec![],
        last_seen_at: None,
        idle_timeout_secs: None,
    };
    app.sessions.put_session(&session).await.unwrap();

    relay.drop_connections();
    let seen = app.sessions.get_session("sid-reconnect").await.unwrap();
    assert_eq!(seen.map(|seen| seen.sid).as_deref(), Some("sid-reconnect"));
    app.sessions.delete_session("sid-reconnect").await.unwrap();
}

#[tokio::test]
async fn r_op_3_metrics_exposition_has_login_token_http_and_hashing_series() {
    use pforte_identity::ports::AccountStore;
    use pforte_oauth::ports::ClientStore;

    let handle = super::metrics::install().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = App::build(settings(dir.path()), Arc::new(SystemClock))
        .await
        .unwrap();
    let now = app.clock.now();
    let account = pforte_identity::account::Account {
        id: pforte_types::AccountId::new(),
        username: "metrics-user".to_owned(),
        password_hash: app.hasher.hash("Sommer2026!").await.unwrap(),
        email: None,
        email_verified: false,
        given_name: None,
        family_name: None,
        phone: None,
        phone_verified: false,
        totp_secret_encrypted: None,
        created_at: now,
        updated_at: now,
    };
    app.store.insert_account(&account).await.unwrap();
    app.identity
        .login_with_password("metrics-user", "Sommer2026!")
        .await
        .unwrap();
    app.identity
        .login_with_password("metrics-user", "wrong")
        .await
        .unwrap_err();

    let secret = "metrics-client-secret";
    let client = pforte_oauth::model::Client {
        client_id: "metrics-api".to_owned(),
        name: None,
        secret_digest: Some(app.secrets.digest(secret)),
        auth_method: pforte_oauth::model::ClientAuthMethod::ClientSecretPost,
        jwks: None,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        application_type: pforte_oauth::model::ApplicationType::Web,
        require_par: false,
        require_pkce: false,
        grant_types: vec![pforte_oauth::model::GrantType::ClientCredentials],
        extra_scopes: Vec::new(),
        id_token_alg: pforte_crypto::SigningAlg::RS256,
        default_acr_values: Vec::new(),
        minimum_acr: None,
        brand: None,
        logout: Default::default(),
        created_at: now,
    };
    app.store.insert_client(&client).await.unwrap();
    let router = app.router().unwrap();
    let response = router
        .clone()
        .oneshot(
            Request::post("/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "grant_type=client_credentials&client_id=metrics-api&client_secret={secret}"
                )))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        get(&router, "/no/such/page-4711").await.0,
        StatusCode::NOT_FOUND
    );

    let (status, exposition) = get(&super::metrics::router(handle), "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    for series in [
        r#"pforte_logins_total{result="success"}"#,
        r#"pforte_logins_total{result="failure"}"#,
        r#"pforte_tokens_issued_total{grant_type="client_credentials"}"#,
        r#"pforte_http_requests_total{route="/token",method="POST",status_class="2xx"}"#,
        r#"pforte_http_request_duration_seconds_bucket{route="/token",method="POST",status_class="2xx",le="0.1"}"#,
        r#"pforte_http_requests_total{route="unmatched",method="GET",status_class="4xx"}"#,
        "pforte_argon2_queue_depth",
        "pforte_argon2_wait_seconds_bucket",
    ] {
        assert!(
            exposition.contains(series),
            "{series} missing in:\n{exposition}"
        );
    }
    assert!(
        !exposition.contains("page-4711"),
        "raw paths never become labels"
    );
    assert!(
        !exposition.contains("metrics-user"),
        "no login names in labels"
    );
}

/// A `MakeWriter` into memory, for reading log lines back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Runs one request through the provider's router with `format` logging at
/// debug level on this thread, and returns the log output.
async fn log_of_one_request(format: &str, request_id: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let app = App::build(settings(dir.path()), Arc::new(SystemClock))
        .await
        .unwrap();
    let router = app.router().unwrap();
    let captured = Captured::default();
    let log = LogSettings {
        format: format.to_owned(),
        level: "debug".to_owned(),
    };
    let writer = captured.clone();
    let subscriber = super::logging::subscriber(&log, move || writer.clone(), false).unwrap();
    let _default = tracing::subscriber::set_default(subscriber);
    let response = router
        .oneshot(
            Request::get("/health/ready")
                .header("x-request-id", request_id)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-request-id"], request_id);
    captured.text()
}

#[tokio::test(flavor = "current_thread")]
async fn r_op_3_json_log_lines_of_a_request_carry_its_request_id() {
    let output = log_of_one_request("json", "req-json-1").await;
    let lines: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(!lines.is_empty(), "the request is logged:\n{output}");
    for line in &lines {
        assert_eq!(line["span"]["request_id"], "req-json-1", "{line}");
        assert!(line["fields"]["message"].is_string(), "{line}");
        assert!(line["timestamp"].is_string(), "{line}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn r_op_3_text_log_lines_of_a_request_carry_its_request_id() {
    let output = log_of_one_request("text", "req-text-1").await;
    assert!(output.lines().count() >= 1, "{output}");
    for line in output.lines() {
        assert!(line.contains(r#"request_id="req-text-1""#), "{line}");
        assert!(serde_json::from_str::<serde_json::Value>(line).is_err());
    }
}

/// R-OP-3 graceful shutdown: a request in progress when the stop signal comes
/// gets its full answer, and the server returns only afterwards.
#[tokio::test]
async fn r_op_3_shutdown_lets_an_in_flight_request_finish() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::sync::{Mutex as AsyncMutex, oneshot};

    let (started_tx, started) = oneshot::channel::<()>();
    let (release, released) = oneshot::channel::<()>();
    let hooks = Arc::new(AsyncMutex::new((Some(started_tx), Some(released))));
    let router = axum::Router::new().route(
        "/slow",
        axum::routing::get(move || {
            let hooks = hooks.clone();
            async move {
                let (started, released) = {
                    let mut hooks = hooks.lock().await;
                    (hooks.0.take(), hooks.1.take())
                };
                if let Some(started) = started {
                    let _ = started.send(());
                }
                if let Some(released) = released {
                    let _ = released.await;
                }
                "finished"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(crate::app::serve_router(router, listener, async move {
        let _ = stopped.await;
    }));

    let mut connection = tokio::net::TcpStream::connect(address).await.unwrap();
    connection
        .write_all(b"GET /slow HTTP/1.1\r\nHost: pforte\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    started.await.unwrap();
    stop.send(()).unwrap();
    tokio::task::yield_now().await;
    assert!(
        !server.is_finished(),
        "the server waits for the open request"
    );
    release.send(()).unwrap();

    let mut answer = String::new();
    connection.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with("finished"), "{answer}");
    server.await.unwrap().unwrap();
}

/// The maintenance job looks at the stop signal only between passes, so a
/// shutdown ends it without cutting a pass in half.
#[tokio::test]
async fn r_op_3_maintenance_ends_when_asked_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let app = App::build(settings(dir.path()), clock).await.unwrap();
    let job = tokio::spawn(
        app.maintenance()
            .run_until(Duration::from_secs(3600), std::future::ready(())),
    );
    job.await.unwrap();
}
