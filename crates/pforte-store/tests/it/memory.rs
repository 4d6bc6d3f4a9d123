//! MemoryStore: provider sessions and ephemeral values vanish when the clock
//! passes their expiry, and a taken value is handed out once (DESIGN.md §3).

use crate::fixtures::{secs, t0};
use pforte_identity::ports::{EphemeralStore, SessionStore};
use pforte_identity::session::ProviderSession;
use pforte_store::MemoryStore;
use pforte_types::{AccountId, ManualClock};
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
