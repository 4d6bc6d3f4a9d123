//! MemberLinkStore: a registration writes the account, its member link and the
//! event together; one account per member (R-RG-1); stages move with their
//! events; the membership-end job finds its work lists (R-ID-4).

use crate::fixtures::{account, secs, t0};
use chrono::NaiveDate;
use pforte_identity::audit::{AuditEvent, AuditKind, AuditQuery};
use pforte_identity::ports::{
    AccountStore, LockoutStore, MemberLinkStore, MemberStore, StoredMember,
};
use pforte_identity::registration::{MemberLink, Proofing, Stage};
use pforte_store::SqlStore;
use pforte_types::{AccountId, StoreError};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn event(kind: AuditKind, account: AccountId) -> AuditEvent {
    AuditEvent {
        operator: None,
        at: t0(),
        kind,
        account: Some(account),
        username: None,
        client: None,
        ip: None,
        user_agent: None,
        request_id: None,
        detail: Some("proofing=letter".to_owned()),
    }
}

fn link(account: AccountId, digest: &str) -> MemberLink {
    MemberLink {
        account_id: account,
        kvnr_digest: digest.to_owned(),
        stage: Stage::EmailUnconfirmed,
        proofing: Proofing::Letter,
        registered_at: t0(),
        activated_at: None,
        updated_at: t0(),
    }
}

fn member(digest: &str, start: NaiveDate, end: Option<NaiveDate>) -> StoredMember {
    StoredMember {
        kvnr_digest: digest.to_owned(),
        sealed: b"sealed".to_vec(),
        content_digest: format!("c-{digest}-{start}-{end:?}"),
        membership_start: start,
        membership_end: end,
        main_member_digest: None,
    }
}

async fn import(store: &SqlStore, members: &[StoredMember]) {
    let event = AuditEvent {
        operator: None,
        kind: AuditKind::MembersImported,
        account: None,
        detail: None,
        ..event(AuditKind::MembersImported, AccountId::new())
    };
    store.upsert_members(members, t0(), event).await.unwrap();
}

async fn kinds(store: &SqlStore, kind: AuditKind) -> usize {
    store
        .audit_events(&AuditQuery::default())
        .await
        .unwrap()
        .iter()
        .filter(|event| event.kind == kind)
        .count()
}

pub async fn r_rg_1_a_registration_writes_account_link_and_event_together(store: &SqlStore) {
    let erika = account("erika");
    let registered = link(erika.id, "d-erika");
    store
        .insert_linked_account(
            &erika,
            &registered,
            &[event(AuditKind::AccountRegistered, erika.id)],
        )
        .await
        .unwrap();
    assert_eq!(
        store.get_account(erika.id).await.unwrap(),
        Some(erika.clone())
    );
    assert_eq!(
        store.link_of_account(erika.id).await.unwrap(),
        Some(registered.clone())
    );
    assert_eq!(
        store.link_of_member("d-erika").await.unwrap(),
        Some(registered)
    );
    assert_eq!(store.link_of_member("d-nobody").await.unwrap(), None);
    assert_eq!(store.link_of_account(AccountId::new()).await.unwrap(), None);
    assert_eq!(kinds(store, AuditKind::AccountRegistered).await, 1);
}

pub async fn r_rg_1_a_member_already_registered_is_a_conflict_with_nothing_written(
    store: &SqlStore,
) {
    let erika = account("erika");
    store
        .insert_linked_account(&erika, &link(erika.id, "d-erika"), &[])
        .await
        .unwrap();
    // Same member, another username: the KVNR digest is taken.
    let again = account("erika2");
    let result = store
        .insert_linked_account(
            &again,
            &link(again.id, "d-erika"),
            &[event(AuditKind::AccountRegistered, again.id)],
        )
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(store.get_account(again.id).await.unwrap(), None);
    // Another member, a taken username (in another case): refused as well.
    let twin = account("ERIKA");
    let result = store
        .insert_linked_account(&twin, &link(twin.id, "d-max"), &[])
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(store.link_of_member("d-max").await.unwrap(), None);
    assert_eq!(kinds(store, AuditKind::AccountRegistered).await, 0);
}

