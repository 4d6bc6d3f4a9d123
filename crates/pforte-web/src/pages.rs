//! Templates, message catalogs and assets of the themes, read from the themes
//! folder at start-up and again whenever a file changes (R-OP-2).
//!
//! `themes/base/` is complete: every page template (`templates/**/*.html`,
//! tera 2, autoescaped; pages extend `layout.html`), one catalog per language
//! (`i18n/<lang>.json`, all with the same keys), the style sheet
//! `static/pforte.css` (colours, fonts and shapes as CSS custom properties) and
//! the scripts. Every other folder with a `theme.toml` is a *brand*: it sets
//! CSS variables and a logo in `theme.toml` and may override any template
//! (same path under `templates/`), any text (`i18n/<lang>.json`, keys base
//! has), append CSS (`static/theme.css`) and bring a logo (`static/logo.svg`
//! or `static/logo.png`). docs/themes.md describes the files.
//!
//! All brands are loaded together into one [`ThemeSet`]; [`Pages`] holds the
//! current set and swaps it atomically when [`Pages::reload_if_changed`] finds
//! changed files and the new set loads without error. A broken edit keeps the
//! old set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use crate::i18n::{DEFAULT_LOCALE, SUPPORTED};

/// The brand every theme set has: the complete base theme.
pub const BASE_BRAND: &str = "base";

/// Where the base style sheet is served (kept for links from outside pages).
pub const STYLESHEET_PATH: &str = "/assets/pforte.css";

/// The prefix of brand assets: `/assets/brand/{brand}/pforte.css` and
/// `/assets/brand/{brand}/logo.svg|png`.
pub const BRAND_ASSET_PREFIX: &str = "/assets/brand";

/// Where the WebAuthn script is served.
pub const WEBAUTHN_SCRIPT_PATH: &str = "/assets/webauthn.js";

/// Where the session countdown script is served.
pub const SESSION_SCRIPT_PATH: &str = "/assets/session.js";

/// Where the live password rules of the registration form are served.
pub const PASSWORD_RULES_SCRIPT_PATH: &str = "/assets/password-rules.js";

/// The pages the base theme must provide; brands may add more.
pub const REQUIRED_TEMPLATES: &[&str] = &[
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

/// The brand and the language of one page: the one value the render API
/// takes, so that both are decided in one place (`respond::look`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    /// A brand of the current theme set (unknown names render as the default
    /// brand).
    pub brand: String,
    /// One of [`SUPPORTED`].
    pub locale: &'static str,
    /// The path and query of the page, for the language switch links; empty
    /// when the page has no address of its own.
    pub page: String,
}

impl Look {
    /// The default brand in `locale`, for pages without a request.
    pub fn base(locale: &'static str) -> Self {
        Self {
            brand: BASE_BRAND.to_owned(),
            locale,
            page: String::new(),
        }
    }
}

/// A brand name is a folder name and a URL path segment: lower-case letters,
/// digits, `-` and `_`, starting with a letter, at most 64 characters.
pub fn is_brand_name(name: &str) -> bool {
    name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
}

/// A theme that cannot be loaded (missing folder, template syntax error,
/// unknown catalog key).
#[derive(Debug, thiserror::Error)]
#[error("theme cannot be loaded: {0}")]
pub struct ThemeError(pub String);

fn read_error(path: &Path, error: impl std::fmt::Display) -> ThemeError {
    ThemeError(format!("{}: {error}", path.display()))
}

type Catalog = serde_json::Map<String, serde_json::Value>;

/// A served file with its content type and versioned URL.
#[derive(Debug, Clone)]
pub struct Asset {
    pub bytes: Arc<Vec<u8>>,
    pub content_type: &'static str,
    /// The URL pages link, with `?v=<content hash>`.
    pub url: String,
}

impl Asset {
    fn new(bytes: Vec<u8>, content_type: &'static str, path: &str) -> Self {
        // The hash takes text; base64 keeps every byte of a binary file.
        use base64::Engine as _;
        let text = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let version: String = pforte_crypto::random::sha256_b64url(&text)
            .chars()
            .take(16)
            .collect();
        Self {
            url: format!("{path}?v={version}"),
            bytes: Arc::new(bytes),
            content_type,
        }
    }
}

