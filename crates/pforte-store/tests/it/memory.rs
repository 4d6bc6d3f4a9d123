//! MemoryStore: provider sessions and ephemeral values vanish when the clock
//! passes their expiry, and a taken value is handed out once (DESIGN.md §3).

use crate::fixtures::{secs, t0};
use pforte_identity::ports::{EphemeralStore, SessionStore};
use pforte_identity::session::ProviderSession;
use pforte_store::MemoryStore;
use pforte_types::{AccountId, Clock, ManualClock};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

fn store() -> (Arc<MemoryStore>, ManualClock) {
    let clock = ManualClock::new(t0());
    (Arc::new(MemoryStore::new(Arc::new(clock.clone()))), clock)
}

fn session(sid: &str, lifetime_secs: i64) -> ProviderSession {
    ProviderSession {
        sid: sid.to_owned(),
        evidence: Vec::new(),
        account_id: AccountId::new(),
        auth_time: t0(),
        acr: "loa-substantial".to_owned(),
        amr: vec!["pwd".to_owned()],
        created_at: t0(),
        expires_at: t0() + secs(lifetime_secs),
        clients: vec![],
        last_seen_at: Some(t0()),
        idle_timeout_secs: None,
    }
}

/// A session with the seeds' numbers: 8 h absolute, 15 min idle.
fn idle_session(sid: &str, account: AccountId) -> ProviderSession {
    ProviderSession {
        account_id: account,
        idle_timeout_secs: Some(900),
        ..session(sid, 8 * 3_600)
    }
}

#[tokio::test]
async fn ephemeral_value_expires_when_the_clock_passes_its_ttl() {
    let (store, clock) = store();
    store
        .put_ephemeral("flow-1", b"pending request", Duration::from_secs(600))
        .await
        .unwrap();

    clock.advance(secs(599));
    assert_eq!(
        store.get_ephemeral("flow-1").await.unwrap().as_deref(),
        Some(&b"pending request"[..])
    );
    clock.advance(secs(1));
    assert_eq!(store.get_ephemeral("flow-1").await.unwrap(), None);
    assert_eq!(store.take_ephemeral("flow-1").await.unwrap(), None);
}

#[tokio::test]
async fn ephemeral_put_replaces_the_value_and_its_ttl() {
    let (store, clock) = store();
    store
        .put_ephemeral("k", b"one", Duration::from_secs(10))
        .await
        .unwrap();
    clock.advance(secs(5));
    store
        .put_ephemeral("k", b"two", Duration::from_secs(10))
        .await
        .unwrap();
    clock.advance(secs(9));
    assert_eq!(
        store.get_ephemeral("k").await.unwrap().as_deref(),
        Some(&b"two"[..])
    );
}

#[tokio::test]
async fn ephemeral_take_hands_the_value_out_once() {
    let (store, _clock) = store();
    store
        .put_ephemeral("k", b"v", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        store.take_ephemeral("k").await.unwrap().as_deref(),
        Some(&b"v"[..])
    );
    assert_eq!(store.take_ephemeral("k").await.unwrap(), None);
    assert_eq!(store.get_ephemeral("k").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ephemeral_take_is_single_use_under_parallel_takers() {
    let (store, _clock) = store();
    store
        .put_ephemeral("contested", b"v", Duration::from_secs(60))
        .await
        .unwrap();
    let start = Arc::new(Barrier::new(50));
    let takers: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                store.take_ephemeral("contested").await.unwrap()
            })
        })
        .collect();
    let mut taken = 0;
    for taker in takers {
        if taker.await.unwrap().is_some() {
            taken += 1;
        }
    }
    assert_eq!(taken, 1);
}

#[tokio::test]
async fn expired_ephemeral_entries_are_swept_and_stay_gone_when_time_runs_back() {
    let (store, clock) = store();
    store
        .put_ephemeral("short", b"v", Duration::from_secs(1))
        .await
        .unwrap();
    clock.advance(secs(120));
    // This write sweeps the expired entry out of the map.
    store
        .put_ephemeral("other", b"w", Duration::from_secs(60))
        .await
        .unwrap();
    clock.set(t0());
    assert_eq!(store.get_ephemeral("short").await.unwrap(), None);
}

