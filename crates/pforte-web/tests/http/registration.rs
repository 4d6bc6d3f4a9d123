//! Self-registration through the pages (R-RG-1…4, R-ID-4): members are
//! imported, a member registers, confirms the e-mail with the code from the
//! outbox, receives the activation letter (in the outbox), logs in at the RP
//! entering the letter's code, and gets tokens. Each refusal of the form has
//! its answer; the membership-end job closes the login.

use crate::support::*;
use pforte_identity::RequestContext;
use pforte_identity::factor::Channel;
use pforte_identity::member::ImportOptions;
use pforte_identity::policy::Kvnr;
use pforte_identity::ports::{OutboxQuery, OutboxStore};
use pforte_identity::registration::Stage;
use pforte_testkit::{Browser, Page, TestServer};

const PASSWORD: &str = "Ein-langes-Passwort-2026";
const VERIFIER: &str = "a-verifier-that-is-long-enough-for-rfc7636-rules-0123456789";

struct Setup {
    server: TestServer,
    browser: Browser,
    secret: String,
}

fn kvnr(letter: char, digit: u8) -> String {
    Kvnr::from_parts(letter, [digit; 8])
        .unwrap()
        .as_str()
        .to_owned()
}

/// Members: Erika (adult, current, with address), Lena (too young), Max
/// (membership ended last year), Paul (no street: no letter possible).
async fn setup() -> Setup {
    let server = TestServer::start().await.unwrap();
    let today = server.clock_now().date_naive();
    let ended = today - chrono::TimeDelta::days(400);
    let young = today - chrono::TimeDelta::days(365 * 10);
    let csv = format!(
        "kvnr;given_name;family_name;birth_date;postal_code;street;city;membership_start;membership_end\n\
         A123456780;Erika;Mustermann;1964-08-12;10115;Heidestraße 17;Berlin;2001-01-01;\n\
         {lena};Lena;Mustermann;{young};10115;Heidestraße 17;Berlin;2016-01-01;\n\
         {max};Max;Muster;1970-01-01;20095;Am Markt 1;Hamburg;2001-01-01;{ended}\n\
         {paul};Paul;Ohnestraße;1970-01-01;20095;;;2001-01-01;\n",
        lena = kvnr('B', 2),
        max = kvnr('C', 3),
        paul = kvnr('D', 4),
    );
    let report = server
        .app
        .member_registry()
        .import(&csv, ImportOptions::default(), &RequestContext::default())
        .await
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
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
        secret,
    }
}

fn authorize_url(setup: &Setup) -> String {
    let mut url = url::Url::parse(&setup.server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "portal")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("state", "st-1")
        .append_pair(
            "code_challenge",
            &pforte_crypto::random::sha256_b64url(VERIFIER),
        )
        .append_pair("code_challenge_method", "S256");
    url.into()
}

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

/// The login page of a fresh authorization request.
async fn login_page(setup: &Setup) -> Page {
    let start = setup.browser.get(&authorize_url(setup)).await.unwrap();
    let login = settle(&setup.browser, start).await;
    assert_eq!(login.status, 200, "{}", login.body);
    login
}

/// Opens the registration form from the login page.
async fn register_page(setup: &Setup) -> Page {
    let login = login_page(setup).await;
    let interaction = login
        .post_form()
        .unwrap()
        .value("interaction")
        .unwrap()
        .to_owned();
    let page = setup
        .browser
        .get(
            &setup
                .server
                .url(&format!("/register?interaction={interaction}")),
        )
        .await
        .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

struct Entry<'a> {
    kvnr: &'a str,
    birth_date: &'a str,
    postal_code: &'a str,
    username: &'a str,
    password: &'a str,
}

fn erika() -> Entry<'static> {
    Entry {
        kvnr: "A123456780",
        birth_date: "1964-08-12",
        postal_code: "10115",
        username: "erika.m",
        password: PASSWORD,
    }
}

