//! One file per command group. Each command loads the configuration, opens
//! the provider's stores through `pforte-server` and prints its result: data on
//! stdout, notes on stderr.

pub mod audit;
pub mod client;
pub mod config_check;
pub mod invitations;
pub mod keys;
pub mod letters;
pub mod lockout;
pub mod members;
pub mod migrate;
pub mod operator;
pub mod outbox;
pub mod serve;
pub mod session;
pub mod user;
pub mod user_letter;

use anyhow::Context;
use pforte_server::{App, Settings};
use pforte_types::SystemClock;
use std::path::Path;
use std::sync::Arc;

/// Loads and validates the configuration (`--config FILE` or `PFORTE_CONFIG`,
/// then `PFORTE_*` overrides).
pub fn settings(config: Option<&Path>) -> anyhow::Result<Settings> {
    Ok(Settings::load(config)?)
}

/// Opens the provider as `serve` would (schema migrated, master key and
/// signing keys loaded) for an operator command.
pub async fn open_app(config: Option<&Path>) -> anyhow::Result<App> {
    let settings = settings(config)?;
    App::build(settings, Arc::new(SystemClock))
        .await
        .context("cannot open the provider's storage")
}
