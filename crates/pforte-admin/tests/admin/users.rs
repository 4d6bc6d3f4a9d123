//! The user use cases check their permission inside (R-OP-1) and name the
//! operator in the audit events they cause (R-LO-6, R-OP-3).

use crate::{PASSWORD, admin_state, operator};
use pforte_admin::AdminError;
use pforte_admin::usecases::users::{self, ChangeOutcome};
use pforte_identity::RequestContext;
use pforte_identity::audit::AuditKind;
use pforte_identity::operator_roles::{Permission, Role};
use pforte_testkit::TestServer;

pub async fn lock(server: &TestServer, username: &str) {
    let context = RequestContext::default();
    for _ in 0..20 {
        let _ = server
            .app
            .identity
            .login(username, "Wrong-Password-1", &context)
            .await;
        let status = server.app.identity.account_status(username).await.unwrap();
        if status.state.as_str() == "locked" {
            return;
        }
    }
    panic!("{username} was not locked");
}

#[tokio::test]
async fn r_op_1_support_finds_and_unlocks_and_the_event_names_the_operator() {
    let server = TestServer::start().await.unwrap();
    server.add_account("erika", PASSWORD).await.unwrap();
    server.add_account("max", PASSWORD).await.unwrap();
    let state = admin_state(&server);
    let support = operator("desk.anna", &[Role::Support]);

    let found = users::search_users(&state, &support, "MAX").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].username, "max");
    let by_mail = users::search_users(&state, &support, "erika@example")
        .await
        .unwrap();
    assert_eq!(by_mail.len(), 1);
    assert_eq!(by_mail[0].username, "erika");
    let by_name = users::search_users(&state, &support, "mustermann")
        .await
        .unwrap();
    assert_eq!(by_name.len(), 2, "given and family name are searched");
    assert!(
        users::search_users(&state, &support, "  ")
            .await
            .unwrap()
            .is_empty()
    );
    let literal = users::search_users(&state, &support, "%").await.unwrap();
    assert!(literal.is_empty(), "% is taken literally");

    lock(&server, "erika").await;
    let detail = users::user_detail(&state, &support, "erika").await.unwrap();
    assert_eq!(detail.state, "locked");
    let outcome = users::unlock_user(&state, &support, "erika", RequestContext::default())
        .await
        .unwrap();
    assert_eq!(outcome, ChangeOutcome::Changed);
    assert_eq!(
        users::user_detail(&state, &support, "erika")
            .await
            .unwrap()
            .state,
        "active"
    );
    let again = users::unlock_user(&state, &support, "erika", RequestContext::default())
        .await
        .unwrap();
    assert_eq!(again, ChangeOutcome::Unchanged);

    let timeline = users::user_timeline(&state, &support, "erika")
        .await
        .unwrap();
    assert_eq!(timeline[0].kind, "account_unlocked", "newest first");
    assert_eq!(timeline[0].operator.as_deref(), Some("desk.anna"));
    assert!(
        timeline
            .iter()
            .skip(1)
            .all(|entry| entry.operator.is_none()),
        "the user's own attempts name no operator"
    );
    let trail = server
        .app
        .identity
        .audit_events(Some("erika"), None)
        .await
        .unwrap();
    let unlocked = trail
        .iter()
        .find(|event| event.kind == AuditKind::AccountUnlocked)
        .unwrap();
    assert!(
        unlocked.line().ends_with("operator=desk.anna"),
        "{}",
        unlocked.line()
    );

    let missing = users::user_detail(&state, &support, "nobody").await;
    assert!(
        matches!(missing, Err(AdminError::NotFound(_))),
        "{missing:?}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn r_op_1_each_user_use_case_checks_its_role() {
    let server = TestServer::start().await.unwrap();
    server.add_account("erika", PASSWORD).await.unwrap();
    let state = admin_state(&server);
    let context = RequestContext::default;
    let forbidden = |result: Result<(), AdminError>, role: &str, case: &str| match result {
        Err(AdminError::Forbidden(_)) => {}
        other => panic!("{role} {case}: {other:?}"),
    };
    let allowed = |result: Result<(), AdminError>, role: &str, case: &str| {
        if let Err(error) = result {
            panic!("{role} {case}: {error:?}");
        }
    };
    let cases: [(&str, &[Role], [bool; 5]); 4] = [
        // search, detail, timeline, unlock, reactivate
        ("support", &[Role::Support], [true, true, true, true, true]),
        (
            "security_admin",
            &[Role::SecurityAdmin],
            [true, true, true, true, true],
        ),
        (
            "auditor",
            &[Role::Auditor],
            [true, true, true, false, false],
        ),
        ("none", &[], [false, false, false, false, false]),
    ];
    for (name, roles, expected) in cases {
        let who = operator(name, roles);
        let results = [
            users::search_users(&state, &who, "erika").await.map(|_| ()),
            users::user_detail(&state, &who, "erika").await.map(|_| ()),
            users::user_timeline(&state, &who, "erika")
                .await
                .map(|_| ()),
            users::unlock_user(&state, &who, "erika", context())
                .await
                .map(|_| ()),
            users::reactivate_user(&state, &who, "erika", context())
                .await
                .map(|_| ()),
        ];
        for ((result, expected), case) in results.into_iter().zip(expected).zip([
            "search",
            "detail",
            "timeline",
            "unlock",
            "reactivate",
        ]) {
            if expected {
                allowed(result, name, case);
            } else {
                forbidden(result, name, case);
            }
        }
    }
    // The auditor's refusal names the permission; no event was written.
    let auditor = operator("auditor", &[Role::Auditor]);
    let refused = users::unlock_user(&state, &auditor, "erika", context()).await;
    assert!(matches!(
        refused,
        Err(AdminError::Forbidden(Permission::UnlockUser))
    ));
    let trail = server
        .app
        .identity
        .audit_events(Some("erika"), None)
        .await
        .unwrap();
    assert!(trail.iter().all(|event| event.operator.is_none()));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn r_op_1_letters_and_outbox_check_their_role_and_the_outbox_setting() {
    use pforte_admin::usecases::{letters, outbox};
    let hidden = TestServer::start().await.unwrap();
    let state = admin_state(&hidden);
    let auditor = operator("auditor", &[Role::Auditor]);
    let nobody = operator("nobody", &[]);
    assert!(
        letters::pending_letters(&state, &auditor)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        letters::pending_letters(&state, &nobody).await,
        Err(AdminError::Forbidden(Permission::ViewLetters))
    ));
    assert!(matches!(
        outbox::outbox_messages(&state, &auditor).await,
        Err(AdminError::NotFound(_))
    ));
    hidden.stop().await.unwrap();

    let shown = TestServer::start_with(|settings| settings.admin.show_outbox = true)
        .await
        .unwrap();
    let state = admin_state(&shown);
    assert!(
        outbox::outbox_messages(&state, &auditor)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        outbox::outbox_messages(&state, &nobody).await,
        Err(AdminError::Forbidden(Permission::ViewOutbox))
    ));
    shown.stop().await.unwrap();
}
