//! Tests of [`crate::reauth`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::tests::fixture;
use crate::audit::RequestContext;
use crate::reauth::reauth_max_age;
use crate::service::IdentityError;
use chrono::TimeDelta;
use pforte_types::{Clock, Evidence, FactorClass, Method};

fn context() -> RequestContext {
    RequestContext {
        operator: None,
        client_id: None,
        ip: None,
        user_agent: Some("agent".into()),
        request_id: Some("req".into()),
    }
}

#[tokio::test]
async fn r_mf_2_password_proof_expires_for_sensitive_changes_and_is_renewed() {
    let fx = fixture().await;
    let session = fx.service.start_password_session(fx.alice).await.unwrap();
    assert!(fx.service.recently_authenticated(&session));
    fx.clock.advance(reauth_max_age() + TimeDelta::seconds(1));
    assert!(!fx.service.recently_authenticated(&session));

    let refused = fx
        .service
        .reauthenticate(&session, "wrong password", &context())
        .await;
    assert!(matches!(refused, Err(IdentityError::InvalidCredentials)));

    let renewed = fx
        .service
        .reauthenticate(&session, "correct horse", &context())
        .await
        .unwrap();
    assert_eq!(renewed.sid, session.sid);
    assert_eq!(renewed.auth_time, session.auth_time);
    assert!(fx.service.recently_authenticated(&renewed));
    let stored = fx
        .service
        .live_session(&session.sid)
        .await
        .unwrap()
        .unwrap();
    let passwords = stored
        .evidence
        .iter()
        .filter(|evidence| evidence.method == Method::Password)
        .count();
    assert_eq!(passwords, 1);
    assert!(fx.service.recently_authenticated(&stored));
}

#[tokio::test]
async fn r_mf_2_refreshing_an_ended_session_changes_nothing() {
    let fx = fixture().await;
    let evidence = Evidence {
        method: Method::Password,
        class: FactorClass::Knowledge,
        at: fx.clock.now(),
    };
    let none = fx
        .service
        .refresh_session_evidence("no-such-session", evidence)
        .await
        .unwrap();
    assert!(none.is_none());
}
