#![allow(clippy::unwrap_used)]

use super::*;
use crate::audit::AuditEvent;
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use pforte_types::ManualClock;
use std::sync::Mutex;

/// The store's contract in a map: upsert by digest, unchanged by content digest.
#[derive(Default)]
struct FakeMembers {
    rows: Mutex<HashMap<String, StoredMember>>,
    events: Mutex<Vec<AuditEvent>>,
}

#[async_trait]
impl MemberStore for FakeMembers {
    async fn upsert_members(
        &self,
        members: &[StoredMember],
        _at: DateTime<Utc>,
        event: AuditEvent,
    ) -> Result<UpsertCounts, StoreError> {
        let mut rows = self.rows.lock().unwrap();
        let mut counts = UpsertCounts::default();
        for member in members {
            match rows.get(&member.kvnr_digest) {
                Some(old) if old.content_digest == member.content_digest => counts.unchanged += 1,
                Some(_) => counts.updated += 1,
                None => counts.inserted += 1,
            }
            if rows
                .get(&member.kvnr_digest)
                .is_none_or(|old| old.content_digest != member.content_digest)
            {
                rows.insert(member.kvnr_digest.clone(), member.clone());
            }
        }
        self.events.lock().unwrap().push(event);
        Ok(counts)
    }

    async fn member(&self, kvnr_digest: &str) -> Result<Option<StoredMember>, StoreError> {
        Ok(self.rows.lock().unwrap().get(kvnr_digest).cloned())
    }

    async fn count_members(&self) -> Result<u64, StoreError> {
        Ok(self.rows.lock().unwrap().len() as u64)
    }
}

struct Fixture {
    store: Arc<FakeMembers>,
    registry: MemberRegistry,
}

fn fixture() -> Fixture {
    let store = Arc::new(FakeMembers::default());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    ));
    let registry = MemberRegistry::new(store.clone(), Arc::new(MasterKey::generate()), clock);
    Fixture { store, registry }
}

const HEADER: &str =
    "kvnr;given_name;family_name;birth_date;postal_code;membership_start;main_member_kvnr\n";
const ERIKA: &str = "A123456780;Erika;Mustermann;1980-04-02;10115;2001-01-01;\n";
const LENA: &str = "B987654320;Lena;Mustermann;2015-06-30;10115;2015-06-30;A123456780\n";
const BROKEN: &str = "A123456781;Max;Muster;1970-01-01;10115;2001-01-01;\n";

fn kvnr(text: &str) -> Kvnr {
    Kvnr::parse(text).unwrap()
}

