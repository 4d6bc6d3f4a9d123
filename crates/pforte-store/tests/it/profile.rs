//! ProfileStore: the accepted terms version (R-RG-7) and verified contact
//! data (R-RG-2) are stored with their audit events.

use crate::factors::{event, trail};
use crate::fixtures::{account, secs, t0};
use pforte_identity::audit::AuditKind;
use pforte_identity::ports::{AccountStore, ProfileStore};
use pforte_store::SqlStore;
use pforte_types::{AccountId, StoreError};

pub async fn r_rg_7_the_latest_accepted_terms_version_is_returned_with_its_events(
    store: &SqlStore,
) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    assert_eq!(store.accepted_terms(erika.id).await.unwrap(), None);
    for (n, version) in ["2026-01", "2026-07"].into_iter().enumerate() {
        store
            .accept_terms(
                erika.id,
                version,
                t0() + secs(i64::try_from(n).unwrap()),
                &[event(AuditKind::TermsAccepted, erika.id, version)],
            )
            .await
            .unwrap();
    }
    assert_eq!(
        store.accepted_terms(erika.id).await.unwrap().as_deref(),
        Some("2026-07")
    );
    assert_eq!(
        trail(store, erika.id).await,
        vec![
            (AuditKind::TermsAccepted, "2026-01".to_owned()),
            (AuditKind::TermsAccepted, "2026-07".to_owned()),
        ]
    );
    let max = account("max");
    store.insert_account(&max).await.unwrap();
    assert_eq!(store.accepted_terms(max.id).await.unwrap(), None);
}

pub async fn r_rg_2_verified_contacts_are_set_on_the_account_with_their_events(store: &SqlStore) {
    let erika = account("erika");
    let erika = pforte_identity::account::Account {
        email_verified: false,
        ..erika
    };
    store.insert_account(&erika).await.unwrap();
    let at = t0() + secs(120);
    store
        .set_verified_email(
            erika.id,
            "erika.neu@example.org",
            at,
            &[event(AuditKind::ContactVerified, erika.id, "email")],
        )
        .await
        .unwrap();
    store
        .set_verified_phone(
            erika.id,
            "+4915112345678",
            at + secs(1),
            &[event(AuditKind::ContactVerified, erika.id, "phone")],
        )
        .await
        .unwrap();
    let stored = store.get_account(erika.id).await.unwrap().unwrap();
    assert_eq!(stored.email.as_deref(), Some("erika.neu@example.org"));
    assert!(stored.email_verified);
    assert_eq!(stored.phone.as_deref(), Some("+4915112345678"));
    assert!(stored.phone_verified);
    assert_eq!(stored.updated_at, at + secs(1));
    assert_eq!(
        trail(store, erika.id).await,
        vec![
            (AuditKind::ContactVerified, "email".to_owned()),
            (AuditKind::ContactVerified, "phone".to_owned()),
        ]
    );
}

pub async fn profile_changes_of_an_unknown_account_are_refused_without_events(store: &SqlStore) {
    let ghost = AccountId::new();
    let events = [event(AuditKind::ContactVerified, ghost, "x")];
    let results = [
        store.accept_terms(ghost, "2026-07", t0(), &events).await,
        store
            .set_verified_email(ghost, "a@example.org", t0(), &events)
            .await,
        store
            .set_verified_phone(ghost, "+4915112345678", t0(), &events)
            .await,
    ];
    for result in results {
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
    assert_eq!(store.accepted_terms(ghost).await.unwrap(), None);
    assert_eq!(trail(store, ghost).await, vec![]);
}

pub async fn r_mf_4_the_sealed_card_serial_is_stored_and_replaced(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    assert_eq!(store.card_serial_sealed(erika.id).await.unwrap(), None);
    store
        .set_card_serial_sealed(erika.id, &[1, 2, 3], t0())
        .await
        .unwrap();
    store
        .set_card_serial_sealed(erika.id, &[4, 5], t0() + secs(1))
        .await
        .unwrap();
    assert_eq!(
        store.card_serial_sealed(erika.id).await.unwrap(),
        Some(vec![4, 5])
    );
    assert!(
        store
            .set_card_serial_sealed(AccountId::new(), &[1], t0())
            .await
            .is_err(),
        "member data needs an account"
    );
}
