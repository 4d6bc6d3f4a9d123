//! Templates and message catalogs, read from the theme folder at start-up.
//!
//! Layout of a theme (`themes/base/`):
//! - `templates/*.html`: tera 2 templates, autoescaped; pages extend `layout.html`.
//! - `i18n/<lang>.json`: one flat object of message keys per language; every
//!   catalog must have the same keys as the German one, so a missing translation
//!   is found at start-up, not by a user.
//! - `static/pforte.css`: the style sheet, served at [`STYLESHEET_PATH`].
//! - `static/webauthn.js`: the one script, for the WebAuthn pages only, served
//!   at [`WEBAUTHN_SCRIPT_PATH`] and linked with its content hash as `?v=`,
//!   so that it can be cached long and a changed file is fetched at once.
//! - `static/session.js`: the idle countdown of pages for a logged-in user
//!   (R-SE-1), served at [`SESSION_SCRIPT_PATH`] and versioned the same way.
//!   The pages work without it: it only updates the remaining time and
//!   brings the "stay logged in" button forward in the last minute.
//!
//! Reading at run time lets a brand change texts and markup without a rebuild
//! (R-OP-2); brand overrides on top of `base` arrive with the theming issue.

use std::collections::BTreeMap;
use std::path::Path;

use crate::i18n::{DEFAULT_LOCALE, SUPPORTED};

/// Where the style sheet is served.
pub const STYLESHEET_PATH: &str = "/assets/pforte.css";

/// Where the WebAuthn script is served.
pub const WEBAUTHN_SCRIPT_PATH: &str = "/assets/webauthn.js";

/// Where the session countdown script is served.
pub const SESSION_SCRIPT_PATH: &str = "/assets/session.js";

/// Where the live password rules of the registration form are served.
pub const PASSWORD_RULES_SCRIPT_PATH: &str = "/assets/password-rules.js";

/// The pages every theme must provide.
const TEMPLATES: &[&str] = &[
    "layout.html",
    "home.html",
    "login.html",
    "password_change.html",
    "consent.html",
    "logout_confirm.html",
    "logged_out.html",
    "error.html",
    "form_post.html",
    "demo_callback.html",
    "factor.html",
    "enrol.html",
    "recovery_codes.html",
    "terms.html",
    "account_security.html",
    "webauthn.html",
    "account_sessions.html",
    "password_forgot.html",
    "username_forgot.html",
    "account_profile.html",
    "account_delete.html",
    "register.html",
    "register_confirm.html",
    "register_done.html",
    "activate.html",
    "ident_result.html",
    "ident_button.html",
    "register_invite.html",
    // The admin console (pforte-admin, R-OP-1).
    "admin/layout.html",
    "admin/dashboard.html",
    "admin/error.html",
    "admin/logged_out.html",
    "admin/users.html",
    "admin/user.html",
    "admin/clients.html",
    "admin/client_form.html",
    "admin/client_secret.html",
    "admin/keys.html",
    "admin/policies.html",
    "admin/letters.html",
    "admin/outbox.html",
];

