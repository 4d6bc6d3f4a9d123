//! Second factors through the pages and the protocol core (R-MF, R-AC):
//! enrolment when the level needs it, TOTP and SMS-TAN proofs, step-up from a
//! password session, and the tokens' `acr`, `amr` and `auth_time`.

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use pforte_factors::totp::{TotpParams, TotpSecret};
use pforte_identity::RequestContext;
use pforte_identity::ports::{OutboxQuery, OutboxStore};
use pforte_testkit::{Browser, Page, TestClient, TestServer};
use pforte_types::AccountId;

const PASSWORD: &str = "richtig-und-lang";
const VERIFIER: &str = "a-verifier-that-is-long-enough-for-rfc7636-rules-0123456789";

struct Setup {
    server: TestServer,
    browser: Browser,
    client: TestClient,
    erika: AccountId,
    /// Holds the policy file the server was started with.
    _policy_dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    setup_with_policy("").await
}

fn authorize_url(setup: &Setup, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&setup.server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "portal")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("state", "st-1")
        .append_pair("nonce", "n-1")
        .append_pair(
            "code_challenge",
            &pforte_crypto::random::sha256_b64url(VERIFIER),
        )
        .append_pair("code_challenge_method", "S256");
    for (name, value) in extra {
        url.query_pairs_mut().append_pair(name, value);
    }
    url.into()
}

/// Follows redirects within the provider until a page or the client.
async fn settle(browser: &Browser, mut page: Page) -> Page {
    while page.status == 303
        && page
            .location()
            .is_some_and(|location| !location.starts_with(REDIRECT_URI))
    {
        page = browser.follow(&page).await.unwrap();
    }
    page
}

async fn password_step(setup: &Setup, authorize: &str) -> Page {
    let start = setup.browser.get(authorize).await.unwrap();
    let login = settle(&setup.browser, start).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", "erika"));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    let next = setup
        .browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    settle(&setup.browser, next).await
}

async fn submit_code(setup: &Setup, page: &Page, code: &str, action: &str) -> Page {
    let mut form = page
        .forms()
        .into_iter()
        .find(|form| form.value("code").is_some())
        .expect("a form with a code field");
    assert!(form.fill_by_label("Code", code));
    let next = setup
        .browser
        .submit(page, &form, Some(("action", action)))
        .await
        .unwrap();
    settle(&setup.browser, next).await
}

/// Redeems the code of a redirect to the client and returns the ID token's
/// claims.
async fn id_token_claims(setup: &Setup, back: &Page) -> serde_json::Value {
    assert_eq!(back.status, 303, "{}", back.body);
    let code = back.location_params().get("code").cloned().expect("a code");
    let secret = setup.client.secret.as_deref().unwrap();
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{secret}", setup.client.client_id))
    );
    let pairs = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), code),
        ("redirect_uri".to_owned(), REDIRECT_URI.to_owned()),
        ("code_verifier".to_owned(), VERIFIER.to_owned()),
    ];
    let tokens = setup
        .browser
        .post_form_with(
            &setup.server.url("/token"),
            &pairs,
            &[("authorization", &basic)],
        )
        .await
        .unwrap();
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let body: serde_json::Value = serde_json::from_str(&tokens.body).unwrap();
    let id_token = body["id_token"].as_str().unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn current_code(setup: &Setup, manual_key: &str) -> String {
    let secret = TotpSecret::from_base32(manual_key).unwrap();
    TotpParams::default()
        .code_at(&secret, setup.server.clock_now())
        .unwrap()
}

/// Gives erika an authenticator app directly through the identity service.
async fn enrol_totp(setup: &Setup) -> String {
    let identity = &setup.server.app.identity;
    let enrolment = identity.begin_totp_enrolment(setup.erika).await.unwrap();
    let code = current_code(setup, &enrolment.manual_key);
    identity
        .confirm_totp_enrolment(
            setup.erika,
            enrolment.factor_id,
            &code,
            None,
            &RequestContext::default(),
        )
        .await
        .unwrap();
    // The enrolment code's time step is used up: move to the next one.
    setup.server.clock.advance(chrono::TimeDelta::seconds(30));
    enrolment.manual_key
}

