//! MemberStore: the member registry is upserted by KVNR digest in one
//! transaction with its audit event (R-ID-4).

use crate::fixtures::{secs, t0};
use chrono::NaiveDate;
use pforte_identity::audit::{AuditEvent, AuditKind, AuditQuery};
use pforte_identity::ports::{LockoutStore, MemberStore, StoredMember, UpsertCounts};
use pforte_store::SqlStore;

fn member(digest: &str, content: &str) -> StoredMember {
    StoredMember {
        kvnr_digest: digest.to_owned(),
        sealed: format!("sealed-{content}").into_bytes(),
        content_digest: content.to_owned(),
        membership_start: NaiveDate::from_ymd_opt(2001, 1, 1).unwrap(),
        membership_end: None,
        main_member_digest: None,
    }
}

fn import_event() -> AuditEvent {
    AuditEvent {
        operator: None,
        at: t0(),
        kind: AuditKind::MembersImported,
        account: None,
        username: None,
        client: None,
        ip: None,
        user_agent: None,
        request_id: Some("req-1".to_owned()),
        detail: None,
    }
}

pub async fn r_id_4_members_are_inserted_updated_or_left_unchanged(store: &SqlStore) {
    let child = StoredMember {
        main_member_digest: Some("d-erika".to_owned()),
        membership_end: NaiveDate::from_ymd_opt(2033, 6, 29),
        ..member("d-lena", "c1")
    };
    let first = store
        .upsert_members(
            &[member("d-erika", "c1"), child.clone()],
            t0(),
            import_event(),
        )
        .await
        .unwrap();
    assert_eq!(
        first,
        UpsertCounts {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(store.member("d-lena").await.unwrap(), Some(child.clone()));
    let second = store
        .upsert_members(
            &[
                member("d-erika", "c2"),
                child.clone(),
                member("d-max", "c1"),
            ],
            t0() + secs(60),
            import_event(),
        )
        .await
        .unwrap();
    assert_eq!(
        second,
        UpsertCounts {
            inserted: 1,
            updated: 1,
            unchanged: 1
        }
    );
    let erika = store.member("d-erika").await.unwrap().unwrap();
    assert_eq!(erika.content_digest, "c2");
    assert_eq!(erika.sealed, b"sealed-c2");
    assert_eq!(store.member("d-nobody").await.unwrap(), None);
    assert_eq!(store.count_members().await.unwrap(), 3);
    let events = store.audit_events(&AuditQuery::default()).await.unwrap();
    let details: Vec<_> = events
        .iter()
        .filter(|event| event.kind == AuditKind::MembersImported)
        .filter_map(|event| event.detail.clone())
        .collect();
    assert_eq!(
        details,
        [
            "inserted=2 updated=0 unchanged=0",
            "inserted=1 updated=1 unchanged=1"
        ]
    );
}

pub async fn r_id_4_a_large_import_spanning_chunks_is_written_completely(store: &SqlStore) {
    let many: Vec<_> = (0..1_203)
        .map(|n| member(&format!("d-{n:05}"), "c1"))
        .collect();
    let counts = store
        .upsert_members(&many, t0(), import_event())
        .await
        .unwrap();
    assert_eq!(counts.inserted, 1_203);
    assert_eq!(store.count_members().await.unwrap(), 1_203);
    let again = store
        .upsert_members(&many, t0(), import_event())
        .await
        .unwrap();
    assert_eq!(again.unchanged, 1_203);
}

pub async fn r_id_4_a_failing_import_writes_nothing(store: &SqlStore) {
    // The same digest twice in one import is refused by the primary key when
    // both are new: the whole import, with its event, must roll back.
    let result = store
        .upsert_members(
            &[
                member("d-a", "c1"),
                member("d-dup", "c1"),
                member("d-dup", "c2"),
            ],
            t0(),
            import_event(),
        )
        .await;
    assert!(result.is_err());
    assert_eq!(store.count_members().await.unwrap(), 0);
    let events = store.audit_events(&AuditQuery::default()).await.unwrap();
    assert!(events.is_empty());
}