/// `theme.toml` of a brand.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeToml {
    /// Shown in the page header and title.
    display_name: String,
    /// CSS custom properties set on `:root` (`accent = "#0b5cad"` becomes
    /// `--accent: #0b5cad;`).
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

/// One brand, complete: base templates and texts with the brand's overrides.
pub struct Brand {
    pub name: String,
    pub display_name: String,
    tera: tera::Tera,
    catalogs: BTreeMap<&'static str, Catalog>,
    /// Template names, base's and the brand's own.
    templates: BTreeSet<String>,
    /// Fixture contexts for the preview and `pforte themes check`, by
    /// template name.
    fixtures: BTreeMap<String, serde_json::Value>,
    pub stylesheet: Asset,
    pub logo: Option<(String, Asset)>,
}

/// Every brand of a themes folder, loaded together.
pub struct ThemeSet {
    brands: BTreeMap<String, Brand>,
    webauthn_script: Asset,
    session_script: Asset,
    password_rules_script: Asset,
}

impl std::fmt::Debug for ThemeSet {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ThemeSet")
            .field("brands", &self.brands.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Every file below `dir` (recursively), as paths relative to `dir` with `/`
/// separators, sorted. A missing folder has no files.
fn walk(dir: &Path) -> Result<Vec<(String, PathBuf)>, ThemeError> {
    let mut found = Vec::new();
    if !dir.is_dir() {
        return Ok(found);
    }
    let mut pending = vec![(String::new(), dir.to_path_buf())];
    while let Some((prefix, folder)) = pending.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|error| read_error(&folder, error))?;
        for entry in entries {
            let entry = entry.map_err(|error| read_error(&folder, error))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if path.is_dir() {
                pending.push((relative, path));
            } else {
                found.push((relative, path));
            }
        }
    }
    found.sort();
    Ok(found)
}

fn read_text(path: &Path) -> Result<String, ThemeError> {
    std::fs::read_to_string(path).map_err(|error| read_error(path, error))
}

fn read_catalog(path: &Path) -> Result<Catalog, ThemeError> {
    serde_json::from_str(&read_text(path)?).map_err(|error| read_error(path, error))
}

/// The templates of a theme folder: name (`admin/users.html`) → file.
fn templates_of(theme: &Path) -> Result<BTreeMap<String, PathBuf>, ThemeError> {
    Ok(walk(&theme.join("templates"))?
        .into_iter()
        .filter(|(name, _)| name.ends_with(".html"))
        .collect())
}

/// The fixtures of a theme folder: template name → JSON context. The
/// fixture of `templates/admin/users.html` is `fixtures/admin/users.json`.
fn fixtures_of(theme: &Path) -> Result<BTreeMap<String, serde_json::Value>, ThemeError> {
    let mut fixtures = BTreeMap::new();
    for (name, path) in walk(&theme.join("fixtures"))? {
        let Some(template) = name.strip_suffix(".json") else {
            continue;
        };
        let value: serde_json::Value =
            serde_json::from_str(&read_text(&path)?).map_err(|error| read_error(&path, error))?;
        if !value.is_object() {
            return Err(ThemeError(format!(
                "{}: a fixture is one JSON object",
                path.display()
            )));
        }
        fixtures.insert(format!("{template}.html"), value);
    }
    Ok(fixtures)
}

/// A CSS custom property name (without `--`) and value that cannot leave
/// the declaration they are put in.
fn check_variable(name: &str, value: &str) -> Result<(), String> {
    let name_ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        return Err(format!(
            "variable {name:?}: lower-case letters, digits and '-' only"
        ));
    }
    let value_ok = !value.trim().is_empty()
        && value.len() <= 200
        && !value
            .chars()
            .any(|c| matches!(c, ';' | '{' | '}' | '<' | '>' | '\\') || c.is_control());
    if !value_ok {
        return Err(format!(
            "variable {name}: {value:?} must be a plain CSS value (no ; {{ }} < > \\)"
        ));
    }
    Ok(())
}