#[tokio::test]
async fn session_is_visible_until_it_expires() {
    let (store, clock) = store();
    let live = session("sid-1", 3_600);
    store.put_session(&live).await.unwrap();

    assert_eq!(store.get_session("sid-1").await.unwrap(), Some(live));
    assert_eq!(store.get_session("sid-unknown").await.unwrap(), None);
    clock.advance(secs(3_600));
    assert_eq!(store.get_session("sid-1").await.unwrap(), None);
}

#[tokio::test]
async fn session_clients_are_recorded_once_each() {
    let (store, _clock) = store();
    store.put_session(&session("sid-1", 3_600)).await.unwrap();
    for client in ["web", "app", "web"] {
        store.add_session_client("sid-1", client).await.unwrap();
    }
    // A session that does not exist is left alone without error.
    store.add_session_client("sid-none", "web").await.unwrap();

    let stored = store.get_session("sid-1").await.unwrap().unwrap();
    assert_eq!(stored.clients, ["web", "app"]);
}

#[tokio::test]
async fn deleted_session_is_gone() {
    let (store, _clock) = store();
    store.put_session(&session("sid-1", 3_600)).await.unwrap();
    store.delete_session("sid-1").await.unwrap();
    store.delete_session("sid-1").await.unwrap();
    assert_eq!(store.get_session("sid-1").await.unwrap(), None);
}

#[tokio::test]
async fn r_se_1_an_unused_session_ends_at_its_idle_end() {
    let (store, clock) = store();
    store
        .put_session(&idle_session("sid-1", AccountId::new()))
        .await
        .unwrap();
    clock.advance(secs(899));
    assert!(store.get_session("sid-1").await.unwrap().is_some());
    clock.advance(secs(1));
    assert_eq!(store.get_session("sid-1").await.unwrap(), None);
    assert_eq!(
        store.touch_session("sid-1", clock.now()).await.unwrap(),
        None,
        "an ended session is not revived"
    );
}

#[tokio::test]
async fn r_se_1_a_touch_moves_the_idle_end_but_not_past_the_absolute_end() {
    let (store, clock) = store();
    store
        .put_session(&idle_session("sid-1", AccountId::new()))
        .await
        .unwrap();
    clock.advance(secs(600));
    let touched = store
        .touch_session("sid-1", clock.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_seen_at, Some(t0() + secs(600)));
    clock.advance(secs(899));
    assert!(store.get_session("sid-1").await.unwrap().is_some());
    clock.advance(secs(1));
    assert_eq!(store.get_session("sid-1").await.unwrap(), None);

    // Used every 10 minutes, the session still ends at 8 h.
    store
        .put_session(&idle_session("sid-2", AccountId::new()))
        .await
        .unwrap();
    clock.set(t0());
    for _ in 0..47 {
        clock.advance(secs(600));
        store.touch_session("sid-2", clock.now()).await.unwrap();
    }
    clock.set(t0() + secs(8 * 3_600 - 1));
    assert!(store.get_session("sid-2").await.unwrap().is_some());
    clock.advance(secs(1));
    assert_eq!(store.get_session("sid-2").await.unwrap(), None);
}

#[tokio::test]
async fn r_se_3_sessions_of_an_account_are_listed_without_ended_ones() {
    let (store, clock) = store();
    let erika = AccountId::new();
    store.put_session(&idle_session("a", erika)).await.unwrap();
    store.put_session(&idle_session("b", erika)).await.unwrap();
    store
        .put_session(&idle_session("other", AccountId::new()))
        .await
        .unwrap();
    let mut sids: Vec<String> = store
        .sessions_of_account(erika)
        .await
        .unwrap()
        .into_iter()
        .map(|session| session.sid)
        .collect();
    sids.sort();
    assert_eq!(sids, ["a", "b"]);

    store.delete_session("a").await.unwrap();
    clock.advance(secs(600));
    store.touch_session("b", clock.now()).await.unwrap();
    clock.advance(secs(600));
    let listed = store.sessions_of_account(erika).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].sid, "b");
    clock.advance(secs(300));
    assert!(store.sessions_of_account(erika).await.unwrap().is_empty());
}