#[tokio::test]
async fn r_ac_4_a_user_without_factor_enrols_totp_and_reaches_loa_substantial() {
    let setup = setup().await;
    let enrol = password_step(
        &setup,
        &authorize_url(&setup, &[("acr_values", "loa-substantial")]),
    )
    .await;
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    assert!(enrol.url.contains("/login/enrol"), "{}", enrol.url);
    let totp_form = enrol
        .forms()
        .into_iter()
        .find(|form| form.value("method") == Some("totp"))
        .expect("TOTP is offered");
    let qr = setup
        .browser
        .submit(&enrol, &totp_form, Some(("action", "start")))
        .await
        .unwrap();
    assert_eq!(qr.status, 200, "{}", qr.body);
    assert!(qr.body.contains("<svg"), "the QR code is drawn");
    let manual_key = qr.text_by_id("enrol-manual-key").unwrap();

    let wrong = submit_code(&setup, &qr, "000000", "confirm").await;
    assert!(wrong.alert().is_some(), "{}", wrong.body);

    let code = current_code(&setup, &manual_key);
    let recovery = submit_code(&setup, &wrong, &code, "confirm").await;
    assert_eq!(recovery.status, 200, "{}", recovery.body);
    let codes = recovery.text_by_id("recovery-codes").unwrap();
    assert!(codes.contains('-'), "{codes}");
    assert_eq!(recovery.header("cache-control"), Some("no-store"));
    let back = setup
        .browser
        .submit(&recovery, &recovery.post_form().unwrap(), None)
        .await
        .unwrap();
    let claims = id_token_claims(&setup, &back).await;
    assert_eq!(claims["acr"], "loa-substantial");
    assert_eq!(claims["amr"], serde_json::json!(["otp", "pwd", "mfa"]));
}

#[tokio::test]
async fn r_mf_3_totp_login_refuses_a_wrong_and_a_replayed_code() {
    let setup = setup().await;
    let manual_key = enrol_totp(&setup).await;
    let prove = password_step(
        &setup,
        &authorize_url(&setup, &[("acr_values", "loa-substantial")]),
    )
    .await;
    assert!(prove.url.contains("/login/factor"), "{}", prove.url);
    let wrong = submit_code(&setup, &prove, "123456", "verify").await;
    assert!(wrong.alert().is_some(), "{}", wrong.body);
    let code = current_code(&setup, &manual_key);
    let back = submit_code(&setup, &wrong, &code, "verify").await;
    let claims = id_token_claims(&setup, &back).await;
    assert_eq!(claims["acr"], "loa-substantial");

    // The same code in a second login within its time step: a replay.
    let other = Setup {
        browser: browser(),
        ..setup
    };
    let prove = password_step(
        &other,
        &authorize_url(&other, &[("acr_values", "loa-substantial")]),
    )
    .await;
    let replay = submit_code(&other, &prove, &code, "verify").await;
    assert!(replay.alert().is_some(), "{}", replay.body);
}

#[tokio::test]
async fn r_ac_3_step_up_asks_only_the_missing_factor_with_a_new_auth_time() {
    let setup = setup().await;
    let manual_key = enrol_totp(&setup).await;
    let back = password_step(&setup, &authorize_url(&setup, &[])).await;
    let low = id_token_claims(&setup, &back).await;
    assert_eq!(low["acr"], "loa-low");
    assert_eq!(low["amr"], serde_json::json!(["pwd"]));

    setup.server.clock.advance(chrono::TimeDelta::seconds(120));
    let start = setup
        .browser
        .get(&authorize_url(&setup, &[("acr_values", "loa-substantial")]))
        .await
        .unwrap();
    let prove = settle(&setup.browser, start).await;
    assert_eq!(prove.status, 200, "{}", prove.body);
    assert!(
        prove.url.contains("/login/factor"),
        "no password asked: {}",
        prove.url
    );
    assert!(prove.text_by_id("factor-step-up").is_some());
    let code = current_code(&setup, &manual_key);
    let back = submit_code(&setup, &prove, &code, "verify").await;
    let high = id_token_claims(&setup, &back).await;
    assert_eq!(high["acr"], "loa-substantial");
    assert_eq!(high["amr"], serde_json::json!(["otp", "pwd", "mfa"]));
    assert!(
        high["auth_time"].as_i64().unwrap() > low["auth_time"].as_i64().unwrap(),
        "a new auth_time: {high} vs {low}"
    );
}

