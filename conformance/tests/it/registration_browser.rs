//! The whole self-registration journey of an insured person in a real
//! browser (R-RG-1…4, R-PW-3): the insurer's members are imported with
//! `pforte members import`, a relying party starts a login, headless Chromium
//! follows "register" from the login page, fills `/register` (first with a
//! wrong postal code, which is refused with the postal code answer), enters
//! the e-mail code from the dev outbox on `/register/confirm`, the operator
//! prints the pending letters with `pforte letters export` (one PDF page per
//! letter, the activation code in the text, a CSV manifest), and the person
//! logs in, types the code from the letter on `/login/activate` and arrives
//! at the relying party with a code that is redeemed for tokens.
//!
//! A second test submits every refusal of the form in Chromium and reads the
//! answer the person sees.
//!
//! With `PFORTE_SCREENSHOTS_DIR` set, the pages are also saved as PNG files
//! (`registration-*.png`) for docs/registration.md; without it nothing is
//! written.

use crate::browser::{Chromium, callback_server, chromium};
use crate::recovery_browser::{click, present, text_of, try_eval, type_into};
use crate::support::factors::{native_rp, newest_message, prepare};
use crate::support::rp::Request;
use crate::support::server::{Server, report_skip};
use chromiumoxide::page::{Page, ScreenshotParams};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const KVNR: &str = "A123456780";
const BIRTH_DATE: &str = "1964-08-12";
const POSTAL_CODE: &str = "10115";
const WRONG_POSTAL_CODE: &str = "10117";
const USERNAME: &str = "erika.m";
const PASSWORD: &str = "Ein-langes-Passwort-2026";
const ADDRESS: &str = "erika@example.test";

/// Erika (with a postal address, so her activation letter can be sent) and
/// Jürgen, whom an operator gives an account with a lettered initial
/// password (R-PW-3), so the export holds more than one letter.
const MEMBERS: &str = "kvnr;given_name;family_name;birth_date;postal_code;street;city;membership_start\n\
     A123456780;Erika;Mustermann;1964-08-12;10115;Heidestraße 17;Berlin;2001-01-01\n\
     B987654320;Jürgen;Groß;1980-04-02;80331;Hauptstraße 5;München;2001-01-01\n";

/// Saves the page as `registration-<name>.png` in `PFORTE_SCREENSHOTS_DIR`,
/// when that variable is set (the documentation's images); otherwise does
/// nothing, so test runs write nothing into the tree.
async fn screenshot(page: &Page, name: &str) {
    let Some(dir) = std::env::var_os("PFORTE_SCREENSHOTS_DIR") else {
        return;
    };
    let png = page
        .screenshot(ScreenshotParams::builder().full_page(true).build())
        .await
        .unwrap();
    std::fs::write(
        Path::new(&dir).join(format!("registration-{name}.png")),
        png,
    )
    .unwrap();
}

/// Sets a field's value as the browser's own widgets would (the date input's
/// typed form depends on the browser's locale) and tells the page's scripts.
async fn set_value(page: &Page, selector: &str, value: &str) {
    let script = format!(
        "(() => {{ const field = document.querySelector({selector:?}); \
         field.value = {value:?}; \
         field.dispatchEvent(new Event('input', {{ bubbles: true }})); \
         return field.value; }})()"
    );
    let set: Option<String> = try_eval(page, &script).await;
    assert_eq!(set.as_deref(), Some(value), "{selector}");
}

async fn fill_registration(page: &Page, postal_code: &str) {
    fill_registration_as(page, KVNR, BIRTH_DATE, postal_code).await;
}

/// Fills the whole form with the member data given and Erika's other
/// entries (username, password, e-mail, terms).
async fn fill_registration_as(page: &Page, kvnr: &str, birth_date: &str, postal_code: &str) {
    set_value(page, "#kvnr", "").await;
    type_into(page, "#kvnr", kvnr).await;
    set_value(page, "#birth_date", birth_date).await;
    set_value(page, "#postal_code", "").await;
    type_into(page, "#postal_code", postal_code).await;
    if present(page, "#username").await {
        set_value(page, "#username", "").await;
        type_into(page, "#username", USERNAME).await;
    }
    set_value(page, "#password", "").await;
    type_into(page, "#password", PASSWORD).await;
    set_value(page, "#email", "").await;
    type_into(page, "#email", ADDRESS).await;
    if present(page, "#terms").await {
        let checked: Option<bool> = try_eval(
            page,
            "(() => { const box = document.querySelector('#terms'); box.checked = true; return box.checked; })()",
        )
        .await;
        assert_eq!(checked, Some(true));
    }
}

