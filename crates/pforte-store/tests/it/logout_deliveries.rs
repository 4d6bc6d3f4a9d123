//! LogoutDeliveryStore (BCL 1.0, R-SE-2): the durable queue of logout tokens.
//! A due row is claimed by exactly one caller, also under parallel claims;
//! a lapsed claim makes it due again; a failure reschedules it.

use crate::fixtures::t0;
use chrono::{Duration, TimeDelta};
use pforte_oauth::backchannel_logout::LogoutDelivery;
use pforte_oauth::ports::LogoutDeliveryStore;
use pforte_store::SqlStore;
use pforte_types::AccountId;
use std::sync::Arc;

fn delivery(client_id: &str, due_in_secs: i64) -> LogoutDelivery {
    LogoutDelivery {
        id: uuid::Uuid::now_v7(),
        client_id: client_id.to_owned(),
        account_id: AccountId::new(),
        sid: "sid-1".to_owned(),
        reason: "logout".to_owned(),
        attempts: 0,
        next_attempt_at: t0() + Duration::seconds(due_in_secs),
        last_error: None,
        created_at: t0(),
    }
}

pub async fn r_se_2_due_deliveries_are_claimed_once_until_the_claim_lapses(store: &SqlStore) {
    let due = delivery("portal", 0);
    let later = delivery("app", 60);
    store
        .enqueue_logout_deliveries(&[due.clone(), later.clone()])
        .await
        .unwrap();
    let lease = t0() + Duration::seconds(30);
    let claimed = store
        .claim_logout_deliveries(t0(), lease, 10)
        .await
        .unwrap();
    assert_eq!(claimed, vec![due.clone()], "only the due row");
    assert!(
        store
            .claim_logout_deliveries(t0(), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "a claimed row is not handed out twice"
    );
    let after_lapse = t0() + Duration::seconds(31);
    let again = store
        .claim_logout_deliveries(after_lapse, after_lapse + Duration::seconds(30), 10)
        .await
        .unwrap();
    assert_eq!(again, vec![due.clone()], "a lapsed claim is due again");

    store.remove_logout_delivery(due.id).await.unwrap();
    let much_later = t0() + Duration::seconds(120);
    let rest = store
        .claim_logout_deliveries(much_later, much_later + TimeDelta::seconds(30), 10)
        .await
        .unwrap();
    assert_eq!(rest, vec![later]);
}

pub async fn r_se_2_a_failed_delivery_is_rescheduled_with_its_attempts(store: &SqlStore) {
    let entry = delivery("portal", 0);
    store
        .enqueue_logout_deliveries(std::slice::from_ref(&entry))
        .await
        .unwrap();
    let lease = t0() + Duration::seconds(30);
    assert_eq!(
        store
            .claim_logout_deliveries(t0(), lease, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let next = t0() + Duration::seconds(10);
    store
        .reschedule_logout_delivery(entry.id, 1, next, "status=503")
        .await
        .unwrap();
    assert!(
        store
            .claim_logout_deliveries(t0() + Duration::seconds(9), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due before the back-off has passed, although the claim was released"
    );
    let claimed = store
        .claim_logout_deliveries(next, next + Duration::seconds(30), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].next_attempt_at, next);
    assert_eq!(claimed[0].last_error.as_deref(), Some("status=503"));
}

pub async fn r_se_2_parallel_claims_hand_each_delivery_to_one_node(store: &SqlStore) {
    let entries: Vec<LogoutDelivery> = (0..10).map(|n| delivery(&format!("c{n}"), 0)).collect();
    store.enqueue_logout_deliveries(&entries).await.unwrap();
    let store = Arc::new(store.clone());
    let lease = t0() + Duration::seconds(30);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .claim_logout_deliveries(t0(), lease, 10)
                .await
                .unwrap()
        }));
    }
    let mut claimed: Vec<uuid::Uuid> = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap().into_iter().map(|entry| entry.id));
    }
    claimed.sort();
    let mut expected: Vec<uuid::Uuid> = entries.iter().map(|entry| entry.id).collect();
    expected.sort();
    assert_eq!(claimed, expected, "every row claimed exactly once");
}