async fn submit_registration(setup: &Setup, page: &Page, entry: &Entry<'_>) -> Page {
    let mut form = page.post_form().unwrap();
    assert!(form.set("kvnr", entry.kvnr));
    assert!(form.set("birth_date", entry.birth_date));
    assert!(form.set("postal_code", entry.postal_code));
    assert!(form.set("username", entry.username));
    assert!(form.set("password", entry.password));
    assert!(form.set("email", "erika@example.org"));
    let next = setup.browser.submit(page, &form, None).await.unwrap();
    settle(&setup.browser, next).await
}

async fn outbox(
    setup: &Setup,
    query: OutboxQuery,
) -> Vec<pforte_identity::factor::OutboundMessage> {
    setup.server.app.store.outbox(&query).await.unwrap()
}

async fn submit_code(setup: &Setup, page: &Page, code: &str, action: &str) -> Page {
    let mut form = page
        .forms()
        .into_iter()
        .find(|form| form.value("code").is_some())
        .expect("a form with a code field");
    assert!(form.set("code", code));
    let next = setup
        .browser
        .submit(page, &form, Some(("action", action)))
        .await
        .unwrap();
    settle(&setup.browser, next).await
}

async fn register_and_confirm(setup: &Setup) -> (Page, String) {
    let page = register_page(setup).await;
    let confirm = submit_registration(setup, &page, &erika()).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.url.contains("/register/confirm"), "{}", confirm.url);
    let mails = outbox(
        setup,
        OutboxQuery {
            to: Some("erika@example.org".to_owned()),
            ..OutboxQuery::default()
        },
    )
    .await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].channel, Channel::Email);
    let wrong = submit_code(setup, &confirm, "000000", "confirm").await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.alert().is_some(), "{}", wrong.body);
    let done = submit_code(setup, &wrong, &mails[0].params["code"], "confirm").await;
    assert_eq!(done.status, 200, "{}", done.body);
    let letters = outbox(
        setup,
        OutboxQuery {
            channel: Some(Channel::Letter),
            ..OutboxQuery::default()
        },
    )
    .await;
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.template, "activation_letter");
    assert_eq!(letter.to, "Erika Mustermann\nHeidestraße 17\n10115 Berlin");
    assert_eq!(
        done.text_by_id("letter-valid-until").as_deref(),
        Some(letter.params["valid_until"].as_str())
    );
    (done, letter.params["code"].clone())
}

async fn password_login(setup: &Setup, username: &str) -> Page {
    let login = login_page(setup).await;
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", username));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    let next = setup
        .browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    settle(&setup.browser, next).await
}

#[tokio::test]
async fn r_rg_4_register_confirm_the_email_and_activate_with_the_letter_at_login() {
    let setup = setup().await;
    let (_, code) = register_and_confirm(&setup).await;
    let account =
        pforte_identity::ports::AccountStore::find_by_username(&setup.server.app.store, "erika.m")
            .await
            .unwrap()
            .unwrap();
    let link = setup
        .server
        .app
        .member_links()
        .link_of_account(account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.stage, Stage::AwaitingActivation);
    assert!(account.email_verified);

    let activate = password_login(&setup, "erika.m").await;
    assert_eq!(activate.status, 200, "{}", activate.body);
    assert!(activate.url.contains("/login/activate"), "{}", activate.url);
    let wrong = submit_code(
        &setup,
        &activate,
        "7KQ2-HXM4-9PTA-3RWC-E6NF-YB8D",
        "activate",
    )
    .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let back = submit_code(&setup, &wrong, &code.to_lowercase(), "activate").await;
    assert_eq!(back.status, 303, "{}", back.body);
    let params = back.location_params();
    let authorization_code = params.get("code").cloned().expect("a code for the RP");
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("portal:{}", setup.secret)
        )
    );
    let tokens = setup
        .browser
        .post_form_with(
            &setup.server.url("/token"),
            &[
                ("grant_type".to_owned(), "authorization_code".to_owned()),
                ("code".to_owned(), authorization_code),
                ("redirect_uri".to_owned(), REDIRECT_URI.to_owned()),
                ("code_verifier".to_owned(), VERIFIER.to_owned()),
            ],
            &[("authorization", &basic)],
        )
        .await
        .unwrap();
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let link = setup
        .server
        .app
        .member_links()
        .link_of_account(account.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.stage, Stage::Active);
    assert!(link.activated_at.is_some());
}

