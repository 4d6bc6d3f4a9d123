//! Brands, languages and the theme preview (R-OP-2).

use crate::support::*;
use pforte_testkit::{Browser, TestServer};
use pforte_web::interaction;
use std::time::Duration;

/// A parked interaction of a client with `brand`.
async fn branded_interaction(
    server: &TestServer,
    browser: &Browser,
    ui_locales: &[&str],
    brand: Option<&str>,
) -> String {
    let (id, mut record) = park_interaction(server, browser, ui_locales, None).await;
    record.brand = brand.map(str::to_owned);
    interaction::save(
        server.app.memory.as_ref(),
        &id,
        &record,
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    id
}

fn h1(body: &str) -> String {
    body.split("<h1>")
        .nth(1)
        .and_then(|rest| rest.split("</h1>").next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn r_op_2_a_clients_brand_gives_the_login_page_its_look_texts_and_logo() {
    let server = server().await;
    let browser = browser();
    let id = branded_interaction(&server, &browser, &["de"], Some("rheintal")).await;
    let page = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/assets/brand/rheintal/pforte.css?v="));
    assert!(page.body.contains("/assets/brand/rheintal/logo.svg?v="));
    // A text the brand overrides, and one it takes from base.
    assert_eq!(h1(&page.body), "Anmelden bei Ihrer Krankenkasse");
    assert!(page.body.contains("Rheintal Krankenkasse"));
    assert!(page.body.contains("Zum Inhalt springen"));

    let other = branded_interaction(&server, &browser, &["de"], Some("nordlicht")).await;
    let page = browser
        .get(&server.url(&format!("/login?interaction={other}")))
        .await
        .unwrap();
    assert!(page.body.contains("/assets/brand/nordlicht/pforte.css?v="));
    assert_eq!(
        h1(&page.body),
        "Anmelden",
        "base text where the brand has none"
    );
}

#[tokio::test]
async fn r_op_2_an_unknown_brand_falls_back_to_the_default() {
    let server = server().await;
    let browser = browser();
    let id = branded_interaction(&server, &browser, &[], Some("vanished")).await;
    let page = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/assets/brand/base/pforte.css?v="));
}

#[tokio::test]
async fn r_op_2_pages_without_a_client_use_the_configured_default_brand() {
    let server = TestServer::start_with(|settings| {
        settings.ui.default_brand = "nordlicht".to_owned();
    })
    .await
    .unwrap();
    let page = browser().get(&server.url("/no-such-page")).await.unwrap();
    assert_eq!(page.status, 404);
    assert!(page.body.contains("/assets/brand/nordlicht/pforte.css?v="));
}

#[tokio::test]
async fn r_op_2_brand_assets_carry_the_brand_colours_with_content_types_and_long_caching() {
    let server = server().await;
    let browser = browser();
    let css = browser
        .get(&server.url("/assets/brand/nordlicht/pforte.css"))
        .await
        .unwrap();
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.header("cache-control").unwrap().contains("immutable"));
    assert!(css.body.contains("--accent: #00646e;"), "the brand colour");
    assert!(
        css.body.contains("--accent: #0b5cad;"),
        "the base value before it"
    );
    let base = browser
        .get(&server.url("/assets/brand/base/pforte.css"))
        .await
        .unwrap();
    assert!(!base.body.contains("#00646e"));
    let logo = browser
        .get(&server.url("/assets/brand/rheintal/logo.svg"))
        .await
        .unwrap();
    assert_eq!(logo.status, 200);
    assert_eq!(logo.header("content-type"), Some("image/svg+xml"));
    for path in [
        "/assets/brand/rheintal/theme.toml",
        "/assets/brand/base/logo.svg",
        "/assets/brand/..%2Fbase/pforte.css",
        "/assets/brand/nowhere/pforte.css",
    ] {
        let page = browser.get(&server.url(path)).await.unwrap();
        assert_eq!(page.status, 404, "{path}");
    }
}

#[tokio::test]
async fn r_op_2_language_order_switch_then_ui_locales_then_accept_language_then_german() {
    let server = server().await;
    // German by default.
    let browser = browser();
    let id = branded_interaction(&server, &browser, &[], None).await;
    let login = format!("/login?interaction={id}");
    let page = browser.get(&server.url(&login)).await.unwrap();
    assert_eq!(page.lang().as_deref(), Some("de"));
    // Accept-Language when the client sent no ui_locales.
    let english = pforte_testkit::Browser::new()
        .unwrap()
        .with_language("en-GB");
    let id = branded_interaction(&server, &english, &[], None).await;
    let page = english
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    assert_eq!(page.lang().as_deref(), Some("en"));
    // ui_locales over Accept-Language.
    let id = branded_interaction(&server, &english, &["de"], None).await;
    let login = format!("/login?interaction={id}");
    let page = english.get(&server.url(&login)).await.unwrap();
    assert_eq!(page.lang().as_deref(), Some("de"));
    // The switch link on the page keeps the interaction ...
    let switch = format!("/login?interaction={id}&amp;lang=en");
    assert!(page.body.contains(&switch), "{}", page.body);
    let switched = english
        .get(&server.url(&format!("/login?interaction={id}&lang=en")))
        .await
        .unwrap();
    assert_eq!(switched.status, 303);
    assert_eq!(switched.location(), Some(server.url(&login)));
    assert_eq!(english.cookie("pforte_lang").as_deref(), Some("en"));
    // ... and the choice wins over ui_locales from then on in this browser.
    let page = english.follow(&switched).await.unwrap();
    assert_eq!(page.lang().as_deref(), Some("en"));
    let id = branded_interaction(&server, &english, &["de"], None).await;
    let page = english
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    assert_eq!(page.lang().as_deref(), Some("en"));
}

#[tokio::test]
async fn r_op_2_the_theme_preview_is_off_by_default() {
    let server = server().await;
    for path in ["/theme-preview", "/theme-preview/base/de/login.html"] {
        let page = browser().get(&server.url(path)).await.unwrap();
        assert_eq!(page.status, 404, "{path}");
    }
}

#[tokio::test]
async fn r_op_2_the_theme_preview_renders_every_brand_language_and_template() {
    let server = TestServer::start_with(|settings| settings.ui.theme_preview = true)
        .await
        .unwrap();
    let browser = browser();
    let index = browser.get(&server.url("/theme-preview")).await.unwrap();
    assert_eq!(index.status, 200);
    for link in [
        "/theme-preview/base/de/login.html",
        "/theme-preview/nordlicht/en/consent.html",
        "/theme-preview/rheintal/de/home.html",
    ] {
        assert!(index.body.contains(link), "{link}");
        let page = browser.get(&server.url(link)).await.unwrap();
        assert_eq!(page.status, 200, "{link}");
        assert_page_headers(&page);
    }
    let page = browser
        .get(&server.url("/theme-preview/nordlicht/en/home.html"))
        .await
        .unwrap();
    assert_eq!(page.lang().as_deref(), Some("en"));
    assert!(page.body.contains("/assets/brand/nordlicht/pforte.css?v="));
    assert!(
        page.body.contains(r#"<div class="notice">"#),
        "the brand's own home.html"
    );
    assert!(page.body.contains("Welcome to Nordlicht"));
    let base = browser
        .get(&server.url("/theme-preview/base/en/home.html"))
        .await
        .unwrap();
    assert!(!base.body.contains(r#"<div class="notice">"#));
    for missing in [
        "/theme-preview/base/fr/login.html",
        "/theme-preview/nowhere/de/login.html",
        "/theme-preview/base/de/layout.html",
        "/theme-preview/base/de/no-such.html",
    ] {
        let page = browser.get(&server.url(missing)).await.unwrap();
        assert_eq!(page.status, 404, "{missing}");
    }
}
