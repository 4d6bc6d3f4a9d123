//! The operator in the audit trail (R-OP-1, R-OP-3): the column round-trips,
//! and the console's timeline reads newest first and bounded.

use crate::fixtures::{account, secs, t0};
use pforte_identity::audit::{AuditEvent, AuditKind, AuditQuery, RequestContext};
use pforte_identity::operator_roles::{OperatorRoleStore, Role, RoleGrant};
use pforte_identity::ports::{AccountStore, LockoutStore};
use pforte_store::SqlStore;
use std::collections::BTreeSet;

pub async fn r_op_1_audit_events_keep_the_operator_who_acted(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let by_operator = RequestContext {
        operator: Some("desk.anna".into()),
        ..RequestContext::default()
    };
    let own = RequestContext::default();
    store
        .append_audit(&[
            AuditEvent::new(AuditKind::LoginFailed, t0(), Some(erika.id), "erika", &own),
            AuditEvent::new(
                AuditKind::AccountUnlocked,
                t0() + secs(1),
                Some(erika.id),
                "erika",
                &by_operator,
            ),
        ])
        .await
        .unwrap();
    let events = store
        .audit_events(&AuditQuery {
            account: Some(erika.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].operator, None);
    assert_eq!(events[1].operator.as_deref(), Some("desk.anna"));
    assert!(events[1].line().ends_with(" operator=desk.anna"));
}

pub async fn r_op_1_the_timeline_reads_newest_first_and_bounded(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let context = RequestContext::default();
    let events: Vec<_> = (0..5)
        .map(|n| {
            AuditEvent::new(
                AuditKind::LoginSucceeded,
                t0() + secs(n),
                Some(erika.id),
                "erika",
                &context,
            )
            .with_detail(format!("n={n}"))
        })
        .collect();
    store.append_audit(&events).await.unwrap();
    let newest = store
        .audit_events(&AuditQuery {
            account: Some(erika.id),
            newest_first: true,
            limit: Some(3),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let details: Vec<_> = newest.iter().filter_map(|e| e.detail.as_deref()).collect();
    assert_eq!(details, ["n=4", "n=3", "n=2"]);
}

fn grant(account: pforte_types::AccountId, role: Role, at: i64) -> RoleGrant {
    RoleGrant {
        account,
        role,
        granted_at: t0() + secs(at),
        granted_by: "cli".into(),
    }
}

pub async fn r_op_1_roles_are_granted_once_listed_and_revoked(store: &SqlStore) {
    let anna = account("anna");
    let bert = account("bert");
    store.insert_account(&anna).await.unwrap();
    store.insert_account(&bert).await.unwrap();
    store
        .grant_role(&grant(anna.id, Role::Support, 0))
        .await
        .unwrap();
    // Granting a held role again changes nothing, not even the time.
    store
        .grant_role(&grant(anna.id, Role::Support, 5))
        .await
        .unwrap();
    store
        .grant_role(&grant(anna.id, Role::Auditor, 1))
        .await
        .unwrap();
    store
        .grant_role(&grant(bert.id, Role::SecurityAdmin, 2))
        .await
        .unwrap();
    assert_eq!(
        store.roles_of(anna.id).await.unwrap(),
        BTreeSet::from([Role::Support, Role::Auditor])
    );
    let grants = store.role_grants().await.unwrap();
    assert_eq!(
        grants,
        vec![
            grant(anna.id, Role::Support, 0),
            grant(anna.id, Role::Auditor, 1),
            grant(bert.id, Role::SecurityAdmin, 2),
        ]
    );
    assert!(store.revoke_role(anna.id, Role::Support).await.unwrap());
    assert!(!store.revoke_role(anna.id, Role::Support).await.unwrap());
    assert_eq!(
        store.roles_of(anna.id).await.unwrap(),
        BTreeSet::from([Role::Auditor])
    );
    assert!(
        store
            .roles_of(account("nobody").id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn r_op_1_a_role_of_an_unknown_account_is_refused(store: &SqlStore) {
    let ghost = account("ghost");
    let refused = store.grant_role(&grant(ghost.id, Role::Support, 0)).await;
    assert!(
        matches!(refused, Err(pforte_types::StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert!(store.role_grants().await.unwrap().is_empty());
}