#[tokio::test]
async fn r_mf_4_sms_tan_enrolment_verifies_the_number_through_the_outbox() {
    let setup = setup().await;
    let enrol = password_step(
        &setup,
        &authorize_url(&setup, &[("acr_values", "loa-substantial")]),
    )
    .await;
    let mut sms_form = enrol
        .forms()
        .into_iter()
        .find(|form| form.value("method") == Some("sms_tan"))
        .expect("SMS-TAN is offered");
    assert!(sms_form.fill_by_label("Mobilnummer", "0171 1234578"));
    let sent = setup
        .browser
        .submit(&enrol, &sms_form, Some(("action", "start")))
        .await
        .unwrap();
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(
        sent.text_by_id("enrol-destination").as_deref(),
        Some("+49 ••• ••• 78")
    );
    let messages = setup
        .server
        .app
        .store
        .outbox(&OutboxQuery {
            to: Some("+491711234578".to_owned()),
            ..OutboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].template, "enrol_code");
    let code = messages[0].params["code"].clone();
    assert_eq!(code.len(), 6);
    let recovery = submit_code(&setup, &sent, &code, "confirm").await;
    assert_eq!(recovery.status, 200, "{}", recovery.body);
    let back = setup
        .browser
        .submit(&recovery, &recovery.post_form().unwrap(), None)
        .await
        .unwrap();
    let claims = id_token_claims(&setup, &back).await;
    assert_eq!(claims["acr"], "loa-substantial");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "sms", "mfa"]));
    let account = setup
        .server
        .app
        .identity
        .account(setup.erika)
        .await
        .unwrap()
        .unwrap();
    assert!(account.phone_verified);
    assert_eq!(account.phone.as_deref(), Some("+491711234578"));
}

#[tokio::test]
async fn r_mf_4_sms_enrolment_first_asks_the_last_digits_of_the_health_card() {
    let setup = setup_with_policy("[second_factor]\nmembership_proof_digits = 5\n").await;
    setup
        .server
        .app
        .identity
        .set_card_serial(setup.erika, "80276 00312 34567 89012")
        .await
        .unwrap();
    let enrol = password_step(
        &setup,
        &authorize_url(&setup, &[("acr_values", "loa-substantial")]),
    )
    .await;
    assert!(
        enrol.body.contains("letzten 5 Ziffern"),
        "the hint names the number of digits: {}",
        enrol.body
    );
    let sms_form = |page: &Page| {
        page.forms()
            .into_iter()
            .find(|form| form.value("method") == Some("sms_tan"))
            .expect("SMS-TAN is offered")
    };
    let mut form = sms_form(&enrol);
    assert!(form.fill_by_label("Mobilnummer", "0171 1234578"));
    assert!(form.fill_by_label("Gesundheitskarte (letzte Ziffern)", "89013"));
    let wrong = setup
        .browser
        .submit(&enrol, &form, Some(("action", "start")))
        .await
        .unwrap();
    assert!(wrong.alert().is_some(), "{}", wrong.body);
    let outbox = OutboxQuery::default();
    assert!(
        setup
            .server
            .app
            .store
            .outbox(&outbox)
            .await
            .unwrap()
            .is_empty()
    );

    let mut form = sms_form(&wrong);
    assert!(form.fill_by_label("Mobilnummer", "0171 1234578"));
    assert!(form.fill_by_label("Gesundheitskarte (letzte Ziffern)", "89012"));
    let sent = setup
        .browser
        .submit(&wrong, &form, Some(("action", "start")))
        .await
        .unwrap();
    assert!(
        sent.text_by_id("enrol-destination").is_some(),
        "{}",
        sent.body
    );
    assert_eq!(
        setup.server.app.store.outbox(&outbox).await.unwrap().len(),
        1
    );
}