impl ThemeSet {
    /// Loads `themes_dir/base` and every brand folder next to it.
    pub fn load(themes_dir: &Path) -> Result<Self, ThemeError> {
        let base = themes_dir.join(BASE_BRAND);
        let base_templates = templates_of(&base)?;
        for required in REQUIRED_TEMPLATES {
            if !base_templates.contains_key(*required) {
                return Err(ThemeError(format!(
                    "missing template {}",
                    base.join("templates").join(required).display()
                )));
            }
        }
        let mut base_catalogs = BTreeMap::new();
        for locale in SUPPORTED {
            let path = base.join("i18n").join(format!("{locale}.json"));
            base_catalogs.insert(locale, read_catalog(&path)?);
        }
        check_catalogs_agree(&base_catalogs)?;
        let base_fixtures = fixtures_of(&base)?;
        let base_css = read_text(&base.join("static").join("pforte.css"))?;

        let script = |file: &str, path: &str| -> Result<Asset, ThemeError> {
            let text = read_text(&base.join("static").join(file))?;
            Ok(Asset::new(
                text.into_bytes(),
                "text/javascript; charset=utf-8",
                path,
            ))
        };
        let webauthn_script = script("webauthn.js", WEBAUTHN_SCRIPT_PATH)?;
        let session_script = script("session.js", SESSION_SCRIPT_PATH)?;
        let password_rules_script = script("password_rules.js", PASSWORD_RULES_SCRIPT_PATH)?;

        let base_parts = BaseParts {
            templates: &base_templates,
            catalogs: &base_catalogs,
            fixtures: &base_fixtures,
            css: &base_css,
        };
        let mut brands = BTreeMap::new();
        brands.insert(
            BASE_BRAND.to_owned(),
            Brand::build(BASE_BRAND, &base, None, &base_parts)?,
        );
        let entries = std::fs::read_dir(themes_dir).map_err(|e| read_error(themes_dir, e))?;
        let mut folders: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| read_error(themes_dir, error))?;
            let path = entry.path();
            if path.is_dir() && path.join("theme.toml").is_file() {
                folders.push(path);
            }
        }
        folders.sort();
        for folder in folders {
            let name = folder
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name == BASE_BRAND {
                continue;
            }
            if !is_brand_name(&name) {
                return Err(ThemeError(format!(
                    "{}: a brand name has lower-case letters, digits, '-' and '_' only",
                    folder.display()
                )));
            }
            let toml_path = folder.join("theme.toml");
            let toml: ThemeToml = toml::from_str(&read_text(&toml_path)?)
                .map_err(|error| read_error(&toml_path, error))?;
            let brand = Brand::build(&name, &folder, Some(toml), &base_parts)?;
            brands.insert(name, brand);
        }
        Ok(Self {
            brands,
            webauthn_script,
            session_script,
            password_rules_script,
        })
    }

    pub fn brand_names(&self) -> impl Iterator<Item = &str> {
        self.brands.keys().map(String::as_str)
    }

    pub fn has_brand(&self, name: &str) -> bool {
        self.brands.contains_key(name)
    }

    pub fn brand(&self, name: &str) -> Option<&Brand> {
        self.brands.get(name)
    }

    /// The brand to render `name` with: itself, else base.
    fn brand_or_base(&self, name: &str) -> Option<&Brand> {
        self.brands
            .get(name)
            .or_else(|| self.brands.get(BASE_BRAND))
    }
}

/// What every brand starts from.
struct BaseParts<'a> {
    templates: &'a BTreeMap<String, PathBuf>,
    catalogs: &'a BTreeMap<&'static str, Catalog>,
    fixtures: &'a BTreeMap<String, serde_json::Value>,
    css: &'a str,
}

