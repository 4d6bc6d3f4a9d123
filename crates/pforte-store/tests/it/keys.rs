//! KeyStore: one active key set (one key per algorithm) at a time; rotation retires the previous key
//! atomically, and retired keys are deleted only once their grace time is over.

use crate::fixtures::{secs, signing_key, t0};
use pforte_oauth::ports::KeyStore;
use pforte_store::SqlStore;
use pforte_types::StoreError;

pub async fn inserting_an_active_key_retires_the_previous_one(store: &SqlStore) {
    store
        .insert_active_keys(&[signing_key("k1", t0())])
        .await
        .unwrap();
    let k2_at = t0() + secs(86_400);
    store
        .insert_active_keys(&[signing_key("k2", k2_at)])
        .await
        .unwrap();
    let k3_at = k2_at + secs(86_400);
    store
        .insert_active_keys(&[signing_key("k3", k3_at)])
        .await
        .unwrap();

    let keys = store.list_keys().await.unwrap();
    let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids, ["k3", "k2", "k1"], "newest first");
    assert_eq!(keys[0], signing_key("k3", k3_at), "the new key is active");
    assert_eq!(keys[1].retired_at, Some(k3_at));
    assert_eq!(
        keys[2].retired_at,
        Some(k2_at),
        "a key retired earlier keeps its retirement time"
    );
}

pub async fn a_failed_key_insert_leaves_the_active_key_untouched(store: &SqlStore) {
    store
        .insert_active_keys(&[signing_key("k1", t0())])
        .await
        .unwrap();
    let duplicate = store
        .insert_active_keys(&[signing_key("k1", t0() + secs(60))])
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    let keys = store.list_keys().await.unwrap();
    assert_eq!(
        keys,
        vec![signing_key("k1", t0())],
        "rolled back as a whole"
    );
}

pub async fn delete_retired_before_removes_only_keys_retired_earlier(store: &SqlStore) {
    store
        .insert_active_keys(&[signing_key("k1", t0())])
        .await
        .unwrap();
    store
        .insert_active_keys(&[signing_key("k2", t0() + secs(100))])
        .await
        .unwrap();
    store
        .insert_active_keys(&[signing_key("k3", t0() + secs(200))])
        .await
        .unwrap();
    // k1 retired at +100, k2 at +200, k3 is active.

    assert_eq!(
        store.delete_retired_before(t0() + secs(100)).await.unwrap(),
        0
    );
    assert_eq!(
        store.delete_retired_before(t0() + secs(150)).await.unwrap(),
        1
    );
    assert_eq!(
        store
            .delete_retired_before(t0() + secs(1_000_000))
            .await
            .unwrap(),
        1,
        "the active key is never deleted"
    );
    let kids: Vec<String> = store
        .list_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, ["k3"]);
}

pub async fn a_key_set_of_several_algorithms_becomes_active_together(store: &SqlStore) {
    store
        .insert_active_keys(&[signing_key("old", t0())])
        .await
        .unwrap();
    let at = t0() + secs(3_600);
    let mut rsa = signing_key("rsa", at);
    rsa.alg = crate::fixtures::alg("RS256");
    let ec = signing_key("ec", at);
    store.insert_active_keys(&[rsa, ec]).await.unwrap();

    let keys = store.list_keys().await.unwrap();
    let active: Vec<&str> = keys
        .iter()
        .filter(|key| key.retired_at.is_none())
        .map(|key| key.kid.as_str())
        .collect();
    assert_eq!(active.len(), 2, "both new keys sign: {active:?}");
    assert!(active.contains(&"rsa") && active.contains(&"ec"));
    let old = keys.iter().find(|key| key.kid == "old").unwrap();
    assert_eq!(old.retired_at, Some(at));
    store.insert_active_keys(&[]).await.unwrap();
    assert_eq!(
        store.list_keys().await.unwrap().len(),
        3,
        "an empty set changes nothing"
    );
}