pub struct Pages {
    tera: tera::Tera,
    catalogs: BTreeMap<&'static str, serde_json::Map<String, serde_json::Value>>,
    stylesheet: String,
    webauthn_script: String,
    /// `WEBAUTHN_SCRIPT_PATH?v=<hash of the file>`.
    webauthn_script_url: String,
    session_script: String,
    /// `SESSION_SCRIPT_PATH?v=<hash of the file>`.
    session_script_url: String,
    password_rules_script: String,
    /// `PASSWORD_RULES_SCRIPT_PATH?v=<hash of the file>`.
    password_rules_script_url: String,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Pages")
            .field("locales", &self.catalogs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A theme that cannot be loaded (missing folder, template syntax error).
#[derive(Debug, thiserror::Error)]
#[error("theme cannot be loaded: {0}")]
pub struct ThemeError(pub String);

impl Pages {
    /// Loads `themes_dir/base` (all templates and catalogs).
    pub fn load(themes_dir: &Path) -> Result<Self, ThemeError> {
        let base = themes_dir.join("base");
        let mut tera = tera::Tera::new();
        let files: Vec<(std::path::PathBuf, Option<&str>)> = TEMPLATES
            .iter()
            .map(|name| (base.join("templates").join(name), Some(*name)))
            .collect();
        for (path, _) in &files {
            if !path.is_file() {
                return Err(ThemeError(format!("missing template {}", path.display())));
            }
        }
        tera.add_template_files(files)
            .map_err(|error| ThemeError(format!("{}: {error}", base.display())))?;

        let mut catalogs = BTreeMap::new();
        for locale in SUPPORTED {
            let path = base.join("i18n").join(format!("{locale}.json"));
            let text = std::fs::read_to_string(&path)
                .map_err(|error| ThemeError(format!("{}: {error}", path.display())))?;
            let catalog: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&text)
                    .map_err(|error| ThemeError(format!("{}: {error}", path.display())))?;
            catalogs.insert(locale, catalog);
        }
        check_catalogs_agree(&catalogs)?;

        let css_path = base.join("static").join("pforte.css");
        let stylesheet = std::fs::read_to_string(&css_path)
            .map_err(|error| ThemeError(format!("{}: {error}", css_path.display())))?;
        let (webauthn_script, webauthn_script_url) =
            read_script(&base, "webauthn.js", WEBAUTHN_SCRIPT_PATH)?;
        let (session_script, session_script_url) =
            read_script(&base, "session.js", SESSION_SCRIPT_PATH)?;
        let (password_rules_script, password_rules_script_url) =
            read_script(&base, "password_rules.js", PASSWORD_RULES_SCRIPT_PATH)?;
        Ok(Self {
            tera,
            catalogs,
            stylesheet,
            webauthn_script,
            webauthn_script_url,
            session_script,
            session_script_url,
            password_rules_script,
            password_rules_script_url,
        })
    }

    /// Renders `template` in `locale`: the context gets `lang` and the catalog
    /// as `t` in addition to `context`.
    pub fn render(
        &self,
        template: &str,
        locale: &str,
        context: &tera::Context,
    ) -> Result<String, ThemeError> {
        let (locale, catalog) = self.catalog(locale);
        let mut full = tera::Context::new();
        full.insert("lang", locale);
        full.insert("t", catalog);
        full.insert("stylesheet", STYLESHEET_PATH);
        full.insert("webauthn_script", &self.webauthn_script_url);
        full.insert("session_script", &self.session_script_url);
        full.insert("password_rules_script", &self.password_rules_script_url);
        // Pages for a logged-in user set this (R-SE-1); null hides it.
        full.insert("session_countdown", &serde_json::Value::Null);
        full.extend(context.clone());
        self.tera
            .render(template, &full)
            .map_err(|error| ThemeError(format!("{template}: {error}")))
    }

    /// One message in `locale` (for texts built outside a template).
    pub fn message(&self, locale: &str, key: &str) -> String {
        let (_, catalog) = self.catalog(locale);
        catalog
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or(key)
            .to_owned()
    }

    pub fn stylesheet(&self) -> &str {
        &self.stylesheet
    }

    pub fn webauthn_script(&self) -> &str {
        &self.webauthn_script
    }

    pub fn session_script(&self) -> &str {
        &self.session_script
    }

    pub fn password_rules_script(&self) -> &str {
        &self.password_rules_script
    }

    fn catalog(&self, locale: &str) -> (&str, &serde_json::Map<String, serde_json::Value>) {
        match self.catalogs.get_key_value(locale) {
            Some((locale, catalog)) => (locale, catalog),
            None => self
                .catalogs
                .get_key_value(DEFAULT_LOCALE)
                .map(|(locale, catalog)| (*locale, catalog))
                .unwrap_or((DEFAULT_LOCALE, &EMPTY_CATALOG)),
        }
    }
}

/// A theme's script and the URL that names its content hash as `?v=`.
fn read_script(base: &Path, file: &str, path: &str) -> Result<(String, String), ThemeError> {
    let script_path = base.join("static").join(file);
    let script = std::fs::read_to_string(&script_path)
        .map_err(|error| ThemeError(format!("{}: {error}", script_path.display())))?;
    let version: String = pforte_crypto::random::sha256_b64url(&script)
        .chars()
        .take(16)
        .collect();
    Ok((script, format!("{path}?v={version}")))
}

static EMPTY_CATALOG: std::sync::LazyLock<serde_json::Map<String, serde_json::Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);

/// Every catalog has exactly the keys of the default one, and only strings.
fn check_catalogs_agree(
    catalogs: &BTreeMap<&'static str, serde_json::Map<String, serde_json::Value>>,
) -> Result<(), ThemeError> {
    let reference = catalogs
        .get(DEFAULT_LOCALE)
        .ok_or_else(|| ThemeError(format!("no catalog for {DEFAULT_LOCALE}")))?;
    for (locale, catalog) in catalogs {
        for key in reference.keys() {
            if !catalog.contains_key(key) {
                return Err(ThemeError(format!("catalog {locale} lacks {key}")));
            }
        }
        for (key, value) in catalog {
            if !reference.contains_key(key) {
                return Err(ThemeError(format!(
                    "catalog {locale} has {key}, {DEFAULT_LOCALE} does not"
                )));
            }
            if !value.is_string() {
                return Err(ThemeError(format!("catalog {locale}: {key} is not text")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn themes() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes")
    }

    #[test]
    fn r_op_2_base_theme_loads_with_matching_german_and_english_catalogs() {
        let pages = Pages::load(&themes()).unwrap();
        assert_ne!(
            pages.message("de", "login_title"),
            pages.message("en", "login_title")
        );
    }

    #[test]
    fn a_missing_theme_is_a_clear_error() {
        let error = Pages::load(Path::new("/nonexistent")).unwrap_err();
        assert!(error.to_string().contains("layout.html"));
    }

    #[test]
    fn page_text_is_html_escaped() {
        let pages = Pages::load(&themes()).unwrap();
        let mut context = tera::Context::new();
        context.insert("public_code", "PF-X");
        context.insert("request_id", "<script>x</script>");
        context.insert("description", "a");
        let html = pages.render("error.html", "en", &context).unwrap();
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains(r#"<html lang="en">"#));
    }
}
