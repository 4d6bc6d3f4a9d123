//! Templates and message catalogs, read from the theme folder at start-up.

use std::path::Path;

#[derive(Debug)]
pub struct Pages {}

/// A theme that cannot be loaded (missing folder, template syntax error).
#[derive(Debug, thiserror::Error)]
#[error("theme cannot be loaded: {0}")]
pub struct ThemeError(pub String);

impl Pages {
    /// Loads `themes_dir/base` (all templates and catalogs).
    pub fn load(themes_dir: &Path) -> Result<Self, ThemeError> {
        let _ = themes_dir;
        Ok(Self {})
    }
}