/// A server with the policy text (empty: the built-in policy), erika, and
/// the portal client.
async fn setup_with_policy(policy: &str) -> Setup {
    let policy_dir = tempfile::tempdir().unwrap();
    let policy_path = policy_dir.path().join("policy.toml");
    std::fs::write(&policy_path, policy).unwrap();
    let server = TestServer::start_with(|settings| settings.policy_file = Some(policy_path))
        .await
        .unwrap();
    let erika = server.add_account("erika", PASSWORD).await.unwrap();
    let secret = pforte_crypto::random::random_token();
    let record = pforte_oauth::model::Client {
        secret_digest: Some(server.app.secrets.digest(&secret)),
        ..server.client_template(
            "portal",
            REDIRECT_URI,
            pforte_oauth::model::ClientAuthMethod::ClientSecretBasic,
        )
    };
    server.add_client(&record).await.unwrap();
    Setup {
        server,
        browser: browser(),
        client: TestClient {
            client_id: "portal".to_owned(),
            secret: Some(secret),
            redirect_uri: REDIRECT_URI.to_owned(),
        },
        erika,
        _policy_dir: policy_dir,
    }
}

#[tokio::test]
async fn r_ac_4_policy_deny_refuses_the_level_instead_of_a_downgrade() {
    let setup = setup_with_policy("[assurance.classes.possession]\non_missing = \"deny\"\n").await;
    let back = password_step(
        &setup,
        &authorize_url(&setup, &[("acr_values", "loa-substantial")]),
    )
    .await;
    assert_eq!(back.status, 303, "{}", back.body);
    let params = back.location_params();
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert!(!params.contains_key("code"));

    // Asked with an essential acr claim, the same refusal names the unmet
    // requirement (OIDC Core 5.5.1.1).
    let other = Setup {
        browser: browser(),
        ..setup
    };
    let claims = r#"{"id_token":{"acr":{"essential":true,"values":["loa-substantial"]}}}"#;
    let back = password_step(&other, &authorize_url(&other, &[("claims", claims)])).await;
    assert_eq!(
        back.location_params().get("error").map(String::as_str),
        Some("unmet_authentication_requirements"),
        "{:?}",
        back.location()
    );
}

#[tokio::test]
async fn r_mf_1_a_recovery_code_works_once_instead_of_the_app() {
    let setup = setup().await;
    enrol_totp(&setup).await;
    let codes = setup
        .server
        .app
        .identity
        .issue_recovery_codes(setup.erika, &RequestContext::default())
        .await
        .unwrap();
    for (attempt, expect_success) in [(0, true), (1, false)] {
        setup.browser.clear_cookies();
        let run = &setup;
        let prove = password_step(
            run,
            &authorize_url(run, &[("acr_values", "loa-substantial")]),
        )
        .await;
        let switch = prove
            .forms()
            .into_iter()
            .find(|form| form.value("method") == Some("recovery_code"))
            .expect("the recovery code is offered as another method");
        let page = setup
            .browser
            .submit(&prove, &switch, Some(("action", "switch")))
            .await
            .unwrap();
        let page = settle(&run.browser, page).await;
        let mut form = page
            .forms()
            .into_iter()
            .find(|form| form.value("code").is_some())
            .unwrap();
        assert!(form.fill_by_label("Wiederherstellungscode", &codes[0].to_lowercase()));
        let back = run
            .browser
            .submit(&page, &form, Some(("action", "verify")))
            .await
            .unwrap();
        if expect_success {
            let claims = id_token_claims(run, &back).await;
            assert_eq!(
                claims["amr"],
                serde_json::json!(["kba", "pwd", "mfa"]),
                "{attempt}"
            );
        } else {
            assert!(back.alert().is_some(), "a used code fails: {}", back.body);
        }
    }
}

