//! Identity proofing against a second Pforte acting as the ident service
//! (R-RG-5): `/ident/start` → the ident service's login → `/ident/callback`,
//! with a real ID token signed by the second instance, its JWKS and its
//! `birthdate` claim (OIDC Core 5.1).

use crate::support::*;
use pforte_identity::RequestContext;
use pforte_identity::account::Account;
use pforte_identity::flow::LoginTxn;
use pforte_identity::member::ImportOptions;
use pforte_identity::policy::Kvnr;
use pforte_identity::ports::{BirthdateStore, LockoutStore};
use pforte_identity::registration::{MemberLink, Proofing, Stage};
use pforte_oauth::model::{Client, ClientAuthMethod};
use pforte_testkit::{Browser, Page, TestServer};
use pforte_types::AccountId;
use pforte_web::interaction;
use std::time::Duration;

const SECRET: &str = "ident-client-secret-0123456789";
const PASSWORD: &str = "richtig-und-lang";
const MEMBERS: &str = "kvnr;given_name;family_name;birth_date;postal_code;membership_start\n\
                       A123456780;Erika;Mustermann;1980-04-02;10115;2001-01-01\n";

struct Pair {
    /// The insurer's Pforte, where the account awaits activation.
    insurer: TestServer,
    /// The second Pforte, acting as the ident service.
    ident: TestServer,
    account: AccountId,
    browser: Browser,
}

