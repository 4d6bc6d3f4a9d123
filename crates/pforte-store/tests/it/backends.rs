//! Fresh, isolated stores for each test: a new SQLite file in a temporary
//! directory, or a new schema in the PostgreSQL test database.
//!
//! PostgreSQL comes from `PFORTE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When it cannot be reached the
//! PostgreSQL half of the suite is skipped with a message, except under `CI=true`,
//! where that is a failure: CI must prove both backends.

use pforte_store::SqlStore;
use sea_orm::ConnectionTrait;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tempfile::TempDir;
use url::Url;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct SqliteBackend {
    pub store: SqlStore,
    /// The database file, for a second pool (a second node).
    pub url: String,
    /// Keeps the database file until the test ends.
    _dir: TempDir,
}

pub async fn sqlite() -> SqliteBackend {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("pforte.db").display());
    let store = SqlStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    SqliteBackend {
        store,
        url,
        _dir: dir,
    }
}

pub struct PostgresBackend {
    pub store: SqlStore,
    /// The URL of the test's schema, for a second pool (a second node).
    pub url: String,
    admin: SqlStore,
    schema: String,
}

impl PostgresBackend {
    /// Removes the test's schema. A failed test leaves it behind for inspection;
    /// its name is unique, so it never disturbs another run.
    pub async fn drop_schema(self) {
        self.store.connection().close_by_ref().await.unwrap();
        self.admin
            .connection()
            .execute_unprepared(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema))
            .await
            .unwrap();
    }
}

pub fn postgres_url() -> String {
    std::env::var("PFORTE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// Connects to PostgreSQL and migrates a schema of its own, or reports why not:
/// `None` (with a message) outside CI, a panic under `CI=true`.
pub async fn postgres() -> Option<PostgresBackend> {
    match try_postgres().await {
        Ok(backend) => Some(backend),
        Err(reason) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("PostgreSQL store tests cannot run under CI: {reason}")
        }
        Err(reason) => {
            eprintln!("skipping PostgreSQL store tests: {reason}; install/start postgresql");
            None
        }
    }
}

async fn try_postgres() -> Result<PostgresBackend, String> {
    let url = postgres_url();
    if let Some(reason) = unreachable_reason(&url) {
        return Err(reason);
    }
    let admin = SqlStore::connect(&url)
        .await
        .map_err(|err| format!("cannot connect to {url}: {err}"))?;
    let schema = unique_schema_name();
    admin
        .connection()
        .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
        .await
        .map_err(|err| format!("cannot create schema {schema}: {err}"))?;
    let separator = if url.contains('?') { '&' } else { '?' };
    let schema_url = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    let store = SqlStore::connect(&schema_url)
        .await
        .map_err(|err| format!("cannot connect to schema {schema}: {err}"))?;
    store.migrate().await.unwrap();
    Ok(PostgresBackend {
        store,
        url: schema_url,
        admin,
        schema,
    })
}

/// Checks once per run, with a short TCP probe, whether anything listens at the
/// URL's host and port; the pool would otherwise retry for its full acquire
/// timeout in every single test.
fn unreachable_reason(url: &str) -> Option<String> {
    static PROBE: OnceLock<Option<String>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let parsed = Url::parse(url).map_err(|err| format!("invalid URL {url}: {err}"));
            let address = parsed.and_then(|parsed| {
                let host = parsed.host_str().unwrap_or("localhost").to_owned();
                let port = parsed.port().unwrap_or(5432);
                (host.as_str(), port)
                    .to_socket_addrs()
                    .map_err(|err| format!("cannot resolve {host}: {err}"))?
                    .next()
                    .ok_or_else(|| format!("no address for {host}"))
            });
            match address {
                Ok(address) => TcpStream::connect_timeout(&address, PROBE_TIMEOUT)
                    .err()
                    .map(|err| format!("nothing answers at {address}: {err}")),
                Err(reason) => Some(reason),
            }
        })
        .clone()
}

/// A schema name no other test or run uses: process id, a per-process counter
/// and the time.
fn unique_schema_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("pforte_it_{}_{n}_{nanos}", std::process::id())
}
