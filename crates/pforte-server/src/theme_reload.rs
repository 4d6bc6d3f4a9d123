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

/// What a passed theme check covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckReport {
    pub brands: usize,
    pub languages: usize,
}

/// Loads the themes of `dir` and renders every template × brand × language
/// with its fixture ([`pforte_web::pages::check`]); the failures, one line
/// each, when anything does not load or render.
pub fn check_themes(dir: &std::path::Path) -> Result<CheckReport, Vec<String>> {
    let set = pforte_web::pages::ThemeSet::load(dir).map_err(|error| vec![error.to_string()])?;
    let failures = pforte_web::pages::check(&set);
    if failures.is_empty() {
        Ok(CheckReport {
            brands: set.brand_names().count(),
            languages: pforte_web::i18n::SUPPORTED.len(),
        })
    } else {
        Err(failures.iter().map(ToString::to_string).collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use pforte_web::Look;
    use std::path::Path;

    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    fn themes_copy() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let themes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes");
        copy(&themes, dir.path());
        dir
    }

    fn replace(path: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains(from), "{from} in {}", path.display());
        std::fs::write(path, text.replace(from, to)).unwrap();
    }

    #[test]
    fn r_op_2_a_changed_text_is_in_use_after_one_reload_without_restart() {
        let dir = themes_copy();
        let pages = Arc::new(Pages::load(dir.path()).unwrap());
        let job = ThemeReload::new(pages.clone(), Duration::from_secs(5));
        assert!(!job.run_once(), "nothing changed yet");
        let look = Look {
            brand: "nordlicht".to_owned(),
            locale: "en",
            page: String::new(),
        };
        assert_eq!(pages.message(&look, "home_title"), "Welcome to Nordlicht");
        replace(
            &dir.path().join("nordlicht/i18n/en.json"),
            "Welcome to Nordlicht",
            "Welcome aboard, Nordlicht customer",
        );
        assert!(job.run_once());
        assert_eq!(
            pages.message(&look, "home_title"),
            "Welcome aboard, Nordlicht customer"
        );
        assert!(!job.run_once(), "unchanged again");
    }

    #[test]
    fn r_op_2_a_broken_edit_keeps_the_previous_set_in_use() {
        let dir = themes_copy();
        let pages = Arc::new(Pages::load(dir.path()).unwrap());
        let job = ThemeReload::new(pages.clone(), Duration::from_secs(5));
        let before = pages
            .render(
                "home.html",
                &Look::base("de"),
                &pforte_web::pages::tera_context(),
            )
            .unwrap();
        replace(
            &dir.path().join("base/templates/home.html"),
            "{% endblock content %}",
            "{% endblock content",
        );
        assert!(!job.run_once(), "the broken set is not swapped in");
        let after = pages
            .render(
                "home.html",
                &Look::base("de"),
                &pforte_web::pages::tera_context(),
            )
            .unwrap();
        assert_eq!(before, after);
        // An unknown key in a brand catalog is refused the same way.
        replace(
            &dir.path().join("base/templates/home.html"),
            "{% endblock content",
            "{% endblock content %}",
        );
        std::fs::write(
            dir.path().join("rheintal/i18n/de.json"),
            r#"{ "no_such_key": "x" }"#,
        )
        .unwrap();
        assert!(!job.run_once());
        assert!(pages.has_brand("rheintal"));
    }
}