#[tokio::test]
async fn r_rg_4_a_new_letter_voids_the_old_code() {
    let setup = setup().await;
    let (_, first) = register_and_confirm(&setup).await;
    let activate = password_login(&setup, "erika.m").await;
    let renewed = submit_code(&setup, &activate, "", "new_letter").await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    assert!(
        renewed.text_by_id("activate-notice").is_some(),
        "{}",
        renewed.body
    );
    let old = submit_code(&setup, &renewed, &first, "activate").await;
    assert_eq!(old.status, 422, "{}", old.body);
    let letters = outbox(
        &setup,
        OutboxQuery {
            channel: Some(Channel::Letter),
            ..OutboxQuery::default()
        },
    )
    .await;
    assert_eq!(letters.len(), 2);
    // Newest first.
    let back = submit_code(&setup, &old, &letters[0].params["code"], "activate").await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(back.location().unwrap().starts_with(REDIRECT_URI));
}

#[tokio::test]
async fn r_rg_1_each_refusal_of_the_form_has_its_answer() {
    let setup = setup().await;
    let page = register_page(&setup).await;
    // The rules are listed for the live check by our own script.
    assert!(
        page.text_by_id("rule-min-length").is_some(),
        "{}",
        page.body
    );
    assert!(page.body.contains("/assets/password-rules.js?v="));
    let script = setup
        .browser
        .get(&setup.server.url("/assets/password-rules.js"))
        .await
        .unwrap();
    assert_eq!(script.status, 200);
    assert!(script.body.contains("password-rules-live"));
    let lena = kvnr('B', 2);
    let max = kvnr('C', 3);
    let unknown = kvnr('Z', 9);
    let young_birth =
        (setup.server.clock_now().date_naive() - chrono::TimeDelta::days(365 * 10)).to_string();
    let cases: Vec<(Entry<'_>, &str)> = vec![
        (
            Entry {
                kvnr: "A12345678",
                ..erika()
            },
            "nicht das richtige Format",
        ),
        (
            Entry {
                kvnr: "A123456781",
                ..erika()
            },
            "letzte Ziffer",
        ),
        (
            Entry {
                postal_code: "10117",
                ..erika()
            },
            "Postleitzahl passt nicht",
        ),
        (
            Entry {
                kvnr: &unknown,
                ..erika()
            },
            "passen nicht zu unseren Mitgliedsdaten",
        ),
        (
            Entry {
                birth_date: "1964-08-13",
                ..erika()
            },
            "passen nicht zu unseren Mitgliedsdaten",
        ),
        (
            Entry {
                kvnr: &max,
                birth_date: "1970-01-01",
                postal_code: "20095",
                ..erika()
            },
            "Mitgliedschaft ist beendet",
        ),
        (
            Entry {
                kvnr: &lena,
                birth_date: &young_birth,
                ..erika()
            },
            "noch zu jung",
        ),
        (
            Entry {
                password: "kurz",
                ..erika()
            },
            "erfüllt diese Regeln nicht",
        ),
    ];
    for (entry, expected) in cases {
        let answer = submit_registration(&setup, &page, &entry).await;
        assert_eq!(answer.status, 422, "{expected}: {}", answer.body);
        let problems = answer.text_by_id("register-problems").unwrap_or_default();
        assert!(problems.contains(expected), "{expected}: {problems}");
    }
    // Registered once, the member cannot register again.
    let confirm = submit_registration(&setup, &page, &erika()).await;
    assert!(confirm.url.contains("/register/confirm"), "{}", confirm.url);
    let again = submit_registration(
        &setup,
        &page,
        &Entry {
            username: "erika.zwei",
            ..erika()
        },
    )
    .await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        again
            .text_by_id("register-problems")
            .unwrap_or_default()
            .contains("bereits ein Konto")
    );
    // Every refusal is in the trail with its reason, never with the member
    // data entered.
    let trail = setup
        .server
        .app
        .identity
        .audit_events(None, None)
        .await
        .unwrap();
    let refused: Vec<&str> = trail
        .iter()
        .filter(|event| event.kind == pforte_identity::AuditKind::RegistrationRefused)
        .filter_map(|event| event.detail.as_deref())
        .collect();
    for reason in [
        "form=register_error_kvnr_format",
        "form=register_error_check_digit",
        "postal_code_mismatch",
        "unknown_member",
        "birth_date_mismatch",
        "membership_ended",
        "form=register_error_password",
        "already_registered",
    ] {
        assert!(refused.contains(&reason), "{reason}: {refused:?}");
    }
    assert!(
        refused
            .iter()
            .any(|detail| detail.starts_with("below_minimum_age minimum=")),
        "{refused:?}"
    );
    assert_eq!(refused.len(), 9, "{refused:?}");
    for event in trail
        .iter()
        .filter(|event| event.kind == pforte_identity::AuditKind::RegistrationRefused)
    {
        let text = format!("{event:?}");
        for secret in ["A123456780", "1964-08", "10115", "10117", &unknown] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

#[tokio::test]
async fn r_rg_4_without_a_street_no_letter_is_sent_and_the_page_says_what_to_do() {
    let setup = setup().await;
    let page = register_page(&setup).await;
    let paul = kvnr('D', 4);
    let confirm = submit_registration(
        &setup,
        &page,
        &Entry {
            kvnr: &paul,
            birth_date: "1970-01-01",
            postal_code: "20095",
            username: "paul",
            password: PASSWORD,
        },
    )
    .await;
    assert!(confirm.url.contains("/register/confirm"), "{}", confirm.url);
    let mails = outbox(
        &setup,
        OutboxQuery {
            channel: Some(Channel::Email),
            ..OutboxQuery::default()
        },
    )
    .await;
    let done = submit_code(&setup, &confirm, &mails[0].params["code"], "confirm").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.text_by_id("register-done")
            .unwrap_or_default()
            .contains("Hotline"),
        "{}",
        done.body
    );
}