#[tokio::test]
async fn r_mf_3_codes_are_resent_only_after_the_interval() {
    let setup = setup().await;
    let enrol = password_step(
        &setup,
        &authorize_url(&setup, &[("acr_values", "loa-substantial")]),
    )
    .await;
    let mut form = enrol
        .forms()
        .into_iter()
        .find(|form| form.value("method") == Some("email_code"))
        .expect("the e-mail code is offered");
    assert!(form.fill_by_label("E-Mail-Adresse", "erika@example.test"));
    let sent = setup
        .browser
        .submit(&enrol, &form, Some(("action", "start")))
        .await
        .unwrap();
    assert_eq!(
        sent.text_by_id("enrol-destination").as_deref(),
        Some("e••••@example.test")
    );
    let resend = sent
        .forms()
        .into_iter()
        .find(|form| form.value("code").is_some())
        .unwrap();
    let too_soon = setup
        .browser
        .submit(&sent, &resend, Some(("action", "resend")))
        .await
        .unwrap();
    assert!(too_soon.alert().is_some(), "{}", too_soon.body);
    let outbox = OutboxQuery {
        to: Some("erika@example.test".to_owned()),
        ..OutboxQuery::default()
    };
    assert_eq!(
        setup.server.app.store.outbox(&outbox).await.unwrap().len(),
        1
    );

    setup.server.clock.advance(chrono::TimeDelta::seconds(31));
    let again = setup
        .browser
        .submit(&too_soon, &resend, Some(("action", "resend")))
        .await
        .unwrap();
    assert!(again.alert().is_none(), "{}", again.body);
    let messages = setup.server.app.store.outbox(&outbox).await.unwrap();
    assert_eq!(messages.len(), 2);
    // The newest code works; the first one was replaced.
    let old = messages[1].params["code"].clone();
    let new = messages[0].params["code"].clone();
    if old != new {
        let refused = submit_code(&setup, &again, &old, "confirm").await;
        assert!(refused.alert().is_some(), "{}", refused.body);
    }
    let recovery = submit_code(&setup, &again, &new, "confirm").await;
    assert_eq!(recovery.status, 200, "{}", recovery.body);
    assert!(recovery.text_by_id("recovery-codes").is_some());
}

#[tokio::test]
async fn r_mf_4_the_code_page_names_the_masked_number_also_after_a_wrong_code() {
    let setup = setup().await;
    let identity = &setup.server.app.identity;
    let context = RequestContext::default();
    let (factor, _) = identity
        .begin_code_enrolment(
            setup.erika,
            pforte_types::Method::SmsTan,
            "+49 171 1234578",
            None,
            "de",
            &context,
        )
        .await
        .unwrap();
    let outbox = OutboxQuery::default();
    let code = setup.server.app.store.outbox(&outbox).await.unwrap()[0].params["code"].clone();
    identity
        .confirm_code_enrolment(setup.erika, factor, &code, None, &context)
        .await
        .unwrap();
    let prove = password_step(
        &setup,
        &authorize_url(&setup, &[("acr_values", "loa-substantial")]),
    )
    .await;
    assert_eq!(
        prove.text_by_id("factor-destination").as_deref(),
        Some("+49 ••• ••• 78")
    );
    let wrong = submit_code(&setup, &prove, "000000", "verify").await;
    assert!(wrong.alert().is_some());
    assert_eq!(
        wrong.text_by_id("factor-destination").as_deref(),
        Some("+49 ••• ••• 78"),
        "{}",
        wrong.body
    );
    // Reloading the page within the resend interval sends nothing new.
    let again = setup.browser.get(&prove.url).await.unwrap();
    assert_eq!(
        again.text_by_id("factor-destination").as_deref(),
        Some("+49 ••• ••• 78")
    );
    assert_eq!(
        setup.server.app.store.outbox(&outbox).await.unwrap().len(),
        2
    );
}
