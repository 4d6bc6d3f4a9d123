//! GrantStore, grants, codes and refresh tokens: every code and every refresh
//! token is redeemed at most once, even when many requests race (DESIGN.md §3,
//! RFC 6749 4.1.2, RFC 9700 2.2.2 and 4.14.2), and reuse is reported with the
//! grant to revoke.

use crate::fixtures::{GrantBackend, client_with_grant, code, grant, refresh_token, secs, t0};
use pforte_oauth::model::{CodeConsumption, RefreshConsumption};
use pforte_types::StoreError;
use std::sync::Arc;
use tokio::sync::Barrier;

const PARALLEL_REDEEMERS: usize = 50;

pub async fn grants_round_trip_and_keep_their_first_revocation_time<S: GrantBackend>(store: &S) {
    let grant = client_with_grant(store, "web", "g-1").await;
    assert_eq!(store.get_grant("g-1").await.unwrap(), Some(grant.clone()));
    assert_eq!(store.get_grant("g-unknown").await.unwrap(), None);

    store.revoke_grant("g-1", t0() + secs(10)).await.unwrap();
    store.revoke_grant("g-1", t0() + secs(20)).await.unwrap();
    let revoked = store.get_grant("g-1").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(t0() + secs(10)));
    assert_eq!(revoked.scope, grant.scope);
    // Revoking an unknown grant is not an error.
    store.revoke_grant("g-unknown", t0()).await.unwrap();
}

pub async fn code_round_trips_and_is_fresh_on_first_consumption<S: GrantBackend>(store: &S) {
    let grant = client_with_grant(store, "web", "g-1").await;
    let issued = code("code-digest-1", &grant);
    store.insert_code(&issued).await.unwrap();

    assert_eq!(
        store.consume_code("code-digest-1").await.unwrap(),
        CodeConsumption::Fresh(issued)
    );
    assert_eq!(
        store.consume_code("code-digest-1").await.unwrap(),
        CodeConsumption::AlreadyUsed {
            grant_id: "g-1".to_owned()
        }
    );
}

pub async fn code_is_consumed_exactly_once_under_parallel_redemption<S: GrantBackend>(store: &S) {
    let grant = client_with_grant(store, "web", "g-race").await;
    store.insert_code(&code("contested", &grant)).await.unwrap();

    let start = Arc::new(Barrier::new(PARALLEL_REDEEMERS));
    let redeemers: Vec<_> = (0..PARALLEL_REDEEMERS)
        .map(|_| {
            let store = store.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                store.consume_code("contested").await.unwrap()
            })
        })
        .collect();
    let mut fresh = 0;
    for redeemer in redeemers {
        match redeemer.await.unwrap() {
            CodeConsumption::Fresh(code) => {
                assert_eq!(code.grant_id, "g-race");
                fresh += 1;
            }
            CodeConsumption::AlreadyUsed { grant_id } => assert_eq!(grant_id, "g-race"),
            CodeConsumption::Unknown => panic!("the code exists"),
        }
    }
    assert_eq!(fresh, 1, "exactly one redemption wins");
}

pub async fn consuming_an_unknown_code_reports_unknown<S: GrantBackend>(store: &S) {
    assert_eq!(
        store.consume_code("never-issued").await.unwrap(),
        CodeConsumption::Unknown
    );
}

/// Codes and refresh tokens belong to a grant that must exist first.
pub async fn code_for_an_unknown_grant_is_rejected<S: GrantBackend>(store: &S) {
    let orphan = code("orphan", &grant("g-missing", "web"));
    let inserted = store.insert_code(&orphan).await;
    assert!(
        matches!(inserted, Err(StoreError::Conflict(_))),
        "{inserted:?}"
    );
    assert_eq!(
        store.consume_code("orphan").await.unwrap(),
        CodeConsumption::Unknown
    );
}

pub async fn rfc9700_refresh_rotation_reports_reuse_of_a_rotated_token<S: GrantBackend>(store: &S) {
    let grant = client_with_grant(store, "web", "g-1").await;
    let first = refresh_token("rt-1", &grant);
    store.insert_refresh_token(&first).await.unwrap();

    assert_eq!(
        store
            .consume_refresh_token("rt-1", t0() + secs(60))
            .await
            .unwrap(),
        RefreshConsumption::Fresh(first)
    );
    let second = refresh_token("rt-2", &grant);
    store.insert_refresh_token(&second).await.unwrap();

    // The rotated-away token comes back: reuse, reported with its grant.
    assert_eq!(
        store
            .consume_refresh_token("rt-1", t0() + secs(120))
            .await
            .unwrap(),
        RefreshConsumption::Reused {
            grant_id: "g-1".to_owned()
        }
    );
    assert_eq!(
        store
            .consume_refresh_token("rt-unknown", t0())
            .await
            .unwrap(),
        RefreshConsumption::Unknown
    );
    // The successor is still current.
    assert_eq!(
        store
            .consume_refresh_token("rt-2", t0() + secs(180))
            .await
            .unwrap(),
        RefreshConsumption::Fresh(second)
    );
}

pub async fn refresh_token_rotates_exactly_once_under_parallel_use<S: GrantBackend>(store: &S) {
    let grant = client_with_grant(store, "web", "g-race").await;
    store
        .insert_refresh_token(&refresh_token("contested", &grant))
        .await
        .unwrap();

    let start = Arc::new(Barrier::new(PARALLEL_REDEEMERS));
    let users: Vec<_> = (0..PARALLEL_REDEEMERS)
        .map(|_| {
            let store = store.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                store
                    .consume_refresh_token("contested", t0() + secs(1))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut fresh = 0;
    for user in users {
        match user.await.unwrap() {
            RefreshConsumption::Fresh(_) => fresh += 1,
            RefreshConsumption::Reused { grant_id } => assert_eq!(grant_id, "g-race"),
            RefreshConsumption::Unknown => panic!("the token exists"),
        }
    }
    assert_eq!(fresh, 1, "exactly one rotation wins");
}

pub async fn active_refresh_token_is_found_only_while_unused_and_its_grant_stands<
    S: GrantBackend,
>(
    store: &S,
) {
    let grant = client_with_grant(store, "web", "g-1").await;
    let used = refresh_token("rt-used", &grant);
    let current = refresh_token("rt-current", &grant);
    store.insert_refresh_token(&used).await.unwrap();
    store.insert_refresh_token(&current).await.unwrap();

    assert_eq!(
        store.find_active_refresh_token("rt-used").await.unwrap(),
        Some(used)
    );
    store
        .consume_refresh_token("rt-used", t0() + secs(1))
        .await
        .unwrap();
    assert_eq!(
        store.find_active_refresh_token("rt-used").await.unwrap(),
        None
    );
    assert_eq!(
        store.find_active_refresh_token("rt-current").await.unwrap(),
        Some(current)
    );
    assert_eq!(
        store.find_active_refresh_token("rt-none").await.unwrap(),
        None
    );

    store.revoke_grant("g-1", t0() + secs(2)).await.unwrap();
    assert_eq!(
        store.find_active_refresh_token("rt-current").await.unwrap(),
        None,
        "a revoked grant takes its refresh tokens with it"
    );
}