#[tokio::test]
async fn r_id_4_the_membership_job_closes_the_login_with_a_clear_answer() {
    let setup = setup().await;
    let (_, code) = register_and_confirm(&setup).await;
    let activate = password_login(&setup, "erika.m").await;
    let back = submit_code(&setup, &activate, &code, "activate").await;
    assert_eq!(back.status, 303, "{}", back.body);
    // The insurer reports the end of Erika's membership yesterday.
    let yesterday = setup.server.clock_now().date_naive() - chrono::TimeDelta::days(1);
    let csv = format!(
        "kvnr;given_name;family_name;birth_date;postal_code;street;city;membership_start;membership_end\n\
         A123456780;Erika;Mustermann;1964-08-12;10115;Heidestraße 17;Berlin;2001-01-01;{yesterday}\n"
    );
    setup
        .server
        .app
        .member_registry()
        .import(&csv, ImportOptions::default(), &RequestContext::default())
        .await
        .unwrap();
    let pass = setup
        .server
        .app
        .maintenance()
        .memberships(setup.server.clock_now())
        .await
        .unwrap();
    assert_eq!(pass.closed, 1);
    assert_eq!(pass.sessions_ended, 1);
    let refused = password_login(&setup, "erika.m").await;
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(
        refused
            .alert()
            .unwrap_or_default()
            .contains("Mitgliedschaft ist beendet"),
        "{}",
        refused.body
    );
    // A new membership opens the login again at the next run.
    let csv = "kvnr;given_name;family_name;birth_date;postal_code;street;city;membership_start;membership_end\n\
         A123456780;Erika;Mustermann;1964-08-12;10115;Heidestraße 17;Berlin;2001-01-01;\n";
    setup
        .server
        .app
        .member_registry()
        .import(csv, ImportOptions::default(), &RequestContext::default())
        .await
        .unwrap();
    let pass = setup
        .server
        .app
        .maintenance()
        .memberships(setup.server.clock_now())
        .await
        .unwrap();
    assert_eq!(pass.reopened, 1);
    let back = password_login(&setup, "erika.m").await;
    assert_eq!(back.status, 303, "{}", back.body);
}

