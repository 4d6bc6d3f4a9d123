//! The admin console in headless Chromium (R-OP-1, docs/admin.md): a
//! provider with the console at `loa-substantial`, operators granted with
//! `pforte operator grant`, and the login of an operator through Pforte
//! itself (password, then the authenticator app enrolled on first use).

use super::PASSWORD;
use super::server::Server;
use crate::second_factor_browser::{
    enrol_totp, log_in, mark_document, next_document, present, press, prove_totp,
    recovery_codes_then_continue, screen, try_eval,
};
use chromiumoxide::page::Page;
use std::path::PathBuf;

/// The level an operator's login must reach in these providers: password and
/// a possession factor (an authenticator app).
pub const REQUIRED_ACR: &str = "loa-substantial";

/// Turns the console on at [`REQUIRED_ACR`] (`[admin] required_acr`).
pub fn enable_console(server: &Server) {
    server.append_config(&format!("\n[admin]\nrequired_acr = {REQUIRED_ACR:?}\n"));
}

/// `pforte user add` for `username` with the shared password, then
/// `pforte operator grant --role <role>`.
pub fn add_operator(server: &Server, username: &str, role: &str) {
    server.cli_ok(&[
        "user",
        "add",
        "--username",
        username,
        "--password",
        PASSWORD,
    ]);
    server.cli_ok(&["operator", "grant", "--username", username, "--role", role]);
}

/// The path of the page's URL (`/admin/users`), empty between documents.
pub async fn path(page: &Page) -> String {
    try_eval(page, "location.pathname")
        .await
        .unwrap_or_default()
}

/// What the console's operator authenticator app holds after
/// [`console_login`]: the manual key of the enrolled TOTP factor.
pub struct Operator {
    pub manual_key: Option<String>,
}

/// Opens `/admin` and logs `username` in through the provider: password, the
/// authenticator app (enrolled on the first login, its code on later ones),
/// the recovery codes page, until the console's overview is shown.
pub async fn console_login(page: &Page, server: &Server, username: &str, operator: &mut Operator) {
    mark_document(page).await;
    page.goto(server.url("/admin")).await.unwrap();
    next_document(page).await;
    for _ in 0..8 {
        if path(page).await == "/admin" && present(page, "#main").await {
            return;
        }
        match screen(page).await {
            "login" => log_in(page, username).await,
            "enrol" => operator.manual_key = Some(enrol_totp(page, server).await),
            "recovery-codes" => {
                recovery_codes_then_continue(page).await;
                next_document(page).await;
            }
            "factor" => {
                let key = operator
                    .manual_key
                    .clone()
                    .expect("a code asked for before an app was enrolled");
                prove_totp(page, server, &key).await;
                next_document(page).await;
            }
            other => panic!(
                "unexpected page {other} during the console login at {:?}",
                page.url().await
            ),
        }
    }
    panic!(
        "the console login did not reach /admin; at {:?}",
        page.url().await
    );
}

/// Sets a form control's value in the page (a `<select>` or `<textarea>`).
pub async fn set_value(page: &Page, selector: &str, value: &str) {
    press(page, selector).await;
    let script = format!(
        "(() => {{ const e = document.querySelector({selector:?}); e.value = {value:?}; \
         return e.value; }})()"
    );
    let set: Option<String> = try_eval(page, &script).await;
    assert_eq!(set.as_deref(), Some(value), "{selector}");
}

/// The text of `key` in the catalog of the page's language
/// (`themes/base/i18n/<lang>.json`).
pub async fn catalog_text(page: &Page, key: &str) -> String {
    let lang: String = try_eval(page, "document.documentElement.lang")
        .await
        .unwrap_or_default();
    let language = if lang.starts_with("de") { "de" } else { "en" };
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("themes/base/i18n")
        .join(format!("{language}.json"));
    let catalog: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    catalog[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in the {language} catalog"))
        .to_owned()
}

/// Saves the whole page as `<PFORTE_SCREENSHOTS_DIR>/<name>` (PNG) when the
/// variable is set.
pub async fn screenshot(page: &Page, name: &str) {
    let Some(directory) = std::env::var_os("PFORTE_SCREENSHOTS_DIR") else {
        return;
    };
    let directory = PathBuf::from(directory);
    std::fs::create_dir_all(&directory).unwrap();
    let params = chromiumoxide::page::ScreenshotParams::builder()
        .format(chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat::Png)
        .full_page(true)
        .build();
    page.save_screenshot(params, directory.join(name))
        .await
        .unwrap_or_else(|error| panic!("screenshot {name}: {error}"));
}