impl Brand {
    fn build(
        name: &str,
        folder: &Path,
        toml: Option<ThemeToml>,
        base: &BaseParts<'_>,
    ) -> Result<Self, ThemeError> {
        let is_base = toml.is_none();
        let mut templates = base.templates.clone();
        let mut fixtures = base.fixtures.clone();
        let mut catalogs = base.catalogs.clone();
        let mut css = base.css.to_owned();
        let mut display_name = String::new();
        if let Some(toml) = toml {
            display_name = toml.display_name;
            templates.extend(templates_of(folder)?);
            fixtures.extend(fixtures_of(folder)?);
            for (locale, catalog) in &mut catalogs {
                let path = folder.join("i18n").join(format!("{locale}.json"));
                if !path.is_file() {
                    continue;
                }
                for (key, value) in read_catalog(&path)? {
                    if !catalog.contains_key(&key) {
                        return Err(ThemeError(format!(
                            "{}: {key} is not a key of the base catalog",
                            path.display()
                        )));
                    }
                    if !value.is_string() {
                        return Err(ThemeError(format!("{}: {key} is not text", path.display())));
                    }
                    catalog.insert(key, value);
                }
            }
            let toml_path = folder.join("theme.toml");
            css.push_str(&format!("\n/* brand {name} (theme.toml) */\n:root {{\n"));
            for (variable, value) in &toml.variables {
                check_variable(variable, value)
                    .map_err(|error| ThemeError(format!("{}: {error}", toml_path.display())))?;
                css.push_str(&format!("  --{variable}: {value};\n"));
            }
            css.push_str("}\n");
            let extra = folder.join("static").join("theme.css");
            if extra.is_file() {
                css.push_str(&format!("\n/* brand {name} (static/theme.css) */\n"));
                css.push_str(&read_text(&extra)?);
            }
        }
        let asset_dir = format!("{BRAND_ASSET_PREFIX}/{name}");
        let stylesheet = Asset::new(
            css.into_bytes(),
            "text/css; charset=utf-8",
            &format!("{asset_dir}/pforte.css"),
        );
        let mut logo = None;
        for (file, content_type) in [("logo.svg", "image/svg+xml"), ("logo.png", "image/png")] {
            let path = folder.join("static").join(file);
            if path.is_file() {
                let bytes = std::fs::read(&path).map_err(|error| read_error(&path, error))?;
                logo = Some((
                    file.to_owned(),
                    Asset::new(bytes, content_type, &format!("{asset_dir}/{file}")),
                ));
                break;
            }
        }

        let mut tera = tera::Tera::new();
        let files: Vec<(PathBuf, Option<&str>)> = templates
            .iter()
            .map(|(name, path)| (path.clone(), Some(name.as_str())))
            .collect();
        tera.add_template_files(files)
            .map_err(|error| ThemeError(format!("{}: {error}", folder.display())))?;
        if is_base {
            display_name = catalogs
                .get(DEFAULT_LOCALE)
                .and_then(|catalog| catalog.get("brand"))
                .and_then(serde_json::Value::as_str)
                .unwrap_or(BASE_BRAND)
                .to_owned();
        }
        Ok(Self {
            name: name.to_owned(),
            display_name,
            tera,
            catalogs,
            templates: templates.into_keys().collect(),
            fixtures,
            stylesheet,
            logo,
        })
    }

    /// The template names of the brand (base's and its own).
    pub fn templates(&self) -> impl Iterator<Item = &str> {
        self.templates.iter().map(String::as_str)
    }

    /// The fixture context of `template`, if the theme has one.
    pub fn fixture(&self, template: &str) -> Option<&serde_json::Value> {
        self.fixtures.get(template)
    }

    fn catalog(&self, locale: &str) -> (&'static str, &Catalog) {
        match self.catalogs.get_key_value(locale) {
            Some((locale, catalog)) => (*locale, catalog),
            None => self
                .catalogs
                .get_key_value(DEFAULT_LOCALE)
                .map(|(locale, catalog)| (*locale, catalog))
                .unwrap_or((DEFAULT_LOCALE, &EMPTY_CATALOG)),
        }
    }
}

/// A language offered by the switch on every page.
#[derive(Debug, serde::Serialize)]
struct LanguageLink {
    code: &'static str,
    href: String,
    current: bool,
}

/// `page` with its `lang` query parameter set to `code` (other parameters
/// kept), so the switch keeps the user on the same page and interaction.
pub fn language_href(page: &str, code: &str) -> String {
    let (path, query) = page.split_once('?').unwrap_or((page, ""));
    // Only a path of this site: not `//host` (a network-path reference).
    let path = if path.starts_with('/') && !path.starts_with("//") {
        path
    } else {
        "/"
    };
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("lang=") && *pair != "lang")
        .collect();
    let lang = format!("lang={code}");
    pairs.push(&lang);
    format!("{path}?{}", pairs.join("&"))
}

/// The theme set in use and how to renew it.
pub struct Pages {
    dir: PathBuf,
    current: RwLock<Arc<ThemeSet>>,
    /// File metadata when the current set (or the last failed attempt) was
    /// read.
    stamp: Mutex<Stamp>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Pages")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Path, length and modification time of every file of a themes folder.
type Stamp = Vec<(String, u64, Option<SystemTime>)>;

fn stamp_of(dir: &Path) -> Stamp {
    walk(dir)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, path)| {
            let metadata = std::fs::metadata(&path).ok();
            (
                name,
                metadata.as_ref().map(|m| m.len()).unwrap_or(0),
                metadata.and_then(|m| m.modified().ok()),
            )
        })
        .collect()
}

