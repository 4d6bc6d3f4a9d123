//! [`SqlStore`]: the durable store on sea-orm, for SQLite (one process, a trial or
//! a small site) and PostgreSQL (several nodes, DESIGN.md §8).
//!
//! The port implementations are split by port: `clients`, `accounts` (also the
//! subject claims), `keys`, and the grant store in `grants` (grants, codes,
//! refresh tokens) and `artefacts` (PAR requests, assertion `jti`s, revoked access
//! tokens, purging), `lockout` (counters, passwords, the audit trail), the
//! second-factor ports in `factors`, `challenges` and `profile`, `members` (the
//! member registry), `operator_roles` (the roles of operators), `member_links` (registered accounts and their stage), `letters`
//! (the print queue of letters by post), `outbox` (the dev outbox of pforte-notify) and
//! `backchannel_logout` (the queue of logout tokens to deliver).

mod accounts;
mod activation_codes;
mod artefacts;
mod backchannel_logout;
mod challenges;
mod clients;
mod dependants;
mod erasure;
mod factors;
mod grant_store;
mod grants;
mod invitations;
mod keys;
mod letters;
mod lockout;
mod member_links;
mod members;
mod operator_roles;
mod outbox;
mod profile;

use crate::error::db_error;
use pforte_migrations::{Migrator, MigratorTrait};
use pforte_types::StoreError;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::time::Duration;

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections to a SQLite file: readers run in parallel under WAL, writers queue.
const SQLITE_FILE_CONNECTIONS: u32 = 4;

/// The sea-orm implementation of the protocol and identity storage ports.
#[derive(Debug, Clone)]
pub struct SqlStore {
    db: DatabaseConnection,
}

impl SqlStore {
    /// Opens a pool for a `sqlite:` or `postgres:`/`postgresql:` URL.
    ///
    /// A SQLite file is created when missing (`mode=rwc` unless the URL names a
    /// mode) and runs in WAL mode with `synchronous=NORMAL` and a busy timeout,
    /// so concurrent requests wait for each other instead of failing. An in-memory SQLite database lives in
    /// a single connection that is never recycled (it would lose the data).
    pub async fn connect(database_url: &str) -> Result<SqlStore, StoreError> {
        let options = if database_url.starts_with("sqlite:") {
            sqlite_options(database_url)
        } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
            let mut options = ConnectOptions::new(database_url);
            options.sqlx_logging(false);
            options
        } else {
            return Err(StoreError::Unavailable(
                "unsupported database URL: expected sqlite: or postgres:".to_owned(),
            ));
        };
        let db = Database::connect(options).await.map_err(db_error)?;
        Ok(SqlStore { db })
    }

    /// Brings the schema up to date (all pending migrations of [`Migrator`]).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await.map_err(db_error)
    }

    /// The underlying connection pool, for health checks and administration.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A trivial query (`SELECT 1`) through the pool, for the readiness check
    /// (R-OP-3): proves a connection can be had and the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        use sea_orm::ConnectionTrait as _;
        self.db
            .execute_unprepared("SELECT 1")
            .await
            .map(|_| ())
            .map_err(db_error)
    }
}

fn sqlite_options(database_url: &str) -> ConnectOptions {
    let in_memory = database_url.contains(":memory:") || database_url.contains("mode=memory");
    let url = if in_memory || database_url.contains("mode=") {
        database_url.to_owned()
    } else if database_url.contains('?') {
        format!("{database_url}&mode=rwc")
    } else {
        format!("{database_url}?mode=rwc")
    };
    let mut options = ConnectOptions::new(url);
    options.sqlx_logging(false);
    if in_memory {
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .map_sqlx_sqlite_opts(|opts| opts.busy_timeout(SQLITE_BUSY_TIMEOUT));
    } else {
        options
            .max_connections(SQLITE_FILE_CONNECTIONS)
            .map_sqlx_sqlite_opts(|opts| {
                // NORMAL is the usual setting for WAL: a commit no longer waits
                // for an fsync of the log, only checkpoints do. Committed data
                // survives a crash of the process; a power failure may lose
                // the last transactions, never the database's consistency
                // (docs/config.md, docs/performance.md).
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
            });
    }
    options
}
