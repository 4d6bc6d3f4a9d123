//! The user endpoints of the admin API over the same use cases as the
//! console (R-OP-1, R-LO-2, R-LO-6).

use crate::PASSWORD;
use crate::support::Harness;
use crate::users::lock;
use axum::http::{Method, StatusCode};
use pforte_identity::RequestContext;

#[tokio::test]
async fn r_op_1_a_support_client_unlocks_a_user_through_the_api_who_can_log_in_again() {
    let harness = Harness::start().await;
    harness.server.add_account("erika", PASSWORD).await.unwrap();
    lock(&harness.server, "erika").await;
    let secret = harness.api_client("desk", &["pforte:admin:support"]).await;
    let token = harness.token("desk", &secret).await;

    let (status, _, found) = harness
        .call(
            Method::GET,
            "/admin/api/v1/users?q=erika",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found[0]["username"], "erika");
    let (status, _, detail) = harness
        .call(Method::GET, "/admin/api/v1/users/erika", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["state"], "locked");

    let (status, _, body) = harness
        .call(
            Method::POST,
            "/admin/api/v1/users/erika/unlock",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "changed");
    harness
        .server
        .app
        .identity
        .login("erika", PASSWORD, &RequestContext::default())
        .await
        .expect("the unlocked user logs in");

    let (status, _, timeline) = harness
        .call(
            Method::GET,
            "/admin/api/v1/users/erika/audit",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let unlocked = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["kind"] == "account_unlocked")
        .expect("the unlock is in the timeline");
    assert_eq!(unlocked["operator"], "client:desk");

    let (status, _, missing) = harness
        .call(
            Method::GET,
            "/admin/api/v1/users/nobody",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    let (status, _, letters) = harness
        .call(Method::GET, "/admin/api/v1/letters", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(letters.is_array());
}

#[tokio::test]
async fn r_op_1_an_auditor_client_cannot_unlock_or_reactivate() {
    let harness = Harness::start().await;
    harness.server.add_account("erika", PASSWORD).await.unwrap();
    lock(&harness.server, "erika").await;
    let secret = harness.api_client("audit", &["pforte:admin:auditor"]).await;
    let token = harness.token("audit", &secret).await;
    for action in ["unlock", "reactivate"] {
        let (status, _, body) = harness
            .call(
                Method::POST,
                &format!("/admin/api/v1/users/erika/{action}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}");
        assert_eq!(body["error"], "insufficient_scope", "{action}");
    }
    let status = harness
        .server
        .app
        .identity
        .account_status("erika")
        .await
        .unwrap();
    assert_eq!(status.state.as_str(), "locked", "nothing changed");
    let (status, _, _) = harness
        .call(
            Method::GET,
            "/admin/api/v1/users/erika/audit",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the auditor reads the trail");
}

#[tokio::test]
async fn r_rc_1_a_support_client_sends_a_password_reset_and_an_auditor_cannot() {
    let harness = Harness::start().await;
    harness.server.add_account("erika", PASSWORD).await.unwrap();
    let auditor = harness.api_client("audit", &["pforte:admin:auditor"]).await;
    let auditor = harness.token("audit", &auditor).await;
    let (status, _, body) = harness
        .call(
            Method::POST,
            "/admin/api/v1/users/erika/password-reset",
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let secret = harness.api_client("desk", &["pforte:admin:support"]).await;
    let token = harness.token("desk", &secret).await;
    let (status, _, body) = harness
        .call(
            Method::POST,
            "/admin/api/v1/users/erika/password-reset?lang=en",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "sent");
    assert_eq!(body["channel"], "email");

    let (status, _, body) = harness
        .call(
            Method::POST,
            "/admin/api/v1/users/erika/activation-letter",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "not_awaiting_activation");
}