/// The ident service knows "erika" with `birthdate`; the insurer has the
/// member and a registered account awaiting activation.
async fn pair(ident_birthdate: &str) -> Pair {
    let ident = server().await;
    let person = ident.add_account("erika", PASSWORD).await.unwrap();
    ident
        .app
        .store
        .set_birthdate(
            person,
            chrono::NaiveDate::parse_from_str(ident_birthdate, "%Y-%m-%d").unwrap(),
            ident.clock_now(),
        )
        .await
        .unwrap();
    let issuer = ident.base_url().to_owned();
    let insurer = TestServer::start_with(|settings| {
        settings.ident.enabled = true;
        settings.ident.issuer = issuer;
        settings.ident.client_id = "insurer".to_owned();
        settings.ident.client_secret = SECRET.to_owned();
        settings.ident.display_name = "Zweite Pforte".to_owned();
    })
    .await
    .unwrap();
    let client = Client {
        secret_digest: Some(ident.app.secrets.digest(SECRET)),
        ..ident.client_template(
            "insurer",
            &insurer.url("/ident/callback"),
            ClientAuthMethod::ClientSecretBasic,
        )
    };
    ident.add_client(&client).await.unwrap();

    let registry = insurer.app.member_registry();
    registry
        .import(
            MEMBERS,
            ImportOptions::default(),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let now = insurer.clock_now();
    let account = Account {
        id: AccountId::new(),
        username: "erika-m".to_owned(),
        password_hash: insurer.app.hasher.hash(PASSWORD).await.unwrap(),
        email: Some("erika@example.test".to_owned()),
        email_verified: true,
        given_name: Some("Erika".to_owned()),
        family_name: Some("Mustermann".to_owned()),
        phone: None,
        phone_verified: false,
        totp_secret_encrypted: None,
        created_at: now,
        updated_at: now,
    };
    let link = MemberLink {
        account_id: account.id,
        kvnr_digest: registry.kvnr_digest(&Kvnr::parse("A123456780").unwrap()),
        stage: Stage::AwaitingActivation,
        proofing: Proofing::Letter,
        registered_at: now,
        activated_at: None,
        updated_at: now,
    };
    insurer
        .app
        .member_links()
        .insert_linked_account(&account, &link, &[])
        .await
        .unwrap();
    Pair {
        insurer,
        ident,
        account: account.id,
        browser: browser(),
    }
}

/// A login at the insurer that got as far as the password: the transaction
/// knows the account (as the activation step of a login does).
async fn parked_login(pair: &Pair) -> String {
    let (id, mut record) = park_interaction(&pair.insurer, &pair.browser, &[], None).await;
    let mut txn = LoginTxn::fresh(pair.insurer.clock_now());
    txn.account_id = Some(pair.account);
    txn.username = "erika-m".to_owned();
    record.txn = Some(txn);
    interaction::save(
        pair.insurer.app.memory.as_ref(),
        &id,
        &record,
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    id
}

/// `/ident/start` → the ident service's login as erika → back at
/// `/ident/callback`; returns the insurer's answer to the callback.
async fn prove_identity(pair: &Pair, interaction: &str) -> Page {
    let browser = &pair.browser;
    let start = browser
        .get(
            &pair
                .insurer
                .url(&format!("/ident/start?interaction={interaction}")),
        )
        .await
        .unwrap();
    assert_eq!(start.status, 303, "{}", start.body);
    let upstream = start.location().unwrap();
    assert!(upstream.starts_with(pair.ident.base_url()), "{upstream}");
    let params = url::Url::parse(&upstream).unwrap();
    let params: std::collections::HashMap<_, _> = params.query_pairs().into_owned().collect();
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["scope"], "openid profile");
    assert!(!params["state"].is_empty() && !params["nonce"].is_empty());

    let authorize = browser.follow(&start).await.unwrap();
    assert_eq!(authorize.status, 303, "{}", authorize.body);
    let login = browser.follow(&authorize).await.unwrap();
    assert_eq!(login.status, 200, "{}", login.body);
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", "erika"));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    let back = browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    assert_eq!(back.status, 303, "{}", back.body);
    let callback = back.location().unwrap();
    assert!(
        callback.starts_with(&pair.insurer.url("/ident/callback?")),
        "{callback}"
    );
    browser.follow(&back).await.unwrap()
}

async fn link(pair: &Pair) -> MemberLink {
    pair.insurer
        .app
        .member_links()
        .link_of_account(pair.account)
        .await
        .unwrap()
        .unwrap()
}

async fn audit_kinds(pair: &Pair) -> Vec<String> {
    pair.insurer
        .app
        .store
        .audit_events(&Default::default())
        .await
        .unwrap()
        .iter()
        .filter(|event| event.account == Some(pair.account))
        .map(|event| event.kind.as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn r_rg_5_matching_claims_of_a_second_pforte_activate_the_account_and_the_login_goes_on() {
    let pair = pair("1980-04-02").await;
    let interaction = parked_login(&pair).await;
    // The activation step of the login offers the ident service next to the
    // letter code.
    let activate = pair
        .browser
        .get(
            &pair
                .insurer
                .url(&format!("/login/activate?interaction={interaction}")),
        )
        .await
        .unwrap();
    assert_eq!(activate.status, 200, "{}", activate.body);
    assert_eq!(
        activate.text_by_id("ident-start").as_deref(),
        Some("Identität mit Zweite Pforte bestätigen")
    );
    assert!(
        activate
            .body
            .contains(&format!("/ident/start?interaction={interaction}")),
        "{}",
        activate.body
    );
    let answer = prove_identity(&pair, &interaction).await;
    // The login continues where it stopped (the account gate is open now).
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(
        answer.location().unwrap().contains("/login"),
        "{:?}",
        answer.location()
    );
    let link = link(&pair).await;
    assert_eq!(link.stage, Stage::Active);
    assert_eq!(link.proofing, Proofing::Ident);
    let kinds = audit_kinds(&pair).await;
    assert!(kinds.contains(&"identity_proofed".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"account_activated".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn r_rg_5_a_different_birthdate_leaves_the_account_waiting_with_a_clear_page() {
    let pair = pair("1980-04-03").await;
    let interaction = parked_login(&pair).await;
    let answer = prove_identity(&pair, &interaction).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(
        answer.text_by_id("ident-result").as_deref(),
        Some("Identität nicht bestätigt")
    );
    assert!(answer.body.contains("Zweite Pforte"), "{}", answer.body);
    assert!(answer.text_by_id("ident-letter").is_some());
    assert!(
        answer
            .body
            .contains(&format!("/ident/start?interaction={interaction}")),
        "a second attempt is offered"
    );
    assert_eq!(link(&pair).await.stage, Stage::AwaitingActivation);
    assert!(
        audit_kinds(&pair)
            .await
            .contains(&"identity_proofing_failed".to_owned())
    );
}

#[tokio::test]
async fn r_rg_5_start_needs_the_browser_of_the_login_and_callback_a_known_state() {
    let pair = pair("1980-04-02").await;
    let interaction = parked_login(&pair).await;
    // Another browser (no flow cookie) cannot start the attempt.
    let stranger = browser();
    let refused = stranger
        .get(
            &pair
                .insurer
                .url(&format!("/ident/start?interaction={interaction}")),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.body);
    // A callback with an unknown state is refused with its own code.
    let forged = pair
        .browser
        .get(&pair.insurer.url("/ident/callback?state=forged&code=x"))
        .await
        .unwrap();
    assert_eq!(forged.status, 400);
    assert_eq!(
        forged.text_by_id("error-code").as_deref(),
        Some("PF-IDENT-002")
    );
    // Cancelled at the ident service: nothing changes, the letter still works.
    let start = pair
        .browser
        .get(
            &pair
                .insurer
                .url(&format!("/ident/start?interaction={interaction}")),
        )
        .await
        .unwrap();
    let upstream = url::Url::parse(&start.location().unwrap()).unwrap();
    let state = upstream
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
    let cancelled = pair
        .browser
        .get(&pair.insurer.url(&format!(
            "/ident/callback?state={state}&error=access_denied"
        )))
        .await
        .unwrap();
    assert_eq!(cancelled.status, 422);
    assert_eq!(
        cancelled.text_by_id("ident-result").as_deref(),
        Some("Identifizierung abgebrochen")
    );
    assert_eq!(link(&pair).await.stage, Stage::AwaitingActivation);
}

/// The insurer's member lookup on port 0: answers every request with
/// `status` and `body`.
async fn insurer_lookup(status: u16, body: serde_json::Value) -> String {
    let app = axum::Router::new().route(
        "/lookup",
        axum::routing::post(move || {
            let body = body.clone();
            async move {
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    axum::Json(body),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/lookup")
}

/// Registration of a KVNR the registry does not hold, with the lookup
/// answering `status`/`body`; returns the server and the settled answer.
async fn register_via_lookup(status: u16, body: serde_json::Value) -> (TestServer, Page) {
    let url = insurer_lookup(status, body).await;
    let server = TestServer::start_with(|settings| {
        settings.members.lookup_url = Some(url);
    })
    .await
    .unwrap();
    let client = Client {
        secret_digest: Some(server.app.secrets.digest(SECRET)),
        ..server.client_template("portal", REDIRECT_URI, ClientAuthMethod::ClientSecretBasic)
    };
    server.add_client(&client).await.unwrap();
    let browser = browser();
    let mut authorize = url::Url::parse(&server.url("/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "portal")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("state", "st-1");
    let mut page = browser.get(authorize.as_str()).await.unwrap();
    while page.status == 303 {
        page = browser.follow(&page).await.unwrap();
    }
    let interaction = page
        .post_form()
        .unwrap()
        .value("interaction")
        .unwrap()
        .to_owned();
    let form_page = browser
        .get(&server.url(&format!("/register?interaction={interaction}")))
        .await
        .unwrap();
    assert_eq!(form_page.status, 200, "{}", form_page.body);
    let mut form = form_page.post_form().unwrap();
    assert!(form.set("kvnr", "A123456780"));
    assert!(form.set("birth_date", "1964-08-12"));
    assert!(form.set("postal_code", "10115"));
    assert!(form.set("username", "erika.m"));
    assert!(form.set("password", "Ein-langes-Passwort-2026"));
    assert!(form.set("email", "erika@example.org"));
    let mut answer = browser.submit(&form_page, &form, None).await.unwrap();
    while answer.status == 303 {
        answer = browser.follow(&answer).await.unwrap();
    }
    (server, answer)
}

#[tokio::test]
async fn r_rg_1_registration_finds_a_member_through_the_insurer_lookup() {
    let (server, answer) = register_via_lookup(
        200,
        serde_json::json!({"member": {
            "kvnr": "A123456780",
            "given_name": "Erika",
            "family_name": "Mustermann",
            "birth_date": "1964-08-12",
            "postal_code": "10115",
            "street": "Heidestraße 17",
            "city": "Berlin",
            "membership_start": "2001-01-01"
        }}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.url.contains("/register/confirm"), "{}", answer.url);
    // Stored sealed in the registry like an imported member.
    let member = server
        .app
        .member_registry()
        .find(&Kvnr::parse("A123456780").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.city.as_deref(), Some("Berlin"));
}

#[tokio::test]
async fn r_rg_1_an_unavailable_lookup_asks_to_try_again_later() {
    let (server, answer) = register_via_lookup(500, serde_json::json!({})).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("Ihre Mitgliedschaft kann gerade nicht geprüft werden"),
        "{}",
        answer.body
    );
    assert_eq!(
        server
            .app
            .member_registry()
            .find(&Kvnr::parse("A123456780").unwrap())
            .await
            .unwrap(),
        None
    );
}
