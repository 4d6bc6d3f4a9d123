//! The documentation's pictures of the login page (docs/screenshots/, made by
//! `scripts/screenshots.sh`): the login page of the base theme and of every
//! example brand in `themes/` in German, one in English, and a refused login.
//! The pages are the real ones of a login a relying party starts, each brand
//! through a client registered with `--brand`.
//!
//! Only with `PFORTE_SCREENSHOTS_DIR` set; otherwise the test does nothing, so
//! test runs write nothing into the tree.

use crate::browser::{Chromium, chromium, wait_for_element};
use crate::recovery_browser::{click, type_into};
use crate::support::PASSWORD;
use crate::support::factors::{add_user, native_rp, prepare};
use crate::support::fixture::{AuthKind, ClientSpec, NATIVE_REDIRECT};
use crate::support::rp::{Request, Rp};
use crate::support::server::Server;
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::page::{Page, ScreenshotParams};
use std::path::{Path, PathBuf};

/// The brands of the repository's `themes/` folder (every folder but `base`),
/// sorted.
fn example_brands() -> Vec<String> {
    let themes = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("themes");
    let mut brands: Vec<String> = std::fs::read_dir(themes)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "base")
        .collect();
    brands.sort();
    brands
}

/// A public native client shown in `brand`.
fn brand_client(server: &Server, brand: &str) -> ClientSpec {
    let id: &'static str = Box::leak(format!("shot-{brand}").into_boxed_str());
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        id,
        "--auth-method",
        "none",
        "--application-type",
        "native",
        "--redirect-uri",
        NATIVE_REDIRECT,
        "--brand",
        brand,
    ]);
    ClientSpec {
        id,
        auth: AuthKind::None,
        redirect_uri: NATIVE_REDIRECT,
        secret: None,
        id_token_alg: "RS256",
    }
}

/// A desktop-sized window, so that the pictures look like a person's screen.
async fn open(chromium: &Chromium, rp: &Rp, lang: &str) -> Page {
    let started = rp.start(
        &Request::scopes(&["openid"])
            .param("ui_locales", lang)
            .param("prompt", "login"),
    );
    let page = chromium.browser.new_page("about:blank").await.unwrap();
    page.execute(SetDeviceMetricsOverrideParams::new(1024, 768, 1.0, false))
        .await
        .unwrap();
    page.goto(started.url.as_str()).await.unwrap();
    page.wait_for_navigation().await.unwrap();
    wait_for_element(&page, "#username").await;
    page
}

async fn save(page: &Page, dir: &Path, name: &str) {
    let png = page
        .screenshot(ScreenshotParams::builder().full_page(true).build())
        .await
        .unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    eprintln!("wrote {}", dir.join(format!("{name}.png")).display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_the_login_pages_for_the_docs() {
    let Some(dir) = std::env::var_os("PFORTE_SCREENSHOTS_DIR").map(PathBuf::from) else {
        return;
    };
    let Some(executable) = chromium() else {
        return;
    };
    let Some(server) = prepare(None) else {
        return;
    };
    add_user(&server, "erika", PASSWORD, &[]);
    let brands = example_brands();
    let clients: Vec<(String, ClientSpec)> = brands
        .iter()
        .map(|brand| (brand.clone(), brand_client(&server, brand)))
        .collect();
    server.start();
    std::fs::create_dir_all(&dir).unwrap();
    let chromium = Chromium::launch(executable).await;

    let base = native_rp(&server).await;
    let page = open(&chromium, &base, "de").await;
    save(&page, &dir, "login-base-de").await;
    type_into(&page, "#username", "erika").await;
    type_into(&page, "#password", "nicht-das-Passwort").await;
    click(&page, "button[value=login]").await;
    wait_for_element(&page, "[role=alert]").await;
    save(&page, &dir, "login-base-de-refused").await;
    let _ = page.close().await;
    let page = open(&chromium, &base, "en").await;
    save(&page, &dir, "login-base-en").await;
    let _ = page.close().await;

    for (brand, spec) in clients {
        let rp = Rp::for_issuer(&server.issuer, spec).await;
        let page = open(&chromium, &rp, "de").await;
        save(&page, &dir, &format!("login-{brand}-de")).await;
        let _ = page.close().await;
    }
    chromium.close().await;
}