/// What [`Pages::reload_if_changed`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reload {
    /// No file changed.
    Unchanged,
    /// Files changed and the new set is in use.
    Swapped,
}

impl Pages {
    /// Loads every theme of `themes_dir`.
    pub fn load(themes_dir: &Path) -> Result<Self, ThemeError> {
        let stamp = stamp_of(themes_dir);
        let set = ThemeSet::load(themes_dir)?;
        Ok(Self {
            dir: themes_dir.to_path_buf(),
            current: RwLock::new(Arc::new(set)),
            stamp: Mutex::new(stamp),
        })
    }

    /// The set in use (cheap: one reference count).
    pub fn set(&self) -> Arc<ThemeSet> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reads the themes folder again when any file's length or modification
    /// time changed since the last look, and swaps the set in use when the
    /// new one loads. On an error the old set stays in use; the same broken
    /// files are not reported again until they change.
    pub fn reload_if_changed(&self) -> Result<Reload, ThemeError> {
        let stamp = stamp_of(&self.dir);
        {
            let mut last = match self.stamp.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            if *last == stamp {
                return Ok(Reload::Unchanged);
            }
            *last = stamp;
        }
        let set = ThemeSet::load(&self.dir)?;
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::new(set),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(set),
        }
        Ok(Reload::Swapped)
    }

    /// Renders `template` with the look's brand and language: the context
    /// gets `lang`, the catalog as `t`, the brand's assets and the language
    /// switch in addition to `context`.
    pub fn render(
        &self,
        template: &str,
        look: &Look,
        context: &tera::Context,
    ) -> Result<String, ThemeError> {
        let set = self.set();
        render_with(&set, template, look, context)
    }

    /// One message in the look's brand and language (for texts built outside
    /// a template).
    pub fn message(&self, look: &Look, key: &str) -> String {
        let set = self.set();
        set.brand_or_base(&look.brand)
            .map(|brand| brand.catalog(look.locale).1)
            .and_then(|catalog| catalog.get(key))
            .and_then(serde_json::Value::as_str)
            .unwrap_or(key)
            .to_owned()
    }

    pub fn has_brand(&self, name: &str) -> bool {
        self.set().has_brand(name)
    }

    pub fn stylesheet(&self) -> Asset {
        self.brand_asset(BASE_BRAND, "pforte.css")
            .unwrap_or_else(|| Asset::new(Vec::new(), "text/css; charset=utf-8", ""))
    }

    /// `pforte.css` or the logo file of a brand.
    pub fn brand_asset(&self, brand: &str, file: &str) -> Option<Asset> {
        let set = self.set();
        let brand = set.brand(brand)?;
        if file == "pforte.css" {
            return Some(brand.stylesheet.clone());
        }
        brand
            .logo
            .as_ref()
            .filter(|(name, _)| name == file)
            .map(|(_, asset)| asset.clone())
    }

    pub fn webauthn_script(&self) -> Asset {
        self.set().webauthn_script.clone()
    }

    pub fn session_script(&self) -> Asset {
        self.set().session_script.clone()
    }

    pub fn password_rules_script(&self) -> Asset {
        self.set().password_rules_script.clone()
    }
}

/// An empty template context (for callers without a tera dependency).
pub fn tera_context() -> tera::Context {
    tera::Context::new()
}

/// Renders with a given set (also used by the theme check).
pub fn render_with(
    set: &ThemeSet,
    template: &str,
    look: &Look,
    context: &tera::Context,
) -> Result<String, ThemeError> {
    let brand = set
        .brand_or_base(&look.brand)
        .ok_or_else(|| ThemeError("no base theme".to_owned()))?;
    let (locale, catalog) = brand.catalog(look.locale);
    let languages: Vec<LanguageLink> = SUPPORTED
        .iter()
        .map(|code| LanguageLink {
            code,
            href: language_href(&look.page, code),
            current: *code == locale,
        })
        .collect();
    let mut full = tera::Context::new();
    full.insert("lang", locale);
    full.insert("t", catalog);
    full.insert("brand", &brand.name);
    full.insert("brand_name", &brand.display_name);
    full.insert("stylesheet", &brand.stylesheet.url);
    full.insert(
        "logo",
        &brand.logo.as_ref().map(|(_, asset)| asset.url.clone()),
    );
    full.insert("languages", &languages);
    full.insert("webauthn_script", &set.webauthn_script.url);
    full.insert("session_script", &set.session_script.url);
    full.insert("password_rules_script", &set.password_rules_script.url);
    // Pages for a logged-in user set this (R-SE-1); null hides it.
    full.insert("session_countdown", &serde_json::Value::Null);
    full.extend(context.clone());
    brand
        .tera
        .render(template, &full)
        .map_err(|error| ThemeError(format!("{template}: {}", error_chain(&error))))
}

