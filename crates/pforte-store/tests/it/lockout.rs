//! LockoutStore and CredentialStore: the reservation of a login attempt is
//! exact under concurrency (R-LO-3), unknown names have counters like accounts
//! (R-LO-4), audit events are stored with the change (R-LO-6, R-OP-3), and
//! the password history keeps only hashes, trimmed to the policy's depth
//! (R-PW-2, R-PW-3).

use crate::fixtures::{account, secs, t0};
use chrono::TimeDelta;
use pforte_identity::audit::{AuditKind, AuditQuery, RequestContext};
use pforte_identity::login::{is_admitted, reserve, succeed};
use pforte_identity::ports::{AccountStore, CounterKey, CredentialStore, LockoutStore};
use pforte_policy::{DeactivationReason, DuringLock, LockState, LockoutPolicy};
use pforte_store::SqlStore;

fn policy(during_lock: DuringLock) -> LockoutPolicy {
    LockoutPolicy {
        max_failures: 5,
        lock_duration: TimeDelta::hours(24),
        during_lock,
        failure_cap: 100,
    }
}

fn context() -> RequestContext {
    RequestContext {
        operator: None,
        client_id: Some("portal".into()),
        ip: Some("192.0.2.7".parse().unwrap()),
        user_agent: Some("test agent".into()),
        request_id: Some("req-1".into()),
    }
}

async fn attempt(store: &SqlStore, key: &CounterKey, policy: &LockoutPolicy) -> bool {
    let now = t0();
    let context = context();
    let step = |state| reserve(state, now, policy, key.account, &key.username, &context);
    let (before, _) = store.update_lock_state(key, &step).await.unwrap();
    is_admitted(before, now, policy)
}

