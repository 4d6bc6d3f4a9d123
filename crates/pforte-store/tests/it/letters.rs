//! LetterStore: the print queue keeps letters pending, oldest first, until
//! one transaction marks a batch exported with its audit event; a new letter
//! supersedes a pending one of the same account and template (R-RG-4,
//! R-PW-3).

use crate::fixtures::{secs, t0};
use pforte_identity::audit::{AuditEvent, AuditKind, AuditQuery};
use pforte_identity::ports::{LetterStore, LockoutStore, StoredLetter};
use pforte_store::SqlStore;
use pforte_types::{AccountId, StoreError};
use uuid::Uuid;

fn letter(account: Option<AccountId>, template: &str, at: i64, sealed: &[u8]) -> StoredLetter {
    StoredLetter {
        id: Uuid::now_v7(),
        account_id: account,
        template: template.to_owned(),
        language: "de".to_owned(),
        sealed: sealed.to_vec(),
        created_at: t0() + secs(at),
        exported_at: None,
        batch_id: None,
    }
}

fn export_event(batch: Uuid) -> AuditEvent {
    AuditEvent {
        operator: None,
        at: t0() + secs(100),
        kind: AuditKind::LettersExported,
        account: None,
        username: None,
        client: None,
        ip: None,
        user_agent: None,
        request_id: Some("letters-export".to_owned()),
        detail: Some(format!("batch={batch} letters=2")),
    }
}

/// Suite function.
pub async fn r_rg_4_letters_stay_pending_oldest_first_until_exported(store: &SqlStore) {
    let erika = AccountId(Uuid::now_v7());
    let late = letter(Some(erika), "activation_letter", 5, b"sealed-late");
    let early = letter(None, "initial_password_letter", 1, b"sealed-early");
    store.queue_letter(&late, true).await.unwrap();
    store.queue_letter(&early, true).await.unwrap();
    assert_eq!(
        store.pending_letters().await.unwrap(),
        vec![early.clone(), late.clone()]
    );
    assert_eq!(
        store.letters_of_account(erika).await.unwrap(),
        vec![late.clone()]
    );

    let batch = Uuid::now_v7();
    store
        .mark_letters_exported(
            &[early.id, late.id],
            batch,
            t0() + secs(100),
            export_event(batch),
        )
        .await
        .unwrap();
    assert!(store.pending_letters().await.unwrap().is_empty());
    let exported = store.letters_of_account(erika).await.unwrap();
    assert_eq!(exported[0].exported_at, Some(t0() + secs(100)));
    assert_eq!(exported[0].batch_id, Some(batch));
    assert_eq!(exported[0].sealed, b"sealed-late");
    let events = store.audit_events(&AuditQuery::default()).await.unwrap();
    let exports: Vec<_> = events
        .iter()
        .filter(|event| event.kind == AuditKind::LettersExported)
        .collect();
    assert_eq!(exports.len(), 1);
    assert_eq!(
        exports[0].detail.as_deref(),
        Some(format!("batch={batch} letters=2").as_str())
    );
}

/// Suite function.
pub async fn r_rg_4_a_letter_is_claimed_by_one_batch_only(store: &SqlStore) {
    let first = letter(None, "activation_letter", 1, b"a");
    let second = letter(None, "activation_letter", 2, b"b");
    store.queue_letter(&first, true).await.unwrap();
    store.queue_letter(&second, true).await.unwrap();
    let batch = Uuid::now_v7();
    store
        .mark_letters_exported(&[first.id], batch, t0() + secs(10), export_event(batch))
        .await
        .unwrap();
    // A second export that read both letters before the first one finished.
    let late_batch = Uuid::now_v7();
    let result = store
        .mark_letters_exported(
            &[first.id, second.id],
            late_batch,
            t0() + secs(20),
            export_event(late_batch),
        )
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    // Nothing of the refused batch stuck: the second letter is still pending
    // and only one export was audited.
    assert_eq!(store.pending_letters().await.unwrap(), vec![second]);
    let events = store.audit_events(&AuditQuery::default()).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|event| event.kind == AuditKind::LettersExported)
            .count(),
        1
    );
}

/// Suite function.
pub async fn r_rg_4_a_new_letter_supersedes_the_pending_one_of_the_account(store: &SqlStore) {
    let erika = AccountId(Uuid::now_v7());
    let max = AccountId(Uuid::now_v7());
    let printed = letter(Some(erika), "activation_letter", 1, b"printed");
    store.queue_letter(&printed, true).await.unwrap();
    let batch = Uuid::now_v7();
    store
        .mark_letters_exported(&[printed.id], batch, t0() + secs(2), export_event(batch))
        .await
        .unwrap();
    let old = letter(Some(erika), "activation_letter", 3, b"old");
    let password = letter(Some(erika), "initial_password_letter", 4, b"password");
    let other = letter(Some(max), "activation_letter", 5, b"max");
    for queued in [&old, &password, &other] {
        store.queue_letter(queued, true).await.unwrap();
    }
    let new = letter(Some(erika), "activation_letter", 6, b"new");
    store.queue_letter(&new, true).await.unwrap();
    assert_eq!(
        store.pending_letters().await.unwrap(),
        vec![password.clone(), other.clone(), new.clone()]
    );
    // The exported letter is history and stays.
    let of_erika: Vec<Uuid> = store
        .letters_of_account(erika)
        .await
        .unwrap()
        .iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(of_erika, vec![new.id, password.id, printed.id]);
    // Without `supersede` both stay.
    let again = letter(Some(max), "activation_letter", 7, b"again");
    store.queue_letter(&again, false).await.unwrap();
    assert_eq!(store.pending_letters().await.unwrap().len(), 4);
}
