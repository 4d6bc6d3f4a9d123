//! `/account/security`: self-service for second factors (R-MF-2, issue 4):
//! the hint without a session, listing, adding, renaming and removing
//! factors, the last-factor rule, recovery codes, re-authentication and CSRF.

use crate::support::*;
use chrono::TimeDelta;
use pforte_factors::totp::{TotpParams, TotpSecret};
use pforte_identity::{AuditKind, RequestContext};
use pforte_testkit::{Browser, Page, TestServer};
use pforte_types::{AccountId, Clock};

const PASSWORD: &str = "richtig-und-lang";
const PATH: &str = "/account/security";

struct Signed {
    server: TestServer,
    browser: Browser,
    account: AccountId,
}

fn mandatory_policy() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "pforte-http-mandatory-{}.toml",
        pforte_crypto::random::random_token()
    ));
    std::fs::write(
        &path,
        r#"
name = "http-mandatory"
[password.hashing]
memory_kib = 1024
iterations = 1
parallelism = 1
[second_factor]
mandatory = true
"#,
    )
    .unwrap();
    path
}

fn operator() -> RequestContext {
    RequestContext {
        operator: None,
        client_id: None,
        ip: None,
        user_agent: Some("test".into()),
        request_id: Some("test".into()),
    }
}

/// A server with erika (and `totp_factors` authenticator apps of hers),
/// and a browser signed in as her through the authorization endpoint.
async fn signed_in(server: TestServer, totp_factors: usize) -> Signed {
    let account = server.add_account("erika", PASSWORD).await.unwrap();
    for _ in 0..totp_factors {
        server
            .app
            .identity
            .provision_totp(account, TotpSecret::generate().as_bytes(), &operator())
            .await
            .unwrap();
    }
    let client = server
        .add_confidential_client("portal", REDIRECT_URI)
        .await
        .unwrap();
    let browser = browser();
    let mut url = url::Url::parse(&server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("scope", "openid")
        .append_pair("state", "st-1")
        .append_pair(
            "code_challenge",
            &pforte_crypto::random::sha256_b64url("a-verifier-long-enough-0123456789-0123456789"),
        )
        .append_pair("code_challenge_method", "S256");
    let start = browser.get(url.as_str()).await.unwrap();
    assert_eq!(start.status, 303, "{}", start.body);
    let login = browser.follow(&start).await.unwrap();
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", "erika"));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    let back = browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(back.location().unwrap().starts_with(REDIRECT_URI));
    Signed {
        server,
        browser,
        account,
    }
}

async fn security_page(signed: &Signed) -> Page {
    let page = signed.browser.get(&signed.server.url(PATH)).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_page_headers(&page);
    page
}

/// Submits the page's form that has this button and, when given, this
/// field value (`("factor", id)`, `("method", "totp")`), after `fill`
/// adjusted it.
async fn press(
    signed: &Signed,
    page: &Page,
    action: &str,
    pick: Option<(&str, &str)>,
    fill: &[(&str, &str)],
) -> Page {
    let mut form = page
        .forms()
        .into_iter()
        .find(|form| {
            form.buttons
                .iter()
                .any(|(name, value)| name == "action" && value == action)
                && pick.is_none_or(|(name, value)| form.value(name) == Some(value))
        })
        .unwrap_or_else(|| panic!("no form with {action}: {}", page.body));
    for (name, value) in fill {
        assert!(form.set(name, value), "field {name}");
    }
    signed
        .browser
        .submit(page, &form, Some(("action", action)))
        .await
        .unwrap()
}

async fn factor_ids(signed: &Signed) -> Vec<String> {
    signed
        .server
        .app
        .identity
        .list_factors(signed.account)
        .await
        .unwrap()
        .iter()
        .map(|factor| factor.id.to_string())
        .collect()
}

async fn trail(signed: &Signed) -> Vec<AuditKind> {
    signed
        .server
        .app
        .identity
        .audit_events(Some("erika"), None)
        .await
        .unwrap()
        .iter()
        .map(|event| event.kind)
        .collect()
}

#[tokio::test]
async fn r_mf_2_without_a_session_the_page_says_to_sign_in_through_the_portal() {
    let server = server().await;
    let german = browser().get(&server.url(PATH)).await.unwrap();
    assert_eq!(german.status, 200);
    assert_eq!(german.location(), None, "no redirect, so no loop");
    assert_page_headers(&german);
    let hint = german.text_by_id("account-sign-in").unwrap();
    assert!(hint.contains("Portal"), "{hint}");
    assert!(!german.body.contains("csrf_token"));

    let english = browser()
        .with_language("en")
        .get(&server.url(PATH))
        .await
        .unwrap();
    let hint = english.text_by_id("account-sign-in").unwrap();
    assert!(hint.contains("sign in through the portal"), "{hint}");

    let post = browser()
        .post_form(&server.url(PATH), &[("action".into(), "remove".into())])
        .await
        .unwrap();
    assert_eq!(post.status, 200);
    assert!(post.text_by_id("account-sign-in").is_some());
}

#[tokio::test]
async fn r_mf_2_the_user_adds_an_authenticator_app_and_gets_recovery_codes_once() {
    let signed = signed_in(server().await, 0).await;
    let page = security_page(&signed).await;
    assert!(page.text_by_id("account-no-factors").is_some());
    assert_eq!(
        page.text_by_id("account-recovery-left").as_deref(),
        Some("0")
    );

    let started = press(&signed, &page, "start", Some(("method", "totp")), &[]).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(started.body.contains("<svg"), "QR code shown");
    let key = started.text_by_id("enrol-manual-key").unwrap();
    let secret = TotpSecret::from_base32(&key.replace(' ', "")).unwrap();
    let code = TotpParams::default()
        .code_at(&secret, signed.server.clock.now())
        .unwrap();

    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let wrong = press(&signed, &started, "confirm", None, &[("code", wrong_code)]).await;
    assert!(
        wrong.text_by_id("account-error").is_some(),
        "{}",
        wrong.body
    );
    assert!(
        wrong.text_by_id("enrol-manual-key").is_some(),
        "still enrolling"
    );

    let codes = press(&signed, &wrong, "confirm", None, &[("code", &code)]).await;
    assert_eq!(codes.status, 200, "{}", codes.body);
    assert_eq!(codes.header("cache-control"), Some("no-store"));
    assert_eq!(
        codes.body.matches("<li><code>").count(),
        10,
        "{}",
        codes.body
    );

    let listed = security_page(&signed).await;
    let factors = listed.text_by_id("account-factors").unwrap();
    assert!(factors.contains("Authenticator-App"), "{factors}");
    assert_eq!(
        listed.text_by_id("account-recovery-left").as_deref(),
        Some("10")
    );
    assert_eq!(factor_ids(&signed).await.len(), 1);
    let kinds = trail(&signed).await;
    assert!(kinds.contains(&AuditKind::FactorEnrolled));
    assert!(kinds.contains(&AuditKind::RecoveryCodesIssued));
}

#[tokio::test]
async fn r_mf_4_the_user_adds_an_email_code_factor_proven_by_the_code_sent() {
    use pforte_identity::ports::{OutboxQuery, OutboxStore};
    let signed = signed_in(server().await, 1).await;
    let page = security_page(&signed).await;
    let address = "neu@example.test";
    let sent = press(
        &signed,
        &page,
        "start",
        Some(("method", "email_code")),
        &[("destination", address)],
    )
    .await;
    assert!(sent.text_by_id("enrol-sent").is_some(), "{}", sent.body);
    let messages = signed
        .server
        .app
        .store
        .outbox(&OutboxQuery {
            to: Some(address.to_owned()),
            ..OutboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);
    let code = messages[0].params.get("code").unwrap().clone();
    let added = press(&signed, &sent, "confirm", None, &[("code", &code)]).await;
    // The account had no recovery codes yet: they come with this factor.
    assert_eq!(added.header("cache-control"), Some("no-store"));
    assert!(
        added.text_by_id("recovery-codes").is_some(),
        "{}",
        added.body
    );
    let listed = security_page(&signed).await;
    let factors = listed.text_by_id("account-factors").unwrap();
    assert!(factors.contains("Code per E-Mail"), "{factors}");
    assert!(!factors.contains(address), "the address is shown masked");
    assert_eq!(factor_ids(&signed).await.len(), 2);
}

#[tokio::test]
async fn r_mf_2_the_user_renames_and_removes_a_factor() {
    let signed = signed_in(server().await, 1).await;
    let id = factor_ids(&signed).await.remove(0);
    let page = security_page(&signed).await;
    let entry = page.text_by_id(&format!("factor-{id}")).unwrap();
    assert!(entry.contains("CLI"), "{entry}");
    assert!(entry.contains("Authenticator-App"), "{entry}");

    let renamed = press(
        &signed,
        &page,
        "rename",
        Some(("factor", &id)),
        &[("label", "Handy")],
    )
    .await;
    assert!(
        renamed.text_by_id("account-notice").is_some(),
        "{}",
        renamed.body
    );
    assert!(
        renamed
            .text_by_id(&format!("factor-{id}"))
            .unwrap()
            .contains("Handy")
    );
    let refused = press(
        &signed,
        &renamed,
        "rename",
        Some(("factor", &id)),
        &[("label", " ")],
    )
    .await;
    assert!(
        refused.text_by_id("account-error").is_some(),
        "{}",
        refused.body
    );

    let removed = press(&signed, &refused, "remove", Some(("factor", &id)), &[]).await;
    assert!(
        removed.text_by_id("account-notice").is_some(),
        "{}",
        removed.body
    );
    assert!(removed.text_by_id("account-no-factors").is_some());
    assert!(factor_ids(&signed).await.is_empty());
    let kinds = trail(&signed).await;
    assert!(kinds.contains(&AuditKind::FactorRenamed));
    assert!(kinds.contains(&AuditKind::FactorRemoved));
}

#[tokio::test]
async fn r_mf_2_the_last_factor_stays_while_a_second_factor_is_mandatory() {
    let policy = mandatory_policy();
    let server = TestServer::start_with(|settings| settings.policy_file = Some(policy))
        .await
        .unwrap();
    let signed = signed_in(server, 1).await;
    let id = factor_ids(&signed).await.remove(0);
    let page = security_page(&signed).await;
    let refused = press(&signed, &page, "remove", Some(("factor", &id)), &[]).await;
    assert_eq!(refused.status, 200);
    let message = refused.text_by_id("account-error").unwrap();
    assert!(message.contains("letzter zweiter Faktor"), "{message}");
    assert_eq!(factor_ids(&signed).await, vec![id]);
    assert!(!trail(&signed).await.contains(&AuditKind::FactorRemoved));
}

#[tokio::test]
async fn r_mf_2_sensitive_changes_ask_for_the_password_when_its_proof_is_old() {
    let signed = signed_in(server().await, 2).await;
    let ids = factor_ids(&signed).await;
    signed.server.clock.advance(TimeDelta::minutes(11));
    let page = security_page(&signed).await;

    // Renaming is not sensitive.
    let renamed = press(
        &signed,
        &page,
        "rename",
        Some(("factor", &ids[0])),
        &[("label", "Alt")],
    )
    .await;
    assert!(renamed.text_by_id("account-notice").is_some());

    let asked = press(&signed, &renamed, "remove", Some(("factor", &ids[0])), &[]).await;
    assert!(
        asked.text_by_id("account-reauth").is_some(),
        "{}",
        asked.body
    );
    assert_eq!(factor_ids(&signed).await.len(), 2, "nothing removed yet");

    let wrong = press(&signed, &asked, "reauth", None, &[("password", "falsch")]).await;
    assert!(
        wrong.text_by_id("account-error").is_some(),
        "{}",
        wrong.body
    );
    assert!(wrong.text_by_id("account-reauth").is_some());
    assert_eq!(factor_ids(&signed).await.len(), 2);

    let done = press(&signed, &wrong, "reauth", None, &[("password", PASSWORD)]).await;
    assert!(done.text_by_id("account-notice").is_some(), "{}", done.body);
    assert!(done.text_by_id("account-reauth").is_none());
    assert_eq!(factor_ids(&signed).await, vec![ids[1].clone()]);

    // Within ten minutes of the new proof, no second question.
    signed.server.clock.advance(TimeDelta::minutes(5));
    let page = security_page(&signed).await;
    let codes = press(&signed, &page, "recovery", None, &[]).await;
    assert_eq!(codes.header("cache-control"), Some("no-store"));
    assert!(
        codes.text_by_id("recovery-codes").is_some(),
        "{}",
        codes.body
    );
}

#[tokio::test]
async fn r_mf_2_a_post_without_the_session_bound_token_is_refused() {
    let signed = signed_in(server().await, 2).await;
    let ids = factor_ids(&signed).await;
    let page = security_page(&signed).await;
    let forged = signed
        .browser
        .post_form(
            &signed.server.url(PATH),
            &[
                ("csrf_token".into(), "forged".into()),
                ("action".into(), "remove".into()),
                ("factor".into(), ids[0].clone()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_eq!(factor_ids(&signed).await.len(), 2);

    // Another browser with its own session gets its own token.
    let other = browser();
    let token = page.forms()[0].value("csrf_token").unwrap().to_owned();
    let elsewhere = other
        .post_form(
            &signed.server.url(PATH),
            &[
                ("csrf_token".into(), token),
                ("action".into(), "remove".into()),
                ("factor".into(), ids[0].clone()),
            ],
        )
        .await
        .unwrap();
    assert!(elsewhere.text_by_id("account-sign-in").is_some());
    assert_eq!(factor_ids(&signed).await.len(), 2);
}

#[tokio::test]
async fn r_mf_1_the_user_starts_a_passkey_registration_whose_answer_works_once() {
    // Browsers refuse an IP address as WebAuthn relying party: the issuer
    // names the host.
    let server = TestServer::start_with(|settings| {
        settings.issuer = settings.issuer.replace("127.0.0.1", "localhost");
    })
    .await
    .unwrap();
    let signed = signed_in(server, 1).await;
    let page = security_page(&signed).await;
    let ceremony = press(&signed, &page, "start", Some(("method", "webauthn")), &[]).await;
    assert_eq!(ceremony.status, 200, "{}", ceremony.body);
    let options = ceremony.text_by_id("webauthn-options").unwrap();
    assert!(options.contains("challenge"), "{options}");
    let csp = ceremony.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let form = ceremony
        .forms()
        .into_iter()
        .find(|form| form.value("action") == Some("passkey_finish"))
        .expect("the registration form posts back to this page");
    assert_eq!(form.value("response"), Some(""));

    // A made-up answer is refused and adds nothing.
    let mut forged = form.clone();
    assert!(forged.set("response", r#"{"id":"x","type":"public-key"}"#));
    let refused = signed
        .browser
        .submit(&ceremony, &forged, None)
        .await
        .unwrap();
    assert!(refused.alert().is_some(), "{}", refused.body);
    assert_eq!(factor_ids(&signed).await.len(), 1);
    // The ceremony was used up: the same answer again finds none.
    let again = signed
        .browser
        .submit(&ceremony, &forged, None)
        .await
        .unwrap();
    assert!(again.alert().is_some(), "{}", again.body);
    assert_eq!(factor_ids(&signed).await.len(), 1);
}

#[tokio::test]
async fn r_mf_1_no_passkey_is_offered_where_the_issuer_is_an_ip_address() {
    let signed = signed_in(server().await, 1).await;
    let page = security_page(&signed).await;
    assert!(
        !page
            .forms()
            .iter()
            .any(|form| form.value("method") == Some("webauthn")),
        "{}",
        page.body
    );
}