/// The pending letters as `pforte letters pending` lists them (one line each).
fn pending_letters(server: &Server) -> Vec<String> {
    server
        .cli_ok(&["letters", "pending"])
        .stdout
        .lines()
        .filter(|line| line.contains('\t'))
        .map(str::to_owned)
        .collect()
}

/// The newest letter of the dev outbox as `pforte outbox list --json` prints it.
fn newest_letter(server: &Server) -> serde_json::Value {
    let output = server.cli_ok(&[
        "outbox",
        "list",
        "--channel",
        "letter",
        "--limit",
        "1",
        "--json",
    ]);
    let line = output
        .stdout
        .lines()
        .find(|line| !line.trim().is_empty())
        .expect("no letter in the outbox");
    serde_json::from_str(line).unwrap()
}

/// The only file in `dir` whose name ends in `extension`.
fn exported(dir: &Path, extension: &str) -> std::path::PathBuf {
    let found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().and_then(|ext| ext.to_str()) == Some(extension)
                && !path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with('.'))
        })
        .collect();
    assert_eq!(found.len(), 1, "one {extension} file in {}", dir.display());
    found[0].clone()
}

/// The text of a PDF as `pdftotext` (poppler-utils) extracts it; `None` when
/// the tool is missing outside CI.
fn pdf_text(pdf: &Path) -> Option<String> {
    match Command::new("pdftotext").arg(pdf).arg("-").output() {
        Ok(output) => {
            assert!(
                output.status.success(),
                "pdftotext failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            Some(String::from_utf8_lossy(&output.stdout).into_owned())
        }
        Err(error) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "pdftotext is required under CI=true (apt-get install -y poppler-utils): {error}"
            );
            report_skip("pdftotext not found (apt-get install -y poppler-utils)");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_rg_4_import_register_confirm_letter_export_activate_and_login_at_the_rp_in_chromium() {
    let Some(executable) = chromium() else {
        return;
    };
    let Some(server) = prepare(None) else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let members = files.path().join("members.csv");
    std::fs::write(&members, MEMBERS).unwrap();
    let imported = server.cli_ok(&["members", "import", members.to_str().unwrap()]);
    assert!(imported.stdout.contains("2 new"), "{}", imported.stdout);
    // An operator-made account for Jürgen with its initial password by post
    // (R-PW-3): a second letter for the same export.
    server.cli_ok(&[
        "user",
        "add",
        "--username",
        "juergen",
        "--member",
        "B987654320",
        "--letter",
    ]);
    server.start();
    let (port, mut callbacks) = callback_server().await;
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let rp = native_rp(&server).await;
    let chromium = Chromium::launch(executable).await;

    // The relying party starts a login; the person has no account yet.
    let started = rp.start(
        &Request::scopes(&["openid"])
            .redirect_uri(&redirect)
            .param("ui_locales", "de"),
    );
    let page = chromium
        .browser
        .new_page(started.url.as_str())
        .await
        .unwrap();
    page.wait_for_navigation().await.unwrap();
    click(&page, "#login-register").await;
    assert!(page.url().await.unwrap().unwrap().contains("/register?"));

    // R-RG-1: a postal code that does not match the registered address gets
    // its own answer (KVNR and birth date matched), in the login's language.
    fill_registration(&page, WRONG_POSTAL_CODE).await;
    screenshot(&page, "form").await;
    click(&page, "button[type=submit]").await;
    let problems = text_of(&page, "#register-problems").await;
    assert!(problems.contains("Postleitzahl passt nicht"), "{problems}");
    screenshot(&page, "error-postal-code").await;
    assert!(
        !server.cli(&["user", "show", USERNAME]).success,
        "a refused registration creates no account"
    );

    // The corrected form creates the account and sends the e-mail code.
    fill_registration(&page, POSTAL_CODE).await;
    click(&page, "button[type=submit]").await;
    assert!(
        page.url()
            .await
            .unwrap()
            .unwrap()
            .contains("/register/confirm")
    );
    let mail = newest_message(&server, ADDRESS);
    assert_eq!(mail["template"], "contact_code");
    let mail_code = mail["params"]["code"].as_str().unwrap().to_owned();
    type_into(&page, "#code", &mail_code).await;
    screenshot(&page, "email-confirm").await;
    click(&page, "button[value=confirm]").await;

    // R-RG-3 done; R-RG-4: the letter is on its way.
    let done = text_of(&page, "#register-done").await;
    assert!(!done.is_empty());
    let letter = newest_letter(&server);
    assert_eq!(letter["template"], "activation_letter");
    let activation_code = letter["params"]["code"].as_str().unwrap().to_owned();
    assert_eq!(
        text_of(&page, "#letter-valid-until").await,
        letter["params"]["valid_until"].as_str().unwrap()
    );
    screenshot(&page, "letter-on-its-way").await;

    // The operator prints the pending letters: one PDF page each, the code in
    // the text, the manifest listing the letter; afterwards none is pending.
    let pending = pending_letters(&server);
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(
        pending
            .iter()
            .any(|line| line.contains("activation_letter"))
    );
    let out = files.path().join("print");
    std::fs::create_dir(&out).unwrap();
    server.cli_ok(&["letters", "export", "--out", out.to_str().unwrap()]);
    let pdf_path = exported(&out, "pdf");
    let pdf = std::fs::read(&pdf_path).unwrap();
    let pages = pdf
        .windows(b"/Type /Page /".len())
        .filter(|window| *window == b"/Type /Page /")
        .count();
    assert_eq!(pages, pending.len(), "one page per pending letter");
    if let Some(text) = pdf_text(&pdf_path) {
        assert!(
            text.contains(&activation_code),
            "the activation code {activation_code} is not in the PDF text:\n{text}"
        );
        assert!(text.contains("Erika Mustermann"), "{text}");
    }
    let manifest = std::fs::read_to_string(exported(&out, "csv")).unwrap();
    let rows: Vec<&str> = manifest.lines().skip(1).collect();
    assert_eq!(rows.len(), pending.len(), "{manifest}");
    assert!(
        rows.iter().any(|row| row.contains("activation_letter")
            && row.contains("Erika Mustermann")
            && row.contains(POSTAL_CODE)),
        "{manifest}"
    );
    assert!(
        !manifest.contains(&activation_code),
        "the manifest carries no code"
    );
    assert!(pending_letters(&server).is_empty(), "the letters are sent");

    // The letter has arrived: the person logs in and types its code.
    click(&page, "#register-to-login").await;
    type_into(&page, "#username", USERNAME).await;
    type_into(&page, "#password", PASSWORD).await;
    click(&page, "button[value=login]").await;
    assert!(
        page.url()
            .await
            .unwrap()
            .unwrap()
            .contains("/login/activate")
    );
    // Typed as printed in the letter (the web tests cover other spellings).
    type_into(&page, "#code", &activation_code).await;
    screenshot(&page, "activation-code").await;
    // The last step leaves for the relying party's callback, so no page of
    // the provider follows; the callback is awaited instead.
    click_without_waiting(&page, "button[value=activate]").await;

    let query = tokio::time::timeout(Duration::from_secs(30), callbacks.recv())
        .await
        .expect("the browser never reached the relying party's callback")
        .unwrap();
    assert_eq!(query.get("state"), Some(started.state.secret()));
    let code = query
        .get("code")
        .unwrap_or_else(|| panic!("no code at the callback: {query:?}"));
    let tokens = rp
        .redeem(code, started.verifier, Some(&redirect))
        .await
        .unwrap_or_else(|error| panic!("code exchange failed: {error}"));
    let subject = rp.verify(&tokens, &started.nonce).subject().to_string();
    assert!(!subject.is_empty());

    let trail = server.cli_ok(&["audit", "list"]).stdout;
    for kind in [
        "account_registered",
        "registration_email_confirmed",
        "activation_letter_requested",
        "letters_exported",
        "account_activated",
    ] {
        assert!(
            trail.contains(kind),
            "no {kind} in the audit trail:\n{trail}"
        );
    }
    let _ = page.close().await;
    chromium.close().await;
}

async fn click_without_waiting(page: &Page, selector: &str) {
    crate::recovery_browser::press(page, selector).await;
}

/// R-RG-1 in a real browser: every refusal of the registration form reaches
/// the person as its own readable answer (German, the login's language), the
/// form keeps what was typed, and none of them writes an account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_rg_1_each_registration_refusal_is_shown_in_chromium() {
    let Some(executable) = chromium() else {
        return;
    };
    let Some(server) = prepare(None) else {
        return;
    };
    let today = chrono::Utc::now().date_naive();
    let starts_later = today + chrono::TimeDelta::days(60);
    let ten_years_old = today - chrono::TimeDelta::days(365 * 10 + 3);
    // Erika (current), Jürgen (has an operator-made account), Max (membership
    // ended), Nora (membership begins in two months), Lena (ten years old).
    let members = format!(
        "kvnr;given_name;family_name;birth_date;postal_code;street;city;membership_start;membership_end\n\
         A123456780;Erika;Mustermann;1964-08-12;10115;Heidestraße 17;Berlin;2001-01-01;\n\
         B987654320;Jürgen;Groß;1980-04-02;80331;Hauptstraße 5;München;2001-01-01;\n\
         C111111118;Max;Muster;1970-01-01;20095;Am Markt 1;Hamburg;2001-01-01;2020-12-31\n\
         D222222222;Nora;Neu;1990-05-05;50667;Domplatz 2;Köln;{starts_later};\n\
         E333333337;Lena;Mustermann;{ten_years_old};10115;Heidestraße 17;Berlin;2016-01-01;\n"
    );
    let files = tempfile::tempdir().unwrap();
    let csv = files.path().join("members.csv");
    std::fs::write(&csv, members).unwrap();
    let imported = server.cli_ok(&["members", "import", csv.to_str().unwrap()]);
    assert!(imported.stdout.contains("5 new"), "{}", imported.stdout);
    server.cli_ok(&[
        "user",
        "add",
        "--username",
        "juergen",
        "--member",
        "B987654320",
        "--letter",
    ]);
    server.start();
    let (port, _callbacks) = callback_server().await;
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let rp = native_rp(&server).await;
    let chromium = Chromium::launch(executable).await;
    let started = rp.start(
        &Request::scopes(&["openid"])
            .redirect_uri(&redirect)
            .param("ui_locales", "de"),
    );
    let page = chromium
        .browser
        .new_page(started.url.as_str())
        .await
        .unwrap();
    page.wait_for_navigation().await.unwrap();
    click(&page, "#login-register").await;

    let ten_years_old = ten_years_old.to_string();
    let cases: [(&str, &str, &str, &str); 9] = [
        (
            "A12345678",
            BIRTH_DATE,
            POSTAL_CODE,
            "nicht das richtige Format",
        ),
        ("A123456781", BIRTH_DATE, POSTAL_CODE, "letzte Ziffer"),
        (
            "F444444441",
            BIRTH_DATE,
            POSTAL_CODE,
            "passen nicht zu unseren Mitgliedsdaten",
        ),
        (
            KVNR,
            "1964-08-13",
            POSTAL_CODE,
            "passen nicht zu unseren Mitgliedsdaten",
        ),
        (
            KVNR,
            BIRTH_DATE,
            WRONG_POSTAL_CODE,
            "Postleitzahl passt nicht",
        ),
        ("B987654320", "1980-04-02", "80331", "bereits ein Konto"),
        (
            "C111111118",
            "1970-01-01",
            "20095",
            "Mitgliedschaft ist beendet",
        ),
        ("D222222222", "1990-05-05", "50667", "noch nicht begonnen"),
        ("E333333337", &ten_years_old, POSTAL_CODE, "noch zu jung"),
    ];
    for (kvnr, birth_date, postal_code, expected) in cases {
        fill_registration_as(&page, kvnr, birth_date, postal_code).await;
        click(&page, "button[type=submit]").await;
        let problems = text_of(&page, "#register-problems").await;
        assert!(
            problems.contains(expected),
            "{kvnr} {birth_date} {postal_code}: expected {expected:?} in {problems:?}"
        );
        let kept: Option<String> = try_eval(&page, "document.querySelector('#kvnr').value").await;
        assert_eq!(kept.as_deref(), Some(kvnr), "the form keeps the KVNR");
    }
    assert!(
        !server.cli(&["user", "show", USERNAME]).success,
        "no refused registration creates an account"
    );
    let trail = server.cli_ok(&["audit", "list"]).stdout;
    assert_eq!(
        trail.matches("registration_refused").count(),
        cases.len(),
        "{trail}"
    );
}
