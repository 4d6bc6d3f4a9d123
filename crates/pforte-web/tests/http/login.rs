//! The login page against a parked interaction (no protocol core needed):
//! languages, labels, CSRF, and one message for every failed login (R-LO-4).

use crate::support::*;

#[tokio::test]
async fn login_page_is_german_by_default_with_labelled_inputs() {
    let server = server().await;
    let browser = browser();
    let (id, record) = park_interaction(&server, &browser, &[], None).await;
    let page = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.lang().as_deref(), Some("de"));
    let form = page.post_form().unwrap();
    assert_eq!(
        form.labels.get("Benutzername").map(String::as_str),
        Some("username")
    );
    assert_eq!(
        form.labels.get("Passwort").map(String::as_str),
        Some("password")
    );
    let username = form
        .inputs
        .iter()
        .find(|i| i.attr("id") == Some("username"))
        .unwrap();
    assert_eq!(username.attr("autocomplete"), Some("username"));
    let password = form
        .inputs
        .iter()
        .find(|i| i.attr("id") == Some("password"))
        .unwrap();
    assert_eq!(password.attr("autocomplete"), Some("current-password"));
    assert_eq!(password.attr("type"), Some("password"));
    assert_eq!(form.value("interaction"), Some(id.as_str()));
    assert_eq!(form.value("csrf_token"), Some(record.csrf_token.as_str()));
    assert!(
        form.buttons
            .iter()
            .any(|(name, value)| name == "action" && value == "login")
    );
    assert!(page.body.contains("Kundenportal"));
    // The form may end in a redirect to the client: form-action allows it.
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' https://rp.example"),
        "{csp}"
    );
}

#[tokio::test]
async fn oidc_core_3_1_2_1_ui_locales_choose_english() {
    let server = server().await;
    let browser = browser();
    let (id, _) = park_interaction(&server, &browser, &["en-US", "de"], None).await;
    let page = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    assert_eq!(page.lang().as_deref(), Some("en"));
    let form = page.post_form().unwrap();
    assert!(form.labels.contains_key("Username"));
    assert!(form.labels.contains_key("Password"));
}

#[tokio::test]
async fn accept_language_chooses_english_when_ui_locales_are_absent() {
    let server = server().await;
    let browser = browser().with_language("en-GB,en;q=0.9,de;q=0.5");
    let (id, _) = park_interaction(&server, &browser, &[], Some("erika")).await;
    let page = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    assert_eq!(page.lang().as_deref(), Some("en"));
    // login_hint prefills the username.
    assert_eq!(page.post_form().unwrap().value("username"), Some("erika"));
}

async fn submit_login(
    server: &pforte_testkit::TestServer,
    browser: &pforte_testkit::Browser,
    id: &str,
    username: &str,
    password: &str,
) -> pforte_testkit::Page {
    let page = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    let mut form = page.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", username));
    assert!(form.fill_by_label("Passwort", password));
    browser
        .submit(&page, &form, Some(("action", "login")))
        .await
        .unwrap()
}

#[tokio::test]
async fn r_lo_4_unknown_user_and_wrong_password_get_the_same_message() {
    let server = server().await;
    server
        .add_account("erika", "richtig-und-lang")
        .await
        .unwrap();
    let browser = browser();
    let (id, _) = park_interaction(&server, &browser, &[], None).await;

    let wrong = submit_login(&server, &browser, &id, "erika", "falsch").await;
    let unknown = submit_login(&server, &browser, &id, "niemand", "falsch").await;
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.status, 200);
    let message = wrong.alert().expect("role=alert message");
    assert_eq!(Some(message.clone()), unknown.alert());
    assert_eq!(message, "Benutzername oder Passwort ist falsch.");
    assert_page_headers(&wrong);
    // No session was started, and the interaction is still usable.
    assert!(browser.cookie("pforte_session").is_none());
    assert_eq!(
        wrong.post_form().unwrap().value("interaction"),
        Some(id.as_str())
    );
    // The typed username stays, the password does not.
    assert_eq!(wrong.post_form().unwrap().value("username"), Some("erika"));
    assert_eq!(wrong.post_form().unwrap().value("password"), Some(""));
}

#[tokio::test]
async fn login_csrf_a_wrong_or_missing_token_is_refused() {
    let server = server().await;
    server
        .add_account("erika", "richtig-und-lang")
        .await
        .unwrap();
    let browser = browser();
    let (id, _) = park_interaction(&server, &browser, &[], None).await;
    let page = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    let mut form = page.post_form().unwrap();
    form.fill_by_label("Benutzername", "erika");
    form.fill_by_label("Passwort", "richtig-und-lang");

    let mut forged = form.clone();
    forged.set("csrf_token", "guessed");
    let refused = browser
        .submit(&page, &forged, Some(("action", "login")))
        .await
        .unwrap();
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.text_by_id("error-code").as_deref(),
        Some("PF-WEB-002")
    );

    let mut missing = form.clone();
    missing.fields.retain(|(name, _)| name != "csrf_token");
    let refused = browser
        .submit(&page, &missing, Some(("action", "login")))
        .await
        .unwrap();
    assert_eq!(refused.status, 403);
    assert!(browser.cookie("pforte_session").is_none());
}

