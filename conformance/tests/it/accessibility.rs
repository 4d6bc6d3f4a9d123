//! WCAG 2.1 AA in a real browser (R-OP-2, BITV 2.0): axe-core runs in
//! headless Chromium on the provider's pages and every violation of the
//! rules tagged `wcag2a`, `wcag2aa`, `wcag21a` and `wcag21aa` fails the test,
//! printed with its rule id, help text and the selectors of the offending
//! nodes.
//!
//! The pages are reached through real flows (so runtime states are covered:
//! a refused password, a wrong code, a refused registration, the pages of a
//! signed-in person) in German and English, and, when the provider offers
//! the theme preview (`[ui] theme_preview = true`), every template of every
//! brand in both languages with the fixtures of `themes/base/fixtures/`.
//!
//! axe-core is not vendored: `.ci/run` installs a pinned version from the npm
//! registry; the tests read `axe.min.js` from `PFORTE_AXE_JS` or from
//! [`DEFAULT_AXE_JS`]. The provider's CSP forbids inline scripts, so the file's
//! text is evaluated over CDP (`Runtime.evaluate`), never added as a
//! `<script>` element. Without axe-core or Chromium the tests are skipped
//! with a printed reason, and fail under `CI=true`.

use crate::browser::{Chromium, callback_server, chromium, wait_for_element};
use crate::recovery_browser::{click, goto, present, text_of, try_eval, type_into};
use crate::support::PASSWORD;
use crate::support::factors::{add_user, native_rp, next_time_step, prepare, totp_now};
use crate::support::rp::{Request, Rp};
use crate::support::server::{Server, report_skip};
use chromiumoxide::cdp::browser_protocol::emulation::{
    ClearDeviceMetricsOverrideParams, SetDeviceMetricsOverrideParams,
};
use chromiumoxide::cdp::browser_protocol::network::{Headers, SetExtraHttpHeadersParams};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::page::Page;
use serde::Deserialize;
use std::path::PathBuf;

/// Where `.ci/run` installs axe-core (`npm install --prefix /var/tmp/pforte-node`).
pub(crate) const DEFAULT_AXE_JS: &str = "/var/tmp/pforte-node/node_modules/axe-core/axe.min.js";

/// The WCAG 2.0 and 2.1 levels A and AA, as axe-core tags its rules.
const WCAG_TAGS: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']";

const SUBSTANTIAL: &str = "loa-substantial";

/// The text of axe.min.js, or `None` (skip with a reason; a failure under
/// `CI=true`).
pub(crate) fn axe_source() -> Option<String> {
    let path = std::env::var_os("PFORTE_AXE_JS")
        .map_or_else(|| PathBuf::from(DEFAULT_AXE_JS), PathBuf::from);
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "axe-core is required under CI=true ({}: {error}); \
                 npm install --prefix /var/tmp/pforte-node axe-core@4.10.2",
                path.display()
            );
            report_skip(&format!(
                "accessibility test: no axe-core at {} ({error}); \
                 npm install --prefix /var/tmp/pforte-node axe-core@4.10.2, or set PFORTE_AXE_JS",
                path.display()
            ));
            None
        }
    }
}

/// One rule axe-core found broken on a page.
#[derive(Debug, Deserialize)]
pub(crate) struct Violation {
    pub(crate) id: String,
    pub(crate) impact: Option<String>,
    pub(crate) help: String,
    pub(crate) nodes: Vec<String>,
}

/// Runs axe-core on the document the page shows now and returns what breaks
/// WCAG 2.1 A or AA.
pub(crate) async fn violations(page: &Page, axe: &str) -> Vec<Violation> {
    let loaded: Option<bool> = try_eval(page, "typeof window.axe !== 'undefined'").await;
    if loaded != Some(true) {
        let inject = EvaluateParams::builder().expression(axe).build().unwrap();
        page.evaluate_expression(inject)
            .await
            .unwrap_or_else(|error| panic!("axe-core could not be loaded: {error}"));
    }
    let run = format!(
        "axe.run(document, {{ runOnly: {{ type: 'tag', values: {WCAG_TAGS} }}, \
           resultTypes: ['violations'] }}) \
         .then(result => JSON.stringify(result.violations.map(v => ({{ \
           id: v.id, impact: v.impact, help: v.help, \
           nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + \
             (n.failureSummary || '').replace(/\\s+/g, ' ')) }}))))"
    );
    let evaluate = EvaluateParams::builder()
        .expression(run)
        .await_promise(true)
        .build()
        .unwrap();
    let json: String = page
        .evaluate_expression(evaluate)
        .await
        .unwrap_or_else(|error| panic!("axe.run failed: {error}"))
        .into_value()
        .unwrap();
    serde_json::from_str(&json).unwrap()
}

