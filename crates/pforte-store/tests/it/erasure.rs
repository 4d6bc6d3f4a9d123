//! AccountErasureStore (R-RC-4): deleting an account removes its credentials,
//! factors, codes, grants and counters in one transaction and keeps its audit
//! trail under a pseudonym; other accounts are untouched.

use crate::factors::event;
use crate::fixtures::{account, client, grant, t0};
use pforte_identity::audit::{AuditEvent, AuditKind, AuditQuery, RequestContext};
use pforte_identity::factor::{EnrolledFactor, FactorId};
use pforte_identity::ports::{
    AccountErasureStore, AccountStore, CounterKey, CredentialStore, FactorStore, LockoutStore,
    ProfileStore, Transition,
};
use pforte_oauth::model::Grant;
use pforte_oauth::ports::{ClientStore, GrantStore};
use pforte_policy::LockState;
use pforte_store::SqlStore;
use pforte_types::{AccountId, Method};

fn factor(account: AccountId) -> EnrolledFactor {
    EnrolledFactor {
        id: FactorId::new(),
        account_id: account,
        method: Method::Totp,
        label: "Handy".to_owned(),
        secret_sealed: Some(vec![1, 2, 3]),
        public_data: None,
        credential_id: None,
        confirmed: true,
        last_totp_step: None,
        created_at: t0(),
        last_used_at: None,
    }
}

/// An event of a failed login under the name, before any account was known.
fn unknown_name_event(name: &str) -> AuditEvent {
    AuditEvent::new(
        AuditKind::LoginFailed,
        t0(),
        None,
        name,
        &RequestContext::default(),
    )
}

pub async fn r_rc_4_erasure_removes_the_account_and_pseudonymises_its_trail(store: &SqlStore) {
    let erika = account("Erika");
    let max = account("max");
    for person in [&erika, &max] {
        store.insert_account(person).await.unwrap();
        store
            .replace_password(person.id, "hash-2", false, 5, t0(), &[])
            .await
            .unwrap();
        // The fixture's events name erika; max's factor comes without one.
        let events = if person.id == erika.id {
            vec![event(AuditKind::FactorEnrolled, person.id, "totp")]
        } else {
            Vec::new()
        };
        store
            .insert_factor(&factor(person.id), &events)
            .await
            .unwrap();
        store
            .replace_recovery_codes(person.id, &["d1".to_owned()], t0(), &[])
            .await
            .unwrap();
        store
            .accept_terms(person.id, "2026-01", t0(), &[])
            .await
            .unwrap();
        let key = CounterKey::for_account(person.id, &person.username);
        let step = |_: LockState| Transition {
            state: LockState::Open {
                failures: 1,
                consecutive: 1,
            },
            failed_at: Some(t0()),
            events: Vec::new(),
        };
        store.update_lock_state(&key, &step).await.unwrap();
    }
    store
        .append_audit(&[unknown_name_event("erika")])
        .await
        .unwrap();
    store.insert_client(&client("portal")).await.unwrap();
    let erika_grant = Grant {
        account_id: erika.id,
        ..grant("g-erika", "portal")
    };
    let max_grant = Grant {
        account_id: max.id,
        ..grant("g-max", "portal")
    };
    store.insert_grant(&erika_grant).await.unwrap();
    store.insert_grant(&max_grant).await.unwrap();

    let deleted = AuditEvent::new(
        AuditKind::AccountDeleted,
        t0(),
        Some(erika.id),
        "pseud-0123",
        &RequestContext::default(),
    );
    assert!(
        store
            .erase_account(erika.id, &erika.username, "pseud-0123", &[deleted])
            .await
            .unwrap()
    );

    assert!(store.get_account(erika.id).await.unwrap().is_none());
    assert!(store.find_by_username("erika").await.unwrap().is_none());
    assert!(store.factors(erika.id).await.unwrap().is_empty());
    assert_eq!(store.recovery_codes_left(erika.id).await.unwrap(), 0);
    assert_eq!(store.accepted_terms(erika.id).await.unwrap(), None);
    let key = CounterKey::for_account(erika.id, &erika.username);
    assert!(store.lock_record(&key.key).await.unwrap().is_none());
    assert!(store.get_grant("g-erika").await.unwrap().is_none());

    // The trail stays, without the name: by account and by the bare name.
    let kept = store
        .audit_events(&AuditQuery {
            account: Some(erika.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(
        kept.iter()
            .any(|event| event.kind == AuditKind::FactorEnrolled)
    );
    assert!(
        kept.iter()
            .any(|event| event.kind == AuditKind::AccountDeleted)
    );
    assert!(
        kept.iter()
            .all(|event| event.username.as_deref() == Some("pseud-0123"))
    );
    let by_name = store
        .audit_events(&AuditQuery {
            username: Some("erika".to_owned()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(by_name.is_empty(), "{by_name:?}");

    // Max keeps everything.
    assert!(store.get_account(max.id).await.unwrap().is_some());
    assert_eq!(store.factors(max.id).await.unwrap().len(), 1);
    assert_eq!(store.recovery_codes_left(max.id).await.unwrap(), 1);
    assert!(store.get_grant("g-max").await.unwrap().is_some());
    assert_eq!(store.password_state(max.id).await.unwrap().history.len(), 1);

    // Erasing again finds nothing.
    assert!(
        !store
            .erase_account(erika.id, &erika.username, "pseud-0123", &[])
            .await
            .unwrap()
    );
}