pub async fn r_lo_3_fifty_parallel_wrong_attempts_count_exactly_n_and_lock_once(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let key = CounterKey::for_account(erika.id, "erika");
    let policy = policy(DuringLock::Ignore);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = store.clone();
            let key = key.clone();
            tokio::spawn(async move { attempt(&store, &key, &policy).await })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        if task.await.unwrap() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5, "exactly max_failures attempts reach the hash");
    let record = store.lock_record(&key.key).await.unwrap().unwrap();
    assert_eq!(
        record.state,
        LockState::Locked {
            until: t0() + TimeDelta::hours(24),
            consecutive: 5
        }
    );
    assert_eq!(record.failures, 5);
    let events = store
        .audit_events(&AuditQuery {
            account: Some(erika.id),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let locks = events
        .iter()
        .filter(|event| event.kind == AuditKind::AccountLocked)
        .count();
    let refused = events
        .iter()
        .filter(|event| event.kind == AuditKind::LoginFailed)
        .count();
    assert_eq!(locks, 1);
    assert_eq!(refused, 45, "every refused attempt is in the audit trail");
    assert!(
        events
            .iter()
            .all(|event| event.ip.as_deref() == Some("192.0.2.7")
                && event.client.as_deref() == Some("portal")
                && event.request_id.as_deref() == Some("req-1")
                && event.user_agent.as_deref() == Some("test agent"))
    );
}

pub async fn r_lo_4_unknown_names_are_counted_and_locked_like_accounts(store: &SqlStore) {
    let key = CounterKey::for_unknown_name("nobody");
    let policy = policy(DuringLock::Deactivate);
    for _ in 0..5 {
        assert!(attempt(&store.clone(), &key, &policy).await);
    }
    assert!(!attempt(store, &key, &policy).await);
    let record = store.lock_record("name:nobody").await.unwrap().unwrap();
    assert_eq!(
        record.state,
        LockState::Deactivated {
            reason: DeactivationReason::AttemptDuringLock
        }
    );
    assert_eq!(record.failures, 5, "counts are kept for the operator");
    assert_eq!(record.last_failure_at, Some(t0()));
    let kinds: Vec<_> = store
        .audit_events(&AuditQuery {
            username: Some("nobody".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            AuditKind::AccountLocked,
            AuditKind::AccountDeactivated,
            AuditKind::LoginFailed
        ]
    );
}

pub async fn r_lo_1_success_clears_the_counter_and_is_audited(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let key = CounterKey::for_account(erika.id, "erika");
    let policy = policy(DuringLock::Ignore);
    // Three wrong attempts, then the reservation of the fourth, which turns
    // out to be right.
    for _ in 0..4 {
        attempt(store, &key, &policy).await;
    }
    let context = context();
    let step = |state| succeed(state, t0(), erika.id, "erika", &context);
    let (before, after) = store.update_lock_state(&key, &step).await.unwrap();
    assert_eq!(
        before,
        LockState::Open {
            failures: 4,
            consecutive: 4
        },
        "the reservation of the successful attempt was counted first"
    );
    assert_eq!(after, LockState::cleared());
    let since = store
        .audit_events(&AuditQuery {
            since: Some(t0()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(since.last().unwrap().kind, AuditKind::LoginSucceeded);
    let later = store
        .audit_events(&AuditQuery {
            since: Some(t0() + secs(1)),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(later.is_empty());
    assert_eq!(store.lock_record("account:none").await.unwrap(), None);
}

pub async fn r_pw_2_history_keeps_previous_hashes_up_to_the_depth(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    assert_eq!(
        store.password_state(erika.id).await.unwrap(),
        Default::default()
    );
    store
        .set_must_change_password(erika.id, true)
        .await
        .unwrap();
    assert!(store.password_state(erika.id).await.unwrap().must_change);
    for n in 1..=4 {
        store
            .replace_password(erika.id, &format!("hash-{n}"), false, 2, t0(), &[])
            .await
            .unwrap();
    }
    let state = store.password_state(erika.id).await.unwrap();
    assert!(
        !state.must_change,
        "a replaced password is no longer initial"
    );
    assert_eq!(
        state.history,
        vec!["hash-3".to_owned(), "hash-2".to_owned()]
    );
    let current = store.get_account(erika.id).await.unwrap().unwrap();
    assert_eq!(current.password_hash, "hash-4");
    store
        .replace_password(erika.id, "hash-5", true, 0, t0(), &[])
        .await
        .unwrap();
    let state = store.password_state(erika.id).await.unwrap();
    assert!(state.must_change);
    assert!(state.history.is_empty(), "depth 0 keeps no history");
}

/// Two pools on one database stand for two provider nodes: 50 attempts spread
/// over both still reach the password check exactly `max_failures` times and
/// lock once (R-LO-3).
pub async fn r_lo_3_two_nodes_on_one_database_count_exactly_n(first: &SqlStore, url: &str) {
    let second = SqlStore::connect(url).await.unwrap();
    let erika = account("erika");
    first.insert_account(&erika).await.unwrap();
    let key = CounterKey::for_account(erika.id, "erika");
    let policy = policy(DuringLock::Ignore);
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = if n % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            let key = key.clone();
            tokio::spawn(async move { attempt(&store, &key, &policy).await })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        if task.await.unwrap() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5);
    let locks = first
        .audit_events(&AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == AuditKind::AccountLocked)
        .count();
    assert_eq!(locks, 1);
    second.connection().close_by_ref().await.unwrap();
}

pub async fn r_lo_4_idle_counters_of_unknown_names_are_purged_but_not_locks(store: &SqlStore) {
    let policy = policy(DuringLock::Deactivate);
    let idle = CounterKey::for_unknown_name("idle");
    attempt(store, &idle, &policy).await;
    let deactivated = CounterKey::for_unknown_name("gone");
    for _ in 0..6 {
        attempt(store, &deactivated, &policy).await;
    }
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let real = CounterKey::for_account(erika.id, "erika");
    attempt(store, &real, &policy).await;

    assert_eq!(store.purge_idle_unknown_counters(t0()).await.unwrap(), 0);
    let purged = store
        .purge_idle_unknown_counters(t0() + TimeDelta::days(30))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(store.lock_record("name:idle").await.unwrap(), None);
    assert!(store.lock_record("name:gone").await.unwrap().is_some());
    assert!(store.lock_record(&real.key).await.unwrap().is_some());
}
