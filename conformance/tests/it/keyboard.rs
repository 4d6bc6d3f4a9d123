//! Keyboard-only use of the login (R-OP-2; WCAG 2.1 SC 2.1.1 Keyboard, 2.4.1
//! Bypass Blocks, 2.4.3 Focus Order, 2.4.7 Focus Visible, 3.3.1 Error
//! Identification): headless Chromium receives nothing but key events
//! (`Input.dispatchKeyEvent`: Tab, Shift+Tab, characters, Enter, Space), never
//! a click. The test walks the tab order of the login page and compares it
//! with the document order of its controls, follows the skip link, signs in
//! with a wrong password, finds the focus on the field in error with the
//! error named by `aria-describedby`, and then signs in for real up to the
//! relying party's callback.

use crate::browser::{Chromium, callback_server, chromium, wait_for_element};
use crate::recovery_browser::{mark_document, next_document, try_eval};
use crate::support::rp::{Request, Rp};
use crate::support::{PASSWORD, clients, shared, users};
use chromiumoxide::cdp::browser_protocol::emulation::SetFocusEmulationEnabledParams;
use chromiumoxide::cdp::browser_protocol::input::{DispatchKeyEventParams, DispatchKeyEventType};
use chromiumoxide::page::Page;
use std::time::Duration;

/// The modifier bit of Shift in `Input.dispatchKeyEvent`.
const SHIFT: i64 = 8;