#[tokio::test]
async fn r_rg_6_an_agents_invitation_prefills_the_member_and_skips_the_letter() {
    let setup = setup().await;
    let registrar = setup.server.app.registrar();
    let (token, _) = registrar
        .create_invitation("A123456780", 14, &RequestContext::default())
        .await
        .unwrap();
    let url = setup.server.url(&format!("/register/invite/{token}"));
    let page = setup.browser.get(&url).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.text_by_id("invited-kvnr").as_deref(),
        Some("A123456780")
    );
    assert_eq!(
        page.text_by_id("invited-name").as_deref(),
        Some("Erika Mustermann")
    );
    let mut form = page.post_form().unwrap();
    assert!(form.value("kvnr").is_none(), "the KVNR is not asked again");
    assert!(form.set("username", "erika.m"));
    assert!(form.set("password", PASSWORD));
    assert!(form.set("email", "erika@example.org"));
    let confirm = setup.browser.submit(&page, &form, None).await.unwrap();
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let mails = outbox(
        &setup,
        OutboxQuery {
            to: Some("erika@example.org".to_owned()),
            ..OutboxQuery::default()
        },
    )
    .await;
    let done = submit_code(&setup, &confirm, &mails[0].params["code"], "confirm").await;
    assert_eq!(done.status, 200, "{}", done.body);
    let letters = outbox(
        &setup,
        OutboxQuery {
            channel: Some(Channel::Letter),
            ..OutboxQuery::default()
        },
    )
    .await;
    assert!(letters.is_empty(), "no letter for an invited member");
    // Active at once: the login goes straight to the RP.
    let back = password_login(&setup, "erika.m").await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(back.location().unwrap().starts_with(REDIRECT_URI));
    // The link is used up.
    let again = setup.browser.get(&url).await.unwrap();
    assert_eq!(again.status, 400, "{}", again.body);
    let unknown = setup
        .browser
        .get(&setup.server.url("/register/invite/nonsense"))
        .await
        .unwrap();
    assert_eq!(unknown.status, 400);
}

/// Sends one step of `/password/forgot`: the form with the `action` button,
/// `fill` set in it, the channel radio as a browser sends it.
async fn forgot_step(
    setup: &Setup,
    page: &Page,
    action: &str,
    fill: &[(&str, &str)],
    channel: Option<&str>,
) -> Page {
    let mut form = page
        .forms()
        .into_iter()
        .find(|form| {
            form.buttons
                .iter()
                .any(|(name, value)| name == "action" && value == action)
        })
        .unwrap_or_else(|| panic!("no form with {action}: {}", page.body));
    for (name, value) in fill {
        assert!(form.set(name, value), "field {name}");
    }
    let mut pairs: Vec<(String, String)> = form
        .submission(Some(("action", action)))
        .into_iter()
        .filter(|(name, _)| name != "channel")
        .collect();
    if let Some(channel) = channel {
        pairs.push(("channel".into(), channel.into()));
    }
    setup
        .browser
        .post_form(&setup.server.url("/password/forgot"), &pairs)
        .await
        .unwrap()
}

async fn forgot_request(setup: &Setup, identifier: &str, channel: &str) -> Page {
    let page = setup
        .browser
        .get(&setup.server.url("/password/forgot"))
        .await
        .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("channel-letter"), "{}", page.body);
    forgot_step(
        setup,
        &page,
        "request",
        &[("identifier", identifier)],
        Some(channel),
    )
    .await
}

