//! SqlStore::connect and migrate: SQLite files are created and run in WAL mode,
//! in-memory SQLite keeps its data, migrating again changes nothing, and an
//! unsupported URL is refused.

use crate::backends::postgres_url;
use crate::fixtures::client;
use pforte_oauth::ports::ClientStore;
use pforte_store::SqlStore;
use pforte_types::StoreError;
use sea_orm::{ConnectionTrait, Statement};

/// Suite function: a second `migrate` finds nothing to do and keeps the data.
pub async fn migrating_again_changes_nothing(store: &SqlStore) {
    store.insert_client(&client("web")).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.get_client("web").await.unwrap(), Some(client("web")));
}

#[tokio::test]
async fn sqlite_file_is_created_when_missing_and_runs_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = SqlStore::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert!(path.exists());

    let db = store.connection();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    let mode: String = row.try_get_by_index(0).unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn sqlite_in_memory_store_keeps_its_data_between_calls() {
    let store = SqlStore::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    store.insert_client(&client("web")).await.unwrap();
    assert_eq!(store.get_client("web").await.unwrap(), Some(client("web")));
}

#[tokio::test]
async fn unsupported_database_url_is_refused() {
    let refused = SqlStore::connect("mysql://root@localhost/pforte").await;
    assert!(matches!(refused, Err(StoreError::Unavailable(_))));
}

#[test]
fn postgres_url_defaults_to_the_local_test_database() {
    if std::env::var_os("PFORTE_TEST_POSTGRES_URL").is_none() {
        assert_eq!(postgres_url(), "postgres://postgres@127.0.0.1:5432/test");
    }
}
