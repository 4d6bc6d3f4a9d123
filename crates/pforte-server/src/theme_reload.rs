//! Reading the themes again while the provider runs (R-OP-2): every
//! `[ui] theme_reload_secs` the job compares the metadata (length,
//! modification time) of every file under `themes_dir` with the last look
//! and, when something changed, loads the whole set again and swaps it in
//! at once. A broken edit (template syntax error, unknown catalog key) is
//! logged and the set in use stays.

use std::sync::Arc;
use std::time::Duration;

use pforte_web::Pages;
use pforte_web::pages::Reload;

use crate::app::App;

/// The theme reload job of a running provider.
#[derive(Debug, Clone)]
pub struct ThemeReload {
    pages: Arc<Pages>,
    interval: Duration,
}

impl ThemeReload {
    pub fn new(pages: Arc<Pages>, interval: Duration) -> Self {
        Self { pages, interval }
    }

    /// One look at the files: `true` when a new set is in use.
    pub fn run_once(&self) -> bool {
        match self.pages.reload_if_changed() {
            Ok(Reload::Unchanged) => false,
            Ok(Reload::Swapped) => {
                tracing::info!("themes changed on disk: the new set is in use");
                true
            }
            Err(error) => {
                tracing::error!(%error, "themes changed on disk but cannot be loaded; the previous set stays in use");
                false
            }
        }
    }

    /// Looks every interval until the task is aborted.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let job = self.clone();
            // Reading files blocks; keep it off the request threads.
            if let Err(error) = tokio::task::spawn_blocking(move || job.run_once()).await {
                tracing::warn!(%error, "the theme reload ended abnormally");
            }
        }
    }
}

impl App {
    /// The reload job, or `None` when `[ui] theme_reload_secs = 0`.
    pub fn theme_reload(&self) -> Result<Option<ThemeReload>, crate::app::ServerError> {
        let secs = self.settings.ui.theme_reload_secs;
        if secs == 0 {
            return Ok(None);
        }
        Ok(Some(ThemeReload::new(
            self.pages()?,
            Duration::from_secs(secs),
        )))
    }
}