#[tokio::test]
async fn r_rc_1_forgot_password_by_a_new_activation_letter_voids_the_old_code() {
    let setup = setup().await;
    let (_, first) = register_and_confirm(&setup).await;
    let activate = password_login(&setup, "erika.m").await;
    let back = submit_code(&setup, &activate, &first, "activate").await;
    assert_eq!(back.status, 303, "{}", back.body);

    // The same answer for a member's account and for a name nobody has.
    let known = forgot_request(&setup, "erika.m", "letter").await;
    let unknown = forgot_request(&setup, "niemand.hier", "letter").await;
    assert_eq!(known.status, 200, "{}", known.body);
    assert_eq!(known.status, unknown.status);
    let sent = known.text_by_id("forgot-code-sent").unwrap();
    assert!(sent.contains("Brief"), "{sent}");
    assert_eq!(Some(sent), unknown.text_by_id("forgot-code-sent"));
    assert_eq!(known.forms().len(), unknown.forms().len());

    // A second request: its letter voids the first one's code.
    forgot_request(&setup, "erika.m", "letter").await;
    let letters = outbox(
        &setup,
        OutboxQuery {
            channel: Some(Channel::Letter),
            ..OutboxQuery::default()
        },
    )
    .await;
    // Registration's letter and the two of the resets; newest first.
    assert_eq!(letters.len(), 3);
    assert_eq!(letters[0].template, "activation_letter");
    assert_eq!(
        letters[0].to,
        "Erika Mustermann\nHeidestraße 17\n10115 Berlin"
    );
    let (newest, voided) = (&letters[0].params["code"], &letters[1].params["code"]);

    // Days later, in a new flow: the code from the letter.
    let entry = forgot_request(&setup, "erika.m", "letter_code").await;
    assert!(
        entry.text_by_id("forgot-code-sent").is_some(),
        "{}",
        entry.body
    );
    let old = forgot_step(&setup, &entry, "code", &[("code", voided)], None).await;
    let alert = old.alert();
    assert!(alert.is_some(), "{}", old.body);
    // An unknown name answers a code exactly like a void one.
    let nobody = forgot_request(&setup, "niemand.hier", "letter_code").await;
    let nobody = forgot_step(&setup, &nobody, "code", &[("code", newest)], None).await;
    assert_eq!(nobody.alert(), alert);
    assert_eq!(nobody.status, old.status);

    let step = forgot_step(&setup, &old, "code", &[("code", newest)], None).await;
    assert!(step.body.contains("new_password_confirm"), "{}", step.body);
    let new_password = "Ein-neues-Passwort-2027";
    let done = forgot_step(
        &setup,
        &step,
        "password",
        &[
            ("new_password", new_password),
            ("new_password_confirm", new_password),
        ],
        None,
    )
    .await;
    assert!(done.text_by_id("forgot-done").is_some(), "{}", done.body);
    // Single use: the code does not open a second reset.
    let again = forgot_request(&setup, "erika.m", "letter_code").await;
    let again = forgot_step(&setup, &again, "code", &[("code", newest)], None).await;
    assert_eq!(again.alert(), alert);

    // The new password logs in at the RP.
    let login = login_page(&setup).await;
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", "erika.m"));
    assert!(form.fill_by_label("Passwort", new_password));
    let next = setup
        .browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    assert_eq!(next.status, 303, "{}", next.body);
    assert!(next.location().unwrap().starts_with(REDIRECT_URI));

    let trail = setup
        .server
        .app
        .identity
        .audit_events(None, None)
        .await
        .unwrap();
    let details = |kind: pforte_identity::AuditKind| -> Vec<String> {
        trail
            .iter()
            .filter(|event| event.kind == kind)
            .filter_map(|event| event.detail.clone())
            .collect()
    };
    let requested = details(pforte_identity::AuditKind::PasswordResetRequested);
    assert_eq!(
        requested
            .iter()
            .filter(|d| d.starts_with("channel=letter outcome=letter_queued"))
            .count(),
        2,
        "{requested:?}"
    );
    assert!(
        requested
            .iter()
            .any(|d| d == "channel=letter outcome=unknown_account"),
        "{requested:?}"
    );
    let reset = details(pforte_identity::AuditKind::PasswordReset);
    assert!(
        reset.iter().any(|d| d.starts_with("channel=letter_code")),
        "{reset:?}"
    );
    let letters_requested = details(pforte_identity::AuditKind::ActivationLetterRequested);
    assert_eq!(
        letters_requested
            .iter()
            .filter(|d| d.starts_with("password_reset"))
            .count(),
        2,
        "{letters_requested:?}"
    );
}