/// Reflow (WCAG 2.1 SC 1.4.10): at 320 CSS px, the width of 1280 px at 400 %
/// zoom, the page must not scroll sideways. Returns the widest offenders when
/// it does.
pub(crate) async fn overflow_at_320px(page: &Page) -> Option<String> {
    page.execute(SetDeviceMetricsOverrideParams::new(320, 640, 1.0, false))
        .await
        .unwrap();
    let overflow: Option<String> = try_eval(
        page,
        "(() => { const root = document.documentElement;          if (root.scrollWidth <= root.clientWidth) { return ''; }          return root.scrollWidth + 'px wide; ' + Array.from(document.body.querySelectorAll('*'))            .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)            .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +              (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''))            .join(', '); })()",
    )
    .await;
    page.execute(ClearDeviceMetricsOverrideParams::default())
        .await
        .unwrap();
    overflow.filter(|text| !text.is_empty())
}

/// Collects the findings of every page, so one run reports all of them.
#[derive(Default)]
pub(crate) struct Audit {
    pub(crate) checked: Vec<String>,
    pub(crate) findings: Vec<String>,
}

impl Audit {
    /// Audits the page the browser shows now under `name`; also checks the
    /// document language the page was asked for.
    pub(crate) async fn check(&mut self, page: &Page, axe: &str, name: &str, lang: Option<&str>) {
        if let Some(lang) = lang {
            let actual: Option<String> = try_eval(page, "document.documentElement.lang").await;
            if actual.as_deref() != Some(lang) {
                self.findings.push(format!(
                    "{name}: <html lang> is {actual:?}, expected {lang:?}"
                ));
            }
        }
        if let Some(overflow) = overflow_at_320px(page).await {
            self.findings.push(format!(
                "{name}: scrolls sideways at 320 CSS px (WCAG 1.4.10): {overflow}"
            ));
        }
        for violation in violations(page, axe).await {
            self.findings.push(format!(
                "{name}: {} ({}) {}\n      {}",
                violation.id,
                violation.impact.unwrap_or_default(),
                violation.help,
                violation.nodes.join("\n      ")
            ));
        }
        self.checked.push(name.to_owned());
    }

    pub(crate) fn assert_clean(&self) {
        eprintln!(
            "axe-core checked {} pages: {}",
            self.checked.len(),
            self.checked.join(", ")
        );
        assert!(
            self.findings.is_empty(),
            "WCAG 2.1 AA violations found by axe-core:\n  {}",
            self.findings.join("\n  ")
        );
    }
}

/// Sets an input's value as the browser's own widget would (no typing: the
/// date input's typed form depends on the browser's locale).
async fn set_value(page: &Page, selector: &str, value: &str) {
    let script = format!(
        "(() => {{ const field = document.querySelector({selector:?}); \
         if (!field) {{ return false; }} \
         if (field.type === 'checkbox') {{ field.checked = true; }} else {{ field.value = {value:?}; }} \
         return true; }})()"
    );
    let _: Option<bool> = try_eval(page, &script).await;
}

/// Members the registration pages can refuse against.
const MEMBERS: &str = "kvnr;given_name;family_name;birth_date;postal_code;street;city;membership_start\n\
     A123456780;Erika;Mustermann;1964-08-12;10115;Heidestraße 17;Berlin;2001-01-01\n";

struct Scene {
    server: Server,
    chromium: Chromium,
    rp: Rp,
    redirect: String,
    axe: String,
}