pub async fn r_id_4_stages_move_with_their_events_and_the_first_activation_is_kept(
    store: &SqlStore,
) {
    let erika = account("erika");
    store
        .insert_linked_account(&erika, &link(erika.id, "d-erika"), &[])
        .await
        .unwrap();
    let first = t0() + secs(60);
    store
        .set_stage(
            erika.id,
            Stage::Active,
            Proofing::Letter,
            first,
            &[event(AuditKind::AccountActivated, erika.id)],
        )
        .await
        .unwrap();
    let active = store.link_of_account(erika.id).await.unwrap().unwrap();
    assert_eq!(active.stage, Stage::Active);
    assert_eq!(active.activated_at, Some(first));
    assert_eq!(active.updated_at, first);

    let later = t0() + secs(120);
    store
        .set_stage(
            erika.id,
            Stage::MembershipEnded,
            Proofing::Letter,
            later,
            &[],
        )
        .await
        .unwrap();
    store
        .set_stage(
            erika.id,
            Stage::Active,
            Proofing::Agent,
            later + secs(1),
            &[],
        )
        .await
        .unwrap();
    let again = store.link_of_account(erika.id).await.unwrap().unwrap();
    assert_eq!(again.stage, Stage::Active);
    assert_eq!(again.proofing, Proofing::Agent);
    assert_eq!(again.activated_at, Some(first));
    assert_eq!(again.updated_at, later + secs(1));

    // No link: nothing changes and no event is written.
    let stranger = AccountId::new();
    store
        .set_stage(
            stranger,
            Stage::Active,
            Proofing::Letter,
            later,
            &[event(AuditKind::AccountActivated, stranger)],
        )
        .await
        .unwrap();
    assert_eq!(kinds(store, AuditKind::AccountActivated).await, 1);
}

pub async fn r_id_4_membership_over_and_restarted_are_found_by_the_member_dates(store: &SqlStore) {
    let today = day(2026, 12, 1);
    import(
        store,
        &[
            member("d-current", day(2001, 1, 1), None),
            member("d-ends-today", day(2001, 1, 1), Some(today)),
            member("d-ended", day(2001, 1, 1), Some(day(2026, 11, 30))),
            member("d-future", day(2027, 1, 1), None),
            member("d-back", day(2001, 1, 1), None),
        ],
    )
    .await;
    let mut ids = std::collections::HashMap::new();
    for digest in ["d-current", "d-ends-today", "d-ended", "d-future", "d-back"] {
        let holder = account(digest);
        store
            .insert_linked_account(&holder, &link(holder.id, digest), &[])
            .await
            .unwrap();
        ids.insert(digest, holder.id);
    }
    store
        .set_stage(
            ids["d-back"],
            Stage::MembershipEnded,
            Proofing::Letter,
            t0(),
            &[],
        )
        .await
        .unwrap();

    let over: Vec<_> = store
        .links_with_membership_over(today)
        .await
        .unwrap()
        .into_iter()
        .map(|link| link.kvnr_digest)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(over, ["d-ended", "d-future"]);
    let restarted: Vec<_> = store
        .links_with_membership_restarted(today)
        .await
        .unwrap()
        .into_iter()
        .map(|link| link.kvnr_digest)
        .collect();
    assert_eq!(restarted, ["d-back"]);

    // Once ended, a link is no longer on the "over" list.
    store
        .set_stage(
            ids["d-ended"],
            Stage::MembershipEnded,
            Proofing::Letter,
            t0(),
            &[],
        )
        .await
        .unwrap();
    let over: Vec<_> = store
        .links_with_membership_over(today)
        .await
        .unwrap()
        .into_iter()
        .map(|link| link.kvnr_digest)
        .collect();
    assert_eq!(over, ["d-future"]);
}

pub async fn r_rg_1_deleting_the_account_frees_the_member(store: &SqlStore) {
    use sea_orm::{ConnectionTrait as _, DatabaseBackend, Statement};
    let erika = account("erika");
    store
        .insert_linked_account(&erika, &link(erika.id, "d-erika"), &[])
        .await
        .unwrap();
    let db = store.connection();
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "DELETE FROM accounts WHERE id = $1",
        _ => "DELETE FROM accounts WHERE id = ?",
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [erika.id.0.into()],
    ))
    .await
    .unwrap();
    assert_eq!(store.link_of_member("d-erika").await.unwrap(), None);
}