#[tokio::test]
async fn login_csrf_a_post_from_another_browser_is_refused_even_with_the_token() {
    let server = server().await;
    server
        .add_account("erika", "richtig-und-lang")
        .await
        .unwrap();
    let victim = browser();
    let (id, record) = park_interaction(&server, &victim, &[], None).await;
    // The attacker knows the interaction id and its form token, but the
    // victim's browser does not send the flow cookie on a cross-site POST.
    let attacker = browser();
    let pairs = vec![
        ("interaction".to_owned(), id),
        ("csrf_token".to_owned(), record.csrf_token),
        ("username".to_owned(), "erika".to_owned()),
        ("password".to_owned(), "richtig-und-lang".to_owned()),
        ("action".to_owned(), "login".to_owned()),
    ];
    let refused = attacker
        .post_form(&server.url("/login"), &pairs)
        .await
        .unwrap();
    assert_eq!(refused.status, 403);
    assert!(attacker.cookie("pforte_session").is_none());
}

#[tokio::test]
async fn successful_login_sets_an_http_only_lax_session_cookie() {
    let server = server().await;
    server
        .add_account("erika", "richtig-und-lang")
        .await
        .unwrap();
    let browser = browser();
    let (id, _) = park_interaction(&server, &browser, &[], None).await;
    let page = submit_login(&server, &browser, &id, "erika", "richtig-und-lang").await;
    let cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("pforte_session="))
        .expect("session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "http issuer: no Secure attribute"
    );
    let sid = browser.cookie("pforte_session").unwrap();
    assert!(
        server
            .app
            .identity
            .live_session(&sid)
            .await
            .unwrap()
            .is_some()
    );
    // The interaction is finished: submitting again is refused.
    let again = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    assert_eq!(again.status, 400);
}

#[tokio::test]
async fn rfc6265bis_https_issuer_gets_host_prefixed_secure_cookie() {
    let server = pforte_testkit::TestServer::start_with(|settings| {
        settings.issuer = "https://login.example".to_owned();
    })
    .await
    .unwrap();
    server
        .add_account("erika", "richtig-und-lang")
        .await
        .unwrap();
    let browser = browser();
    let (id, _) = park_interaction(&server, &browser, &[], None).await;
    let page = submit_login(&server, &browser, &id, "erika", "richtig-und-lang").await;
    let cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("__Host-pforte_session="))
        .expect("__Host- session cookie")
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
}

#[tokio::test]
async fn an_interaction_expires_when_the_clock_passes_its_lifetime() {
    let server = server().await;
    let browser = browser();
    let (id, _) = park_interaction(&server, &browser, &[], None).await;
    server.clock.advance(chrono::Duration::seconds(601));
    let page = browser
        .get(&server.url(&format!("/login?interaction={id}")))
        .await
        .unwrap();
    assert_eq!(page.status, 400);
    assert_eq!(page.text_by_id("error-code").as_deref(), Some("PF-WEB-001"));
}

#[tokio::test]
async fn session_fixation_a_new_login_replaces_the_previous_session() {
    let server = server().await;
    server
        .add_account("erika", "richtig-und-lang")
        .await
        .unwrap();
    let browser = browser();
    let (first, _) = park_interaction(&server, &browser, &[], None).await;
    submit_login(&server, &browser, &first, "erika", "richtig-und-lang").await;
    let old_sid = browser.cookie("pforte_session").unwrap();
    // A second login while the session lives (as with prompt=login).
    let (second, mut record) = park_interaction(&server, &browser, &[], None).await;
    record.target.force_reauthentication = true;
    pforte_web::interaction::save(
        server.app.memory.as_ref(),
        &second,
        &record,
        std::time::Duration::from_secs(600),
    )
    .await
    .unwrap();
    submit_login(&server, &browser, &second, "erika", "richtig-und-lang").await;
    let new_sid = browser.cookie("pforte_session").unwrap();
    assert_ne!(old_sid, new_sid);
    assert!(
        server
            .app
            .identity
            .live_session(&old_sid)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        server
            .app
            .identity
            .live_session(&new_sid)
            .await
            .unwrap()
            .is_some()
    );
}

/// R-OP-3: when every hashing worker is busy and the queue is full, the login
/// page comes back readable with "try again" as 503 with `Retry-After`; the
/// attempt was not counted, and the same form works once there is room.
#[tokio::test]
async fn r_op_3_a_full_hashing_queue_answers_try_again_and_counts_nothing() {
    let server = pforte_testkit::TestServer::start_with(|settings| {
        settings.password_hashing.workers = 1;
        settings.password_hashing.queue_limit = 0;
    })
    .await
    .unwrap();
    server
        .add_account("erika", "richtig-und-lang")
        .await
        .unwrap();
    let browser = browser();
    let (id, _) = park_interaction(&server, &browser, &[], None).await;
    let held = server.app.hasher.admit().unwrap();
    let verifications = server.app.hasher.verifications();

    let busy = submit_login(&server, &browser, &id, "erika", "richtig-und-lang").await;
    assert_eq!(busy.status, 503);
    assert_eq!(busy.header("retry-after"), Some("2"));
    assert_eq!(
        busy.alert().as_deref(),
        Some(
            "Die Anmeldung ist gerade stark ausgelastet. Bitte versuchen Sie es in wenigen Sekunden erneut."
        )
    );
    assert_eq!(busy.post_form().unwrap().value("username"), Some("erika"));
    assert_eq!(server.app.hasher.verifications(), verifications);
    assert!(browser.cookie("pforte_session").is_none());

    drop(held);
    submit_login(&server, &browser, &id, "erika", "richtig-und-lang").await;
    assert!(browser.cookie("pforte_session").is_some());
}
