//! GrantStore, single-use records: a PAR request_uri is taken once (RFC 9126
//! 2.2), a client assertion `jti` is accepted once per client (RFC 7523 3, OIDC
//! Core 9), revoked access tokens stay revoked (RFC 7009), and purging removes
//! exactly what has expired.

use crate::fixtures::{
    GrantBackend, client_with_grant, code, pushed_request, refresh_token, secs, t0,
};
use pforte_oauth::model::{CodeConsumption, RefreshConsumption};
use std::sync::Arc;
use tokio::sync::Barrier;

const PARALLEL_TAKERS: usize = 50;

pub async fn rfc9126_pushed_request_is_taken_exactly_once<S: GrantBackend>(store: &S) {
    let request = pushed_request("par-1", "web");
    store.insert_pushed_request(&request).await.unwrap();

    assert_eq!(
        store.take_pushed_request("par-1").await.unwrap(),
        Some(request)
    );
    assert_eq!(store.take_pushed_request("par-1").await.unwrap(), None);
    assert_eq!(
        store.take_pushed_request("par-unknown").await.unwrap(),
        None
    );
}

pub async fn rfc9126_pushed_request_is_taken_by_one_of_many_parallel_takers<S: GrantBackend>(
    store: &S,
) {
    store
        .insert_pushed_request(&pushed_request("contested", "web"))
        .await
        .unwrap();
    let start = Arc::new(Barrier::new(PARALLEL_TAKERS));
    let takers: Vec<_> = (0..PARALLEL_TAKERS)
        .map(|_| {
            let store = store.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                store.take_pushed_request("contested").await.unwrap()
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

pub async fn rfc7523_assertion_jti_replay_is_detected_per_client<S: GrantBackend>(store: &S) {
    let expires = t0() + secs(300);
    assert!(
        store
            .remember_assertion_jti("web", "jti-1", expires)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remember_assertion_jti("web", "jti-1", expires)
            .await
            .unwrap(),
        "replay"
    );
    assert!(
        store
            .remember_assertion_jti("other", "jti-1", expires)
            .await
            .unwrap(),
        "another client's jti is its own"
    );
}

pub async fn rfc7009_access_token_revocation_is_remembered<S: GrantBackend>(store: &S) {
    assert!(!store.is_access_token_revoked("at-1").await.unwrap());
    store
        .revoke_access_token("at-1", t0() + secs(600))
        .await
        .unwrap();
    store
        .revoke_access_token("at-1", t0() + secs(600))
        .await
        .unwrap();
    assert!(store.is_access_token_revoked("at-1").await.unwrap());
    assert!(!store.is_access_token_revoked("at-2").await.unwrap());
}

pub async fn purge_expired_deletes_only_expired_artefacts<S: GrantBackend>(store: &S) {
    let grant = client_with_grant(store, "web", "g-1").await;
    let now = t0() + secs(1_000);

    let mut old_code = code("code-old", &grant);
    old_code.expires_at = now - secs(1);
    let mut live_code = code("code-live", &grant);
    live_code.expires_at = now + secs(1);
    store.insert_code(&old_code).await.unwrap();
    store.insert_code(&live_code).await.unwrap();

    let mut old_token = refresh_token("rt-old", &grant);
    old_token.expires_at = now - secs(1);
    store.insert_refresh_token(&old_token).await.unwrap();
    store
        .insert_refresh_token(&refresh_token("rt-live", &grant))
        .await
        .unwrap();

    let mut old_request = pushed_request("par-old", "web");
    old_request.expires_at = now - secs(1);
    let mut live_request = pushed_request("par-live", "web");
    live_request.expires_at = now + secs(1);
    store.insert_pushed_request(&old_request).await.unwrap();
    store.insert_pushed_request(&live_request).await.unwrap();

    store
        .remember_assertion_jti("web", "jti-old", now - secs(1))
        .await
        .unwrap();
    store
        .remember_assertion_jti("web", "jti-live", now + secs(1))
        .await
        .unwrap();
    store
        .revoke_access_token("at-old", now - secs(1))
        .await
        .unwrap();
    store
        .revoke_access_token("at-live", now + secs(1))
        .await
        .unwrap();

    assert_eq!(store.purge_expired(now).await.unwrap(), 5);
    assert_eq!(store.purge_expired(now).await.unwrap(), 0);

    assert_eq!(
        store.consume_code("code-old").await.unwrap(),
        CodeConsumption::Unknown
    );
    assert!(matches!(
        store.consume_code("code-live").await.unwrap(),
        CodeConsumption::Fresh(_)
    ));
    assert_eq!(
        store.consume_refresh_token("rt-old", now).await.unwrap(),
        RefreshConsumption::Unknown
    );
    assert!(matches!(
        store.consume_refresh_token("rt-live", now).await.unwrap(),
        RefreshConsumption::Fresh(_)
    ));
    assert_eq!(store.take_pushed_request("par-old").await.unwrap(), None);
    assert_eq!(
        store.take_pushed_request("par-live").await.unwrap(),
        Some(live_request)
    );
    assert!(
        store
            .remember_assertion_jti("web", "jti-old", now + secs(300))
            .await
            .unwrap(),
        "a purged jti may be seen again: its assertion has expired anyway"
    );
    assert!(
        !store
            .remember_assertion_jti("web", "jti-live", now + secs(300))
            .await
            .unwrap()
    );
    assert!(!store.is_access_token_revoked("at-old").await.unwrap());
    assert!(store.is_access_token_revoked("at-live").await.unwrap());
}