pub async fn r_rg_4_an_activation_code_is_single_use_replaced_by_a_new_one_and_expires(
    store: &SqlStore,
) {
    use pforte_identity::ports::{ActivationAttempt, ActivationCodeStore};
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    assert_eq!(
        store
            .attempt_activation_code(erika.id, "d-1", t0())
            .await
            .unwrap(),
        ActivationAttempt::NoCode
    );
    let expires = t0() + secs(3_600);
    store
        .put_activation_code(
            erika.id,
            "d-1",
            t0(),
            expires,
            &[event(AuditKind::ActivationLetterRequested, erika.id)],
        )
        .await
        .unwrap();
    // A new letter voids the first code.
    store
        .put_activation_code(erika.id, "d-2", t0(), expires, &[])
        .await
        .unwrap();
    assert_eq!(
        store
            .attempt_activation_code(erika.id, "d-1", t0())
            .await
            .unwrap(),
        ActivationAttempt::Wrong
    );
    // Another account's attempt never uses it.
    assert_eq!(
        store
            .attempt_activation_code(AccountId::new(), "d-2", t0())
            .await
            .unwrap(),
        ActivationAttempt::NoCode
    );
    assert_eq!(
        store
            .attempt_activation_code(erika.id, "d-2", t0())
            .await
            .unwrap(),
        ActivationAttempt::Matched
    );
    assert_eq!(
        store
            .attempt_activation_code(erika.id, "d-2", t0())
            .await
            .unwrap(),
        ActivationAttempt::NoCode
    );
    store
        .put_activation_code(erika.id, "d-3", t0(), expires, &[])
        .await
        .unwrap();
    assert_eq!(
        store
            .attempt_activation_code(erika.id, "d-3", expires)
            .await
            .unwrap(),
        ActivationAttempt::Expired
    );
    assert_eq!(kinds(store, AuditKind::ActivationLetterRequested).await, 1);
}

/// R-RC-4: the deletion blocker `co_insured_dependants` counts the
/// co-insured people of the account's member who registered themselves.
pub async fn r_rc_4_co_insured_people_with_accounts_are_counted_for_the_main_member(
    store: &SqlStore,
) {
    use pforte_identity::ports::DependantsProbe;
    let start = day(2020, 1, 1);
    let child = |digest: &str| StoredMember {
        main_member_digest: Some("d-main".to_owned()),
        ..member(digest, start, None)
    };
    import(
        store,
        &[
            member("d-main", start, None),
            child("d-child-1"),
            child("d-child-2"),
            member("d-other", start, None),
        ],
    )
    .await;
    let main = account("main");
    let first_child = account("child1");
    let other = account("other");
    for (holder, digest) in [
        (&main, "d-main"),
        (&first_child, "d-child-1"),
        (&other, "d-other"),
    ] {
        store
            .insert_linked_account(holder, &link(holder.id, digest), &[])
            .await
            .unwrap();
    }
    assert_eq!(store.co_insured_with_accounts(main.id).await.unwrap(), 1);
    assert_eq!(store.co_insured_with_accounts(other.id).await.unwrap(), 0);
    assert_eq!(
        store
            .co_insured_with_accounts(first_child.id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .co_insured_with_accounts(AccountId::new())
            .await
            .unwrap(),
        0,
        "an account without a member"
    );
}

pub async fn r_rg_6_an_invitation_is_used_once_and_not_after_it_expired(store: &SqlStore) {
    use pforte_identity::ports::{InvitationStore, StoredInvitation};
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let invitation = StoredInvitation {
        token_digest: "t-1".to_owned(),
        kvnr_digest: "d-erika".to_owned(),
        created_at: t0(),
        expires_at: t0() + secs(3_600),
        used_at: None,
        account_id: None,
    };
    store
        .insert_invitation(
            &invitation,
            &[event(AuditKind::InvitationCreated, erika.id)],
        )
        .await
        .unwrap();
    assert_eq!(
        store.invitation("t-1").await.unwrap(),
        Some(invitation.clone())
    );
    assert_eq!(store.invitation("t-2").await.unwrap(), None);
    assert!(
        !store
            .use_invitation("t-1", erika.id, t0() + secs(3_600))
            .await
            .unwrap(),
        "expired"
    );
    assert!(store.use_invitation("t-1", erika.id, t0()).await.unwrap());
    assert!(!store.use_invitation("t-1", erika.id, t0()).await.unwrap());
    let used = store.invitation("t-1").await.unwrap().unwrap();
    assert_eq!(used.used_at, Some(t0()));
    assert_eq!(used.account_id, Some(erika.id));
    assert_eq!(kinds(store, AuditKind::InvitationCreated).await, 1);
}
