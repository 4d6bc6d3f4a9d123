//! `pforte migrate`: brings the schema up to date without starting anything
//! else (the systemd unit runs it before `serve`).

use anyhow::Context;
use pforte_store::SqlStore;
use std::path::Path;

pub async fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let settings = super::settings(config)?;
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("cannot create data_dir {}", settings.data_dir.display()))?;
    let store = SqlStore::connect(&settings.database_url())
        .await
        .context("cannot connect to the database")?;
    store.migrate().await.context("migration failed")?;
    println!("database schema is up to date");
    Ok(())
}