/// A tera error with its causes (the cause names the missing variable).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

static EMPTY_CATALOG: std::sync::LazyLock<Catalog> = std::sync::LazyLock::new(Catalog::new);

/// Every catalog has exactly the keys of the default one, and only strings.
fn check_catalogs_agree(catalogs: &BTreeMap<&'static str, Catalog>) -> Result<(), ThemeError> {
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

/// One failure found by [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    pub brand: String,
    pub locale: &'static str,
    pub template: String,
    pub error: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{}/{}/{}: {}",
            self.brand, self.locale, self.template, self.error
        )
    }
}

/// Renders every template of every brand in every language with its fixture
/// (`fixtures/<template>.json`; none means an empty context) and returns
/// what failed: template errors and texts missing from the catalogs (tera 2
/// refuses to print an undefined value such as `{{ t.no_such_key }}`).
/// `layout.html` is only rendered through the pages that extend it.
pub fn check(set: &ThemeSet) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    for brand in set.brands.values() {
        for template in brand.templates() {
            if template == "layout.html" {
                continue;
            }
            let context = match brand
                .fixture(template)
                .map(tera::Context::from_serialize)
                .transpose()
            {
                Ok(context) => context.unwrap_or_default(),
                Err(error) => {
                    failures.push(CheckFailure {
                        brand: brand.name.clone(),
                        locale: DEFAULT_LOCALE,
                        template: template.to_owned(),
                        error: format!("fixture: {error}"),
                    });
                    continue;
                }
            };
            for locale in SUPPORTED {
                let look = Look {
                    brand: brand.name.clone(),
                    locale,
                    page: "/".to_owned(),
                };
                if let Err(error) = render_with(set, template, &look, &context) {
                    failures.push(CheckFailure {
                        brand: brand.name.clone(),
                        locale,
                        template: template.to_owned(),
                        error: error.0,
                    });
                }
            }
        }
    }
    failures
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
            pages.message(&Look::base("de"), "login_title"),
            pages.message(&Look::base("en"), "login_title")
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
        let html = pages
            .render("error.html", &Look::base("en"), &context)
            .unwrap();
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains(r#"<html lang="en">"#));
    }

    #[test]
    fn r_op_2_language_links_keep_the_page_and_replace_lang() {
        assert_eq!(
            language_href("/login?interaction=abc&lang=de", "en"),
            "/login?interaction=abc&lang=en"
        );
        assert_eq!(language_href("", "de"), "/?lang=de");
        assert_eq!(language_href("//evil.example/x", "de"), "/?lang=de");
    }

    #[test]
    fn r_op_2_brand_names_are_safe_path_segments() {
        assert!(is_brand_name("nordlicht"));
        assert!(is_brand_name("rhein-main_2"));
        assert!(!is_brand_name("../base"));
        assert!(!is_brand_name("Upper"));
        assert!(!is_brand_name(""));
        assert!(!is_brand_name("2fast"));
    }

    #[test]
    fn r_op_2_css_variables_cannot_break_out_of_their_declaration() {
        assert!(check_variable("accent", "#0b5cad").is_ok());
        assert!(check_variable("font-body", "\"Source Sans\", sans-serif").is_ok());
        assert!(check_variable("accent", "red; } body { display: none").is_err());
        assert!(check_variable("accent", "</style>").is_err());
        assert!(check_variable("Accent", "red").is_err());
    }

    #[test]
    fn r_op_2_the_repository_themes_pass_the_check() {
        let set = ThemeSet::load(&themes()).unwrap();
        let failures = check(&set);
        assert!(
            failures.is_empty(),
            "{}",
            failures
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