async fn scene() -> Option<Scene> {
    let axe = axe_source()?;
    let executable = chromium()?;
    let server = prepare(None)?;
    let files = tempfile::tempdir().unwrap();
    let members = files.path().join("members.csv");
    std::fs::write(&members, MEMBERS).unwrap();
    server.cli_ok(&["members", "import", members.to_str().unwrap()]);
    for lang in ["de", "en"] {
        add_user(
            &server,
            &format!("axe-{lang}"),
            PASSWORD,
            &[
                "--email",
                &format!("axe-{lang}@example.test"),
                "--email-verified",
            ],
        );
    }
    server.start();
    let (port, _callbacks) = callback_server().await;
    let rp = native_rp(&server).await;
    let chromium = Chromium::launch(executable).await;
    Some(Scene {
        server,
        chromium,
        rp,
        redirect: format!("http://127.0.0.1:{port}/callback"),
        axe,
    })
}

impl Scene {
    /// A fresh tab at the start of a login the relying party asks for; with
    /// `prompt=login`, as the browser is signed in after the first one.
    async fn login_page(&self, lang: &str, extra: &[(&'static str, &str)]) -> Page {
        let mut request = Request::scopes(&["openid"])
            .redirect_uri(&self.redirect)
            .param("ui_locales", lang)
            .param("prompt", "login");
        for (name, value) in extra {
            request = request.param(name, *value);
        }
        let started = self.rp.start(&request);
        let page = self
            .chromium
            .browser
            .new_page(started.url.as_str())
            .await
            .unwrap();
        page.wait_for_navigation().await.unwrap();
        wait_for_element(&page, "#username").await;
        page
    }
}

/// A control check of the checker: on a page with an unlabelled field axe-core
/// must report `label`, so a silent axe (wrong tags, failed injection) cannot
/// make the audits pass.
pub(crate) async fn axe_is_live(chromium: &Chromium, axe: &str) {
    let page = chromium
        .browser
        .new_page("data:text/html,<!DOCTYPE html><html lang=en><title>t</title><main><input type=text></main></html>")
        .await
        .unwrap();
    page.wait_for_navigation().await.unwrap();
    let found = violations(&page, axe).await;
    assert!(
        found.iter().any(|violation| violation.id == "label"),
        "axe-core did not report an unlabelled field: {found:?}"
    );
    let _ = page.close().await;
}

async fn log_in(page: &Page, username: &str, password: &str) {
    let prefilled: Option<String> =
        try_eval(page, "document.getElementById('username').value").await;
    if prefilled.unwrap_or_default().is_empty() {
        type_into(page, "#username", username).await;
    }
    type_into(page, "#password", password).await;
    click(page, "button[value=login]").await;
}

/// The pages of one language: login, its refusal, registration and its
/// refusal, enrolment of an authenticator app with a wrong and a right code,
/// the recovery codes, the code page of the next login with a wrong code,
/// the self-service pages, recovery, the error and home pages.
async fn audit_flows(scene: &Scene, lang: &str, audit: &mut Audit) {
    let axe = scene.axe.as_str();
    let user = format!("axe-{lang}");
    let at = |name: &str| format!("{lang}/{name}");

    // Login, then a refused password.
    let page = scene.login_page(lang, &[]).await;
    audit.check(&page, axe, &at("login"), Some(lang)).await;
    log_in(&page, &user, "not-the-password-at-all").await;
    wait_for_element(&page, "[role=alert]").await;
    audit
        .check(&page, axe, &at("login-refused"), Some(lang))
        .await;

    // Registration, then a refusal (the postal code does not match).
    click(&page, "#login-register").await;
    audit.check(&page, axe, &at("register"), Some(lang)).await;
    for (selector, value) in [
        ("#kvnr", "A123456780"),
        ("#birth_date", "1964-08-12"),
        ("#postal_code", "10117"),
        ("#username", "erika.m"),
        ("#password", "Ein-langes-Passwort-2026"),
        ("#email", "erika@example.test"),
        ("#terms", "yes"),
    ] {
        set_value(&page, selector, value).await;
    }
    click(&page, "button[type=submit]").await;
    wait_for_element(&page, "#register-problems").await;
    audit
        .check(&page, axe, &at("register-refused"), Some(lang))
        .await;
    let _ = page.close().await;

    // A login that needs a second factor: enrolment of an app.
    let page = scene.login_page(lang, &[("acr_values", SUBSTANTIAL)]).await;
    log_in(&page, &user, PASSWORD).await;
    wait_for_element(&page, "form.method-choice").await;
    audit.check(&page, axe, &at("enrol"), Some(lang)).await;
    click(&page, "#enrol-totp button[value=start]").await;
    let manual_key = text_of(&page, "#enrol-manual-key").await;
    audit.check(&page, axe, &at("enrol-totp"), Some(lang)).await;
    type_into(&page, "#code", "000000").await;
    click(&page, "button[value=confirm]").await;
    if present(&page, "#enrol-error").await {
        audit
            .check(&page, axe, &at("enrol-totp-refused"), Some(lang))
            .await;
    }
    type_into(&page, "#code", &totp_now(&scene.server, &manual_key)).await;
    click(&page, "button[value=confirm]").await;
    wait_for_element(&page, "#recovery-codes").await;
    audit
        .check(&page, axe, &at("recovery-codes"), Some(lang))
        .await;
    click(&page, "form[action='/login/continue'] button").await;
    let _ = page.close().await;

    // The next login: the code page, first with a wrong code.
    let page = scene.login_page(lang, &[("acr_values", SUBSTANTIAL)]).await;
    log_in(&page, &user, PASSWORD).await;
    wait_for_element(&page, "form[action='/login/factor'] #code").await;
    audit.check(&page, axe, &at("factor"), Some(lang)).await;
    type_into(&page, "#code", "000000").await;
    click(&page, "button[value=verify]").await;
    wait_for_element(&page, "#factor-error").await;
    audit
        .check(&page, axe, &at("factor-refused"), Some(lang))
        .await;
    next_time_step(&scene.server);
    type_into(&page, "#code", &totp_now(&scene.server, &manual_key)).await;
    click(&page, "button[value=verify]").await;

    // Self-service pages of the signed-in person (same browser, its session).
    for (path, name) in [
        ("/account/security", "account-security"),
        ("/account/sessions", "account-sessions"),
        ("/account/profile", "account-profile"),
        ("/account/delete", "account-delete"),
    ] {
        goto(
            &page,
            &scene.server.url(&format!("{path}?ui_locales={lang}")),
        )
        .await;
        audit.check(&page, axe, &at(name), None).await;
    }
    let _ = page.close().await;

    // Recovery: the request, then the code step with a wrong code.
    let page = scene.login_page(lang, &[]).await;
    click(&page, "#login-forgot-password").await;
    audit
        .check(&page, axe, &at("password-forgot"), Some(lang))
        .await;
    type_into(&page, "#identifier", &user).await;
    click(&page, "button[value=request]").await;
    if present(&page, "#code").await {
        audit
            .check(&page, axe, &at("password-forgot-code"), Some(lang))
            .await;
        type_into(&page, "#code", "000000").await;
        click(&page, "button[value=code]").await;
        audit
            .check(&page, axe, &at("password-forgot-code-refused"), Some(lang))
            .await;
    }
    goto(&page, &scene.server.url("/username/forgot")).await;
    audit.check(&page, axe, &at("username-forgot"), None).await;

    // An error page (unknown client) and the home page.
    goto(
        &page,
        &scene.server.url(&format!(
            "/authorize?client_id=no-such-client&response_type=code&scope=openid&ui_locales={lang}"
        )),
    )
    .await;
    audit.check(&page, axe, &at("error"), None).await;
    goto(&page, &scene.server.url("/")).await;
    audit.check(&page, axe, &at("home"), None).await;
    let _ = page.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_2_axe_finds_no_wcag_21_aa_violation_on_the_pages_of_real_flows() {
    let Some(scene) = scene().await else {
        return;
    };
    axe_is_live(&scene.chromium, &scene.axe).await;
    let mut audit = Audit::default();
    for lang in ["de", "en"] {
        audit_flows(&scene, lang, &mut audit).await;
    }
    let Scene { chromium, .. } = scene;
    chromium.close().await;
    audit.assert_clean();
}

/// The operator console (R-OP-1) in both languages: an operator with the
/// support role logs in through the provider (password, then enrolment of an
/// authenticator app, as the console asks for a second factor), and every
/// console page is audited, with a search that finds nothing and one that
/// finds the operator. The console's language follows `Accept-Language`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_2_axe_finds_no_wcag_21_aa_violation_on_the_admin_console() {
    let Some(axe) = axe_source() else {
        return;
    };
    let Some(executable) = chromium() else {
        return;
    };
    let Some(server) = prepare(None) else {
        return;
    };
    server.append_config("\n[admin]\nrequired_acr = \"loa-substantial\"\nshow_outbox = true\n");
    add_user(
        &server,
        "op-axe",
        PASSWORD,
        &["--email", "op-axe@example.test", "--email-verified"],
    );
    server.cli_ok(&[
        "operator",
        "grant",
        "--username",
        "op-axe",
        "--role",
        "support",
    ]);
    server.start();
    let chromium = Chromium::launch(executable).await;
    axe_is_live(&chromium, &axe).await;
    let page = chromium.browser.new_page("about:blank").await.unwrap();
    goto(&page, &server.url("/admin")).await;
    wait_for_element(&page, "#username").await;
    log_in(&page, "op-axe", PASSWORD).await;
    wait_for_element(&page, "form.method-choice").await;
    click(&page, "#enrol-totp button[value=start]").await;
    let manual_key = text_of(&page, "#enrol-manual-key").await;
    type_into(&page, "#code", &totp_now(&server, &manual_key)).await;
    click(&page, "button[value=confirm]").await;
    wait_for_element(&page, "#recovery-codes").await;
    click(&page, "form[action='/login/continue'] button").await;
    wait_for_element(&page, "#operator-name").await;

    let mut audit = Audit::default();
    for lang in ["en", "de"] {
        page.execute(SetExtraHttpHeadersParams::new(Headers::new(
            serde_json::json!({ "Accept-Language": lang }),
        )))
        .await
        .unwrap();
        for (path, name) in [
            ("/admin", "dashboard"),
            ("/admin/users", "users"),
            ("/admin/users?q=nobody-by-this-name", "users-none"),
            ("/admin/users?q=op-axe", "users-found"),
            ("/admin/users/op-axe", "user"),
            ("/admin/letters", "letters"),
            ("/admin/outbox", "outbox"),
        ] {
            goto(&page, &server.url(path)).await;
            wait_for_element(&page, "h1").await;
            audit
                .check(&page, &axe, &format!("{lang}/admin/{name}"), Some(lang))
                .await;
        }
    }
    let _ = page.close().await;
    chromium.close().await;
    audit.assert_clean();
}

/// One page of the theme preview, as `/theme-preview.json` lists it.
#[derive(Debug, Deserialize)]
struct PreviewLink {
    brand: String,
    lang: String,
    template: String,
    href: String,
}

/// Templates the preview lists that are no page of their own: layouts, the
/// fragment included by other pages, and the form_post page, which submits
/// itself away at once (its `<noscript>` part is plain text and a button).
fn is_whole_page(template: &str) -> bool {
    !template.ends_with("layout.html")
        && template != "ident_button.html"
        && template != "form_post.html"
}

/// Every template of every brand in German and English, rendered by the
/// theme preview from the fixtures, so that states no flow reaches easily
/// (every error, every method, every brand) are audited too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_2_axe_finds_no_wcag_21_aa_violation_in_any_template_of_any_brand() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("config/pforte.example.toml");
    if !std::fs::read_to_string(example)
        .unwrap_or_default()
        .contains("theme_preview")
    {
        report_skip("accessibility test: this build has no theme preview ([ui] theme_preview)");
        return;
    }
    let Some(axe) = axe_source() else {
        return;
    };
    let Some(executable) = chromium() else {
        return;
    };
    let server = Server::prepare();
    server.append_config("\n[ui]\ntheme_preview = true\n");
    server.start();
    let links: Vec<PreviewLink> = crate::support::http::plain_client()
        .get(server.url("/theme-preview.json"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let links: Vec<PreviewLink> = links
        .into_iter()
        .filter(|link| is_whole_page(&link.template))
        .collect();
    assert!(!links.is_empty(), "the theme preview lists no page");
    for lang in ["de", "en"] {
        assert!(
            links.iter().any(|link| link.lang == lang),
            "no {lang} page in the preview"
        );
    }
    let chromium = Chromium::launch(executable).await;
    axe_is_live(&chromium, &axe).await;
    let page = chromium.browser.new_page("about:blank").await.unwrap();
    let mut audit = Audit::default();
    for link in &links {
        goto(&page, &server.url(&link.href)).await;
        audit
            .check(
                &page,
                &axe,
                &format!("{}/{}/{}", link.brand, link.lang, link.template),
                Some(&link.lang),
            )
            .await;
    }
    let _ = page.close().await;
    chromium.close().await;
    audit.assert_clean();
}