#[tokio::test]
async fn r_id_4_imported_members_are_found_by_kvnr_and_stored_sealed() {
    let fx = fixture();
    let report = fx
        .registry
        .import(
            &format!("{HEADER}{ERIKA}{LENA}"),
            ImportOptions::default(),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(report.accepted, 2);
    assert_eq!(
        report.written,
        Some(UpsertCounts {
            inserted: 2,
            updated: 0,
            unchanged: 0
        })
    );
    let lena = fx
        .registry
        .find(&kvnr("B987654320"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lena.given_name, "Lena");
    assert_eq!(lena.main_member, Some(kvnr("A123456780")));
    // Neither the KVNR nor a name is readable in what the store holds (R-OP-4).
    for row in fx.store.rows.lock().unwrap().values() {
        assert!(!row.kvnr_digest.contains("A123456780"));
        let bytes = String::from_utf8_lossy(&row.sealed).into_owned();
        assert!(!bytes.contains("Mustermann"));
    }
    assert_eq!(fx.registry.find(&kvnr("C000000006")).await.unwrap(), None);
    assert_eq!(
        fx.store.events.lock().unwrap()[0].kind,
        AuditKind::MembersImported
    );
}

#[tokio::test]
async fn r_id_4_importing_the_same_file_again_changes_nothing() {
    let fx = fixture();
    let file = format!("{HEADER}{ERIKA}{LENA}");
    let context = RequestContext::default();
    fx.registry
        .import(&file, ImportOptions::default(), &context)
        .await
        .unwrap();
    let again = fx
        .registry
        .import(&file, ImportOptions::default(), &context)
        .await
        .unwrap();
    assert_eq!(
        again.written,
        Some(UpsertCounts {
            inserted: 0,
            updated: 0,
            unchanged: 2
        })
    );
    let moved = file.replace("10115;2001", "80331;2001");
    let changed = fx
        .registry
        .import(&moved, ImportOptions::default(), &context)
        .await
        .unwrap();
    assert_eq!(changed.written.unwrap().updated, 1);
    let erika = fx
        .registry
        .find(&kvnr("A123456780"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(erika.postal_code, "80331");
}

#[tokio::test]
async fn r_id_4_a_file_with_a_rejected_row_writes_nothing_unless_told_to_skip() {
    let fx = fixture();
    let file = format!("{HEADER}{ERIKA}{BROKEN}");
    let context = RequestContext::default();
    let refused = fx
        .registry
        .import(&file, ImportOptions::default(), &context)
        .await
        .unwrap();
    assert_eq!(refused.written, None);
    assert_eq!(refused.rejected[0].line, 3);
    assert_eq!(fx.registry.count().await.unwrap(), 0);
    let dry = fx
        .registry
        .import(
            &format!("{HEADER}{ERIKA}"),
            ImportOptions {
                dry_run: true,
                ..ImportOptions::default()
            },
            &context,
        )
        .await
        .unwrap();
    assert_eq!((dry.accepted, dry.written), (1, None));
    assert_eq!(fx.registry.count().await.unwrap(), 0);
    let skipped = fx
        .registry
        .import(
            &file,
            ImportOptions {
                skip_rejected: true,
                ..ImportOptions::default()
            },
            &context,
        )
        .await
        .unwrap();
    assert_eq!(skipped.written.unwrap().inserted, 1);
    assert_eq!(skipped.rejected.len(), 1);
}

#[tokio::test]
async fn r_fa_1_a_child_may_name_a_main_member_imported_earlier() {
    let fx = fixture();
    let context = RequestContext::default();
    let early = fx
        .registry
        .import(
            &format!("{HEADER}{LENA}"),
            ImportOptions::default(),
            &context,
        )
        .await
        .unwrap();
    assert!(early.rejected[0].reasons[0].contains("neither in the file"));
    fx.registry
        .import(
            &format!("{HEADER}{ERIKA}"),
            ImportOptions::default(),
            &context,
        )
        .await
        .unwrap();
    let later = fx
        .registry
        .import(
            &format!("{HEADER}{LENA}"),
            ImportOptions::default(),
            &context,
        )
        .await
        .unwrap();
    assert!(later.rejected.is_empty(), "{:?}", later.rejected);
    assert_eq!(fx.registry.count().await.unwrap(), 2);
}

#[test]
fn r_id_4_membership_covers_its_first_and_last_day() {
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 1, d).unwrap();
    let member = Member {
        kvnr: kvnr("A123456780"),
        given_name: "Erika".into(),
        family_name: "Mustermann".into(),
        birth_date: day(1),
        postal_code: "10115".into(),
        street: Some("Musterweg 1".into()),
        city: Some("Berlin".into()),
        email: None,
        mobile: None,
        membership_start: day(10),
        membership_end: Some(day(20)),
        main_member: None,
    };
    assert!(!member.is_member_on(day(9)));
    assert!(member.is_member_on(day(10)));
    assert!(member.is_member_on(day(20)));
    assert!(!member.is_member_on(day(21)));
    let open = Member {
        membership_end: None,
        ..member
    };
    assert!(open.is_member_on(day(31)));
    assert_eq!(
        open.postal_address_lines().unwrap(),
        ["Erika Mustermann", "Musterweg 1", "10115 Berlin"]
    );
    let no_street = Member {
        street: None,
        ..open
    };
    assert_eq!(no_street.postal_address_lines(), None);
}

/// An insurer's system in memory: answers for its members, counts the calls.
struct FakeLookup {
    answer: Result<Option<lookup::MemberRecord>, lookup::LookupUnavailable>,
    calls: Mutex<u32>,
}

#[async_trait]
impl lookup::MemberLookup for FakeLookup {
    async fn lookup(
        &self,
        _kvnr: &Kvnr,
    ) -> Result<Option<lookup::MemberRecord>, lookup::LookupUnavailable> {
        *self.calls.lock().unwrap() += 1;
        self.answer.clone()
    }
}

fn record(kvnr: &str) -> lookup::MemberRecord {
    lookup::MemberRecord {
        kvnr: kvnr.into(),
        given_name: "Max \"Maxi\"; Jr.".into(),
        family_name: "Muster".into(),
        birth_date: "1970-01-01".into(),
        postal_code: "10115".into(),
        membership_start: "2001-01-01".into(),
        ..Default::default()
    }
}

fn with_lookup(
    answer: Result<Option<lookup::MemberRecord>, lookup::LookupUnavailable>,
) -> (Fixture, Arc<FakeLookup>) {
    let fake = Arc::new(FakeLookup {
        answer,
        calls: Mutex::new(0),
    });
    let fx = fixture();
    let registry = MemberRegistry::new(
        fx.store.clone(),
        fx.registry.master.clone(),
        fx.registry.clock.clone(),
    )
    .with_lookup(fake.clone());
    (
        Fixture {
            store: fx.store,
            registry,
        },
        fake,
    )
}

#[tokio::test]
async fn r_rg_1_lookup_finds_an_unknown_member_and_stores_it_sealed() {
    let (fx, fake) = with_lookup(Ok(Some(record("B987654320"))));
    let context = RequestContext::default();
    let member = fx
        .registry
        .find_or_lookup(&kvnr("B987654320"), &context)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.given_name, "Max \"Maxi\"; Jr.");
    assert_eq!(member.birth_date.to_string(), "1970-01-01");
    assert_eq!(fx.store.rows.lock().unwrap().len(), 1);
    let events = fx.store.events.lock().unwrap().clone();
    assert_eq!(events[0].kind, AuditKind::MemberLookedUp);
    // Stored: the second question is answered from the registry.
    let again = fx
        .registry
        .find_or_lookup(&kvnr("B987654320"), &context)
        .await
        .unwrap();
    assert_eq!(again, Some(member));
    assert_eq!(*fake.calls.lock().unwrap(), 1);
}

#[tokio::test]
async fn r_rg_1_lookup_without_member_and_without_lookup_is_none() {
    let (fx, _) = with_lookup(Ok(None));
    let context = RequestContext::default();
    assert_eq!(
        fx.registry
            .find_or_lookup(&kvnr("B987654320"), &context)
            .await
            .unwrap(),
        None
    );
    assert!(fx.store.rows.lock().unwrap().is_empty());
    let plain = fixture();
    assert_eq!(
        plain
            .registry
            .find_or_lookup(&kvnr("B987654320"), &context)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn r_rg_1_an_unusable_or_failed_lookup_is_try_later_and_stores_nothing() {
    let mut bad_postal = record("B987654320");
    bad_postal.postal_code = "1011".into();
    for answer in [
        Ok(Some(bad_postal)),
        Ok(Some(record("A123456780"))),
        Err(lookup::LookupUnavailable("timeout".into())),
    ] {
        let (fx, _) = with_lookup(answer);
        let error = fx
            .registry
            .find_or_lookup(&kvnr("B987654320"), &RequestContext::default())
            .await
            .unwrap_err();
        assert!(
            matches!(error, lookup::LookupError::Unavailable(_)),
            "{error:?}"
        );
        assert_eq!(error.public_code(), "PF-MEMBER-503");
        assert!(fx.store.rows.lock().unwrap().is_empty());
    }
}
