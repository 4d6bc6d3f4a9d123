//! The operator's password reset (R-RC-1) and new activation letter
//! (R-RG-4): the user's own lifecycle, started by the operator, who is named
//! in the events; refused readably where it does not apply.

use crate::{PASSWORD, admin_state, operator};
use pforte_admin::AdminError;
use pforte_admin::usecases::users::{self, LetterOutcome, ResetOutcome};
use pforte_identity::RequestContext;
use pforte_identity::audit::AuditKind;
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_identity::member::ImportOptions;
use pforte_identity::operator_roles::{Permission, Role};
use pforte_identity::ports::{OutboxQuery, OutboxStore};
use pforte_identity::registration::Proofing;
use pforte_identity::registration::service::{Confirmed, RegistrationForm};
use pforte_testkit::TestServer;

async fn outbox(server: &TestServer, channel: Channel) -> Vec<OutboundMessage> {
    server
        .app
        .store
        .outbox(&OutboxQuery {
            channel: Some(channel),
            ..OutboxQuery::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn r_rc_1_operator_triggers_the_users_own_password_reset() {
    let server = TestServer::start().await.unwrap();
    server.add_account("erika", PASSWORD).await.unwrap();
    let state = admin_state(&server);
    let context = RequestContext::default;

    let auditor = operator("auditor.olga", &[Role::Auditor]);
    let refused = users::trigger_password_reset(&state, &auditor, "erika", "de", context()).await;
    assert!(
        matches!(
            refused,
            Err(AdminError::Forbidden(Permission::TriggerPasswordReset))
        ),
        "{refused:?}"
    );
    assert!(outbox(&server, Channel::Email).await.is_empty());

    let support = operator("desk.anna", &[Role::Support]);
    let sent = users::trigger_password_reset(&state, &support, "erika", "de", context())
        .await
        .unwrap();
    assert_eq!(sent, ResetOutcome::Sent { channel: "email" });
    let mails = outbox(&server, Channel::Email).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "erika@example.test");
    assert_eq!(mails[0].template, "reset_code");
    assert_eq!(mails[0].language, "de");

    let trail = server
        .app
        .identity
        .audit_events(Some("erika"), None)
        .await
        .unwrap();
    let requested = trail
        .iter()
        .find(|event| event.kind == AuditKind::PasswordResetRequested)
        .unwrap();
    assert_eq!(requested.operator.as_deref(), Some("desk.anna"));
    assert!(
        requested
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("outcome=code_sent"),
        "{:?}",
        requested.detail
    );

    let missing = users::trigger_password_reset(&state, &support, "nobody", "de", context()).await;
    assert!(
        matches!(missing, Err(AdminError::NotFound(_))),
        "{missing:?}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn r_rc_1_no_reset_without_a_verified_address() {
    let server = TestServer::start().await.unwrap();
    let now = server.clock_now();
    let unverified = pforte_identity::account::Account {
        id: pforte_types::AccountId::new(),
        username: "max".to_owned(),
        password_hash: server.app.hasher.hash(PASSWORD).await.unwrap(),
        email: Some("max@example.test".to_owned()),
        email_verified: false,
        given_name: None,
        family_name: None,
        phone: Some("+491701234567".to_owned()),
        phone_verified: false,
        totp_secret_encrypted: None,
        created_at: now,
        updated_at: now,
    };
    pforte_identity::ports::AccountStore::insert_account(&server.app.store, &unverified)
        .await
        .unwrap();
    let state = admin_state(&server);
    let support = operator("desk.anna", &[Role::Support]);
    let outcome =
        users::trigger_password_reset(&state, &support, "max", "en", RequestContext::default())
            .await
            .unwrap();
    assert_eq!(outcome, ResetOutcome::NoVerifiedAddress);
    assert!(outbox(&server, Channel::Email).await.is_empty());
    server.stop().await.unwrap();
}

/// Registers Erika through the registration until she waits for her letter;
/// returns the code of that first letter.
async fn awaiting_letter(server: &TestServer) -> String {
    let csv = "kvnr;given_name;family_name;birth_date;postal_code;street;city;membership_start;membership_end\n\
               A123456780;Erika;Mustermann;1964-08-12;10115;Heidestraße 17;Berlin;2001-01-01;\n";
    server
        .app
        .member_registry()
        .import(csv, ImportOptions::default(), &RequestContext::default())
        .await
        .unwrap();
    let state = server.app.web_state().unwrap();
    let registrar = state.registrar.clone().unwrap();
    let form = RegistrationForm {
        kvnr: "A123456780".to_owned(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1964, 8, 12).unwrap(),
        postal_code: "10115".to_owned(),
        username: Some("erika.m".to_owned()),
        password: PASSWORD.to_owned(),
        email: "erika@example.org".to_owned(),
        accepted_terms: registrar.terms_version(),
    };
    let registered = registrar
        .register(&form, Proofing::Letter, "de", &RequestContext::default())
        .await
        .unwrap();
    let mails = outbox(server, Channel::Email).await;
    let code = mails[0].params["code"].clone();
    let confirmed = registrar
        .confirm_email(
            registered.account_id,
            &code,
            "de",
            &RequestContext::default(),
        )
        .await
        .unwrap();
    assert!(matches!(confirmed, Confirmed::LetterSent { .. }));
    let letters = outbox(server, Channel::Letter).await;
    assert_eq!(letters.len(), 1);
    letters[0].params["code"].clone()
}

#[tokio::test]
async fn r_rg_4_operator_resends_the_activation_letter_and_the_old_code_is_void() {
    let server = TestServer::start().await.unwrap();
    let first_code = awaiting_letter(&server).await;
    let state = admin_state(&server);
    let context = RequestContext::default;

    let auditor = operator("auditor.olga", &[Role::Auditor]);
    let refused =
        users::resend_activation_letter(&state, &auditor, "erika.m", "de", context()).await;
    assert!(
        matches!(
            refused,
            Err(AdminError::Forbidden(Permission::ResendActivationLetter))
        ),
        "{refused:?}"
    );
    assert_eq!(outbox(&server, Channel::Letter).await.len(), 1);

    let support = operator("desk.anna", &[Role::Support]);
    // The KVNR finds the account through its member link (its login name
    // is erika.m); the detail shows the stage.
    let found = users::search_users(&state, &support, "A123456780")
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].username, "erika.m");
    let detail = users::user_detail(&state, &support, "erika.m")
        .await
        .unwrap();
    let member = detail.member.clone().unwrap();
    assert_eq!(member.stage, "awaiting_activation");
    assert_eq!(member.proofing, "letter");
    assert_eq!(
        detail.letters.len(),
        1,
        "the first letter waits for printing"
    );
    assert_eq!(detail.letters[0].template, "activation_letter");
    assert_eq!(detail.letters[0].recipient, "Erika Mustermann");

    let outcome = users::resend_activation_letter(&state, &support, "erika.m", "de", context())
        .await
        .unwrap();
    assert!(
        matches!(outcome, LetterOutcome::Queued { .. }),
        "{outcome:?}"
    );
    let letters = outbox(&server, Channel::Letter).await;
    assert_eq!(letters.len(), 2, "a second letter is queued");
    assert_eq!(letters[0].template, "activation_letter");
    assert_eq!(
        letters[0].to,
        "Erika Mustermann\nHeidestraße 17\n10115 Berlin"
    );
    let new_code = letters[0].params["code"].clone();
    assert_ne!(new_code, first_code);
    let pending = users::user_detail(&state, &support, "erika.m")
        .await
        .unwrap()
        .letters;
    assert_eq!(pending.len(), 1, "the new letter supersedes the void one");
    assert_ne!(pending[0].id, detail.letters[0].id);

    let registrar = state.web.registrar.clone().unwrap();
    let account = server
        .app
        .identity
        .account_status("erika.m")
        .await
        .unwrap()
        .account
        .id;
    let old = registrar
        .activate(account, &first_code, &RequestContext::default())
        .await;
    assert!(old.is_err(), "the first letter's code is void: {old:?}");
    registrar
        .activate(account, &new_code, &RequestContext::default())
        .await
        .unwrap();

    let trail = server
        .app
        .identity
        .audit_events(Some("erika.m"), None)
        .await
        .unwrap();
    let renewed = trail
        .iter()
        .filter(|event| event.kind == AuditKind::ActivationLetterRequested)
        .find(|event| event.operator.is_some())
        .unwrap();
    assert_eq!(renewed.operator.as_deref(), Some("desk.anna"));

    // Active now: no letter to send any more, said readably.
    let after = users::resend_activation_letter(&state, &support, "erika.m", "de", context())
        .await
        .unwrap();
    assert_eq!(after, LetterOutcome::NotAwaitingActivation);
    let active = users::user_detail(&state, &support, "erika.m")
        .await
        .unwrap();
    assert_eq!(active.member.unwrap().stage, "active");
    server.add_account("max", PASSWORD).await.unwrap();
    let unlinked = users::user_detail(&state, &support, "max").await.unwrap();
    assert!(unlinked.member.is_none());
    assert!(unlinked.letters.is_empty());
    assert_eq!(
        users::resend_activation_letter(&state, &support, "max", "de", context())
            .await
            .unwrap(),
        LetterOutcome::NotAwaitingActivation
    );
    assert_eq!(outbox(&server, Channel::Letter).await.len(), 2);
    server.stop().await.unwrap();
}