/// A non-printing key: (key, code, Windows virtual key code, text it types).
#[derive(Clone, Copy)]
struct Key(&'static str, &'static str, i64, Option<&'static str>);

const TAB: Key = Key("Tab", "Tab", 9, None);
const ENTER: Key = Key("Enter", "Enter", 13, Some("\r"));
const SPACE: Key = Key(" ", "Space", 32, Some(" "));

async fn dispatch(page: &Page, key: Key, modifiers: i64) {
    let Key(name, code, virtual_key, text) = key;
    let mut down = DispatchKeyEventParams::builder()
        .key(name)
        .code(code)
        .windows_virtual_key_code(virtual_key)
        .native_virtual_key_code(virtual_key)
        .modifiers(modifiers);
    down = match text {
        Some(text) => down.r#type(DispatchKeyEventType::KeyDown).text(text),
        None => down.r#type(DispatchKeyEventType::RawKeyDown),
    };
    page.execute(down.build().unwrap()).await.unwrap();
    let up = DispatchKeyEventParams::builder()
        .r#type(DispatchKeyEventType::KeyUp)
        .key(name)
        .code(code)
        .windows_virtual_key_code(virtual_key)
        .native_virtual_key_code(virtual_key)
        .modifiers(modifiers)
        .build()
        .unwrap();
    page.execute(up).await.unwrap();
}

async fn press(page: &Page, key: Key) {
    dispatch(page, key, 0).await;
}

async fn shift_tab(page: &Page) {
    dispatch(page, TAB, SHIFT).await;
}

/// Types text character by character as key events.
async fn type_keys(page: &Page, text: &str) {
    for character in text.chars() {
        let text = character.to_string();
        let down = DispatchKeyEventParams::builder()
            .r#type(DispatchKeyEventType::KeyDown)
            .key(text.clone())
            .text(text.clone())
            .build()
            .unwrap();
        page.execute(down).await.unwrap();
        let up = DispatchKeyEventParams::builder()
            .r#type(DispatchKeyEventType::KeyUp)
            .key(text)
            .build()
            .unwrap();
        page.execute(up).await.unwrap();
    }
}

/// A name for the focused element: its id, else its tag and text.
async fn focused(page: &Page) -> String {
    try_eval(
        page,
        "(() => { const e = document.activeElement; if (!e || e === document.body) { return 'body'; } \
         return e.id ? '#' + e.id : e.tagName.toLowerCase() + ':' + (e.value || e.textContent || '').trim(); })()",
    )
    .await
    .unwrap_or_default()
}

/// Every control a person can reach with Tab, in document order, named as
/// [`focused`] names them.
async fn controls_in_document_order(page: &Page) -> Vec<String> {
    try_eval(
        page,
        "Array.from(document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]')) \
         .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0) \
         .map(e => e.id ? '#' + e.id : e.tagName.toLowerCase() + ':' + (e.value || e.textContent || '').trim())",
    )
    .await
    .unwrap_or_default()
}

/// The focus ring of the focused element: an outline of at least 2px or a
/// box shadow (WCAG 2.4.7).
async fn focus_is_visible(page: &Page) -> bool {
    try_eval(
        page,
        "(() => { const s = getComputedStyle(document.activeElement); \
         return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'; })()",
    )
    .await
    .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_op_2_login_with_the_keyboard_only_reaches_every_control_and_focuses_the_field_in_error()
{
    let Some(executable) = chromium() else {
        return;
    };
    let fixture = shared();
    let (port, mut callbacks) = callback_server().await;
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let rp = Rp::new(fixture, clients::NATIVE).await;
    let started = rp.start(
        &Request::scopes(&["openid"])
            .redirect_uri(&redirect)
            .param("ui_locales", "en"),
    );
    let chromium = Chromium::launch(executable).await;
    let page = chromium
        .browser
        .new_page(started.url.as_str())
        .await
        .unwrap();
    page.wait_for_navigation().await.unwrap();
    wait_for_element(&page, "#username").await;
    // A headless tab has no window focus of its own: without it, Tab moves
    // nothing.
    page.bring_to_front().await.unwrap();
    page.execute(SetFocusEmulationEnabledParams::new(true))
        .await
        .unwrap();

    // No positive tabindex anywhere: the tab order is the document order.
    let positive: Option<usize> = try_eval(
        &page,
        "Array.from(document.querySelectorAll('[tabindex]')).filter(e => e.tabIndex > 0).length",
    )
    .await;
    assert_eq!(positive, Some(0), "an element has a positive tabindex");

    // The page opens with the focus in the username field (autofocus);
    // Shift+Tab walks back through the header (the language switch) to the
    // skip link, the first control of the page.
    assert_eq!(focused(&page).await, "#username");
    let expected = controls_in_document_order(&page).await;
    assert!(
        expected.len() >= 7,
        "too few controls on the login page: {expected:?}"
    );
    assert_eq!(expected[0], "#skip-link");
    let username_at = expected
        .iter()
        .position(|control| control == "#username")
        .expect("the username field is a control");
    for before in expected[..username_at].iter().rev() {
        shift_tab(&page).await;
        assert_eq!(&focused(&page).await, before, "Shift+Tab from the username");
    }
    assert_eq!(focused(&page).await, "#skip-link");
    // Tab visits every control in document order, each with a visible focus.
    let mut visited = vec![focused(&page).await];
    assert!(
        focus_is_visible(&page).await,
        "no visible focus on the skip link"
    );
    for _ in 1..expected.len() {
        press(&page, TAB).await;
        visited.push(focused(&page).await);
        assert!(
            focus_is_visible(&page).await,
            "no visible focus on {:?}",
            visited.last()
        );
    }
    assert_eq!(
        visited, expected,
        "the tab order differs from the document order"
    );
    // Shift+Tab walks the same way back to the skip link.
    let mut back = vec![focused(&page).await];
    for _ in 1..expected.len() {
        shift_tab(&page).await;
        back.push(focused(&page).await);
    }
    back.reverse();
    assert_eq!(back, expected, "Shift+Tab does not retrace the tab order");

    // The skip link moves the focus to the main content.
    press(&page, ENTER).await;
    assert_eq!(focused(&page).await, "#main");

    // Into the form by keys: username, password (wrong), Enter.
    press(&page, TAB).await;
    assert_eq!(focused(&page).await, "#username");
    type_keys(&page, users::CAROL).await;
    press(&page, TAB).await;
    assert_eq!(focused(&page).await, "#password");
    type_keys(&page, "not-the-right-password").await;
    shift_tab(&page).await;
    assert_eq!(focused(&page).await, "#username");
    press(&page, TAB).await;
    mark_document(&page).await;
    press(&page, ENTER).await;
    next_document(&page).await;

    // The refusal: the focus is on the password field, which is marked
    // invalid and described by the error message.
    wait_for_element(&page, "[role=alert]").await;
    assert_eq!(focused(&page).await, "#password");
    let invalid: Option<String> =
        try_eval(&page, "document.activeElement.getAttribute('aria-invalid')").await;
    assert_eq!(invalid.as_deref(), Some("true"));
    let description: Option<String> = try_eval(
        &page,
        "(document.activeElement.getAttribute('aria-describedby') || '').split(/\\s+/) \
         .map(id => document.getElementById(id)).filter(e => e) \
         .map(e => e.textContent.trim()).join(' ')",
    )
    .await;
    let alert: Option<String> = try_eval(
        &page,
        "document.querySelector('[role=alert]').textContent.trim()",
    )
    .await;
    let alert = alert.unwrap_or_default();
    assert!(!alert.is_empty());
    assert!(
        description.unwrap_or_default().contains(&alert),
        "the error {alert:?} does not describe the focused field"
    );
    let username: Option<String> =
        try_eval(&page, "document.getElementById('username').value").await;
    assert_eq!(
        username.as_deref(),
        Some(users::CAROL),
        "the username is kept"
    );

    // The right password, then Tab to the sign-in button and Space.
    type_keys(&page, PASSWORD).await;
    press(&page, TAB).await;
    let button: Option<String> = try_eval(
        &page,
        "document.activeElement.tagName + ':' + document.activeElement.value",
    )
    .await;
    assert_eq!(button.as_deref(), Some("BUTTON:login"));
    press(&page, SPACE).await;
    let query = tokio::time::timeout(Duration::from_secs(30), callbacks.recv())
        .await
        .expect("the keyboard never reached the callback")
        .unwrap();
    chromium.close().await;
    assert_eq!(query.get("state"), Some(started.state.secret()));
    assert!(query.contains_key("code"), "{query:?}");
}
