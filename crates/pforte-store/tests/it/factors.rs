//! FactorStore: enrolled factors round-trip with their audit events, belong
//! to one account (R-MF-1), a TOTP step and a recovery code are accepted once
//! even under parallel use (R-MF-2, R-MF-3).

use crate::fixtures::{account, secs, t0};
use pforte_identity::audit::{AuditEvent, AuditKind, AuditQuery};
use pforte_identity::factor::{EnrolledFactor, FactorId};
use pforte_identity::ports::{AccountStore, FactorStore, LockoutStore};
use pforte_store::SqlStore;
use pforte_types::{AccountId, Method, StoreError};

pub fn event(kind: AuditKind, account: AccountId, detail: &str) -> AuditEvent {
    AuditEvent {
        operator: None,
        at: t0(),
        kind,
        account: Some(account),
        username: Some("erika".to_owned()),
        client: None,
        ip: Some("192.0.2.7".to_owned()),
        user_agent: None,
        request_id: Some("req-1".to_owned()),
        detail: Some(detail.to_owned()),
    }
}

/// The kinds and details of the account's audit trail, oldest first.
pub async fn trail(store: &SqlStore, account: AccountId) -> Vec<(AuditKind, String)> {
    store
        .audit_events(&AuditQuery {
            account: Some(account),
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|event| (event.kind, event.detail.unwrap_or_default()))
        .collect()
}

fn totp(account: AccountId) -> EnrolledFactor {
    EnrolledFactor {
        id: FactorId::new(),
        account_id: account,
        method: Method::Totp,
        label: "Handy".to_owned(),
        secret_sealed: Some(vec![0, 1, 2, 254, 255]),
        public_data: None,
        credential_id: None,
        confirmed: false,
        last_totp_step: None,
        created_at: t0(),
        last_used_at: None,
    }
}

fn webauthn(account: AccountId) -> EnrolledFactor {
    EnrolledFactor {
        method: Method::Webauthn,
        label: "YubiKey blau".to_owned(),
        secret_sealed: None,
        public_data: Some(r#"{"cred":"AQID","counter":7}"#.to_owned()),
        credential_id: Some("AQID".to_owned()),
        confirmed: true,
        last_totp_step: Some(59_666_666),
        created_at: t0() + secs(1),
        last_used_at: Some(t0() + secs(2)),
        ..totp(account)
    }
}

/// An account with one unconfirmed TOTP factor.
async fn account_with_totp(store: &SqlStore, name: &str) -> (AccountId, EnrolledFactor) {
    let owner = account(name);
    store.insert_account(&owner).await.unwrap();
    let factor = totp(owner.id);
    store.insert_factor(&factor, &[]).await.unwrap();
    (owner.id, factor)
}

pub async fn r_mf_1_factors_round_trip_oldest_first_with_their_enrolment_events(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let key = webauthn(erika.id);
    let app = totp(erika.id);
    store
        .insert_factor(
            &key,
            &[event(AuditKind::FactorEnrolled, erika.id, "webauthn")],
        )
        .await
        .unwrap();
    store
        .insert_factor(&app, &[event(AuditKind::FactorEnrolled, erika.id, "totp")])
        .await
        .unwrap();
    assert_eq!(
        store.factors(erika.id).await.unwrap(),
        vec![app.clone(), key.clone()]
    );
    assert_eq!(store.factor(key.id).await.unwrap(), Some(key));
    assert_eq!(store.factor(FactorId::new()).await.unwrap(), None);
    assert_eq!(store.factors(AccountId::new()).await.unwrap(), vec![]);
    assert_eq!(
        trail(store, erika.id).await,
        vec![
            (AuditKind::FactorEnrolled, "webauthn".to_owned()),
            (AuditKind::FactorEnrolled, "totp".to_owned()),
        ]
    );
}

pub async fn r_mf_1_a_factor_of_an_unknown_account_is_refused_without_its_event(store: &SqlStore) {
    let stranger = AccountId::new();
    let result = store
        .insert_factor(
            &totp(stranger),
            &[event(AuditKind::FactorEnrolled, stranger, "totp")],
        )
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(trail(store, stranger).await, vec![]);
}

pub async fn r_mf_1_a_webauthn_credential_is_registered_to_one_account_only(store: &SqlStore) {
    let erika = account("erika");
    let max = account("max");
    store.insert_account(&erika).await.unwrap();
    store.insert_account(&max).await.unwrap();
    let key = webauthn(erika.id);
    store.insert_factor(&key, &[]).await.unwrap();
    // The same authenticator for another account, or again for the same one:
    // refused, and no event is written.
    for owner in [max.id, erika.id] {
        let copy = EnrolledFactor {
            id: FactorId::new(),
            ..webauthn(owner)
        };
        let result = store
            .insert_factor(&copy, &[event(AuditKind::FactorEnrolled, owner, "copy")])
            .await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
    assert_eq!(trail(store, max.id).await, vec![]);
    assert_eq!(store.factors(max.id).await.unwrap(), vec![]);
    // Factors without a credential id do not collide.
    store.insert_factor(&totp(max.id), &[]).await.unwrap();
    store.insert_factor(&totp(max.id), &[]).await.unwrap();
    assert_eq!(store.factors(max.id).await.unwrap().len(), 2);
}

pub async fn r_mf_1_confirming_marks_the_factor_proven_with_its_event(store: &SqlStore) {
    let (erika, factor) = account_with_totp(store, "erika").await;
    let at = t0() + secs(30);
    store
        .confirm_factor(
            factor.id,
            at,
            &[event(AuditKind::FactorVerified, erika, "confirmed")],
        )
        .await
        .unwrap();
    let stored = store.factor(factor.id).await.unwrap().unwrap();
    assert!(stored.confirmed);
    assert_eq!(stored.last_used_at, Some(at));
    let missing = store
        .confirm_factor(
            FactorId::new(),
            at,
            &[event(AuditKind::FactorVerified, erika, "ghost")],
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::Conflict(_))),
        "{missing:?}"
    );
    assert_eq!(
        trail(store, erika).await,
        vec![(AuditKind::FactorVerified, "confirmed".to_owned())]
    );
}

pub async fn r_mf_1_remove_factor_of_another_account_returns_false_and_keeps_it(store: &SqlStore) {
    let (erika, factor) = account_with_totp(store, "erika").await;
    let (mallory, _) = account_with_totp(store, "mallory").await;
    let removed = store
        .remove_factor(
            mallory,
            factor.id,
            &[event(AuditKind::FactorRemoved, mallory, "x")],
        )
        .await
        .unwrap();
    assert!(!removed);
    assert!(store.factor(factor.id).await.unwrap().is_some());
    assert_eq!(trail(store, mallory).await, vec![]);

    let removed = store
        .remove_factor(
            erika,
            factor.id,
            &[event(AuditKind::FactorRemoved, erika, "totp")],
        )
        .await
        .unwrap();
    assert!(removed);
    assert_eq!(store.factor(factor.id).await.unwrap(), None);
    assert_eq!(
        trail(store, erika).await,
        vec![(AuditKind::FactorRemoved, "totp".to_owned())]
    );
    assert!(!store.remove_factor(erika, factor.id, &[]).await.unwrap());
}

pub async fn r_mf_1_rename_factor_only_within_its_account(store: &SqlStore) {
    let (erika, factor) = account_with_totp(store, "erika").await;
    let (mallory, _) = account_with_totp(store, "mallory").await;
    assert!(
        !store
            .rename_factor(mallory, factor.id, "mine")
            .await
            .unwrap()
    );
    assert!(
        store
            .rename_factor(erika, factor.id, "Altes Handy")
            .await
            .unwrap()
    );
    assert!(
        !store
            .rename_factor(erika, FactorId::new(), "none")
            .await
            .unwrap()
    );
    let stored = store.factor(factor.id).await.unwrap().unwrap();
    assert_eq!(stored.label, "Altes Handy");
}

pub async fn r_mf_3_totp_step_is_accepted_once_and_only_forward(store: &SqlStore) {
    let (_, factor) = account_with_totp(store, "erika").await;
    let at = t0() + secs(60);
    assert!(store.advance_totp_step(factor.id, 100, at).await.unwrap());
    assert!(
        !store
            .advance_totp_step(factor.id, 100, at + secs(1))
            .await
            .unwrap()
    );
    assert!(
        !store
            .advance_totp_step(factor.id, 99, at + secs(2))
            .await
            .unwrap()
    );
    let stored = store.factor(factor.id).await.unwrap().unwrap();
    assert_eq!(stored.last_totp_step, Some(100));
    assert_eq!(stored.last_used_at, Some(at));
    assert!(
        store
            .advance_totp_step(factor.id, 101, at + secs(30))
            .await
            .unwrap()
    );
    assert!(
        !store
            .advance_totp_step(factor.id, u64::MAX, at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .advance_totp_step(FactorId::new(), 5, at)
            .await
            .unwrap()
    );
    let stored = store.factor(factor.id).await.unwrap().unwrap();
    assert_eq!(stored.last_totp_step, Some(101));
    assert_eq!(stored.last_used_at, Some(at + secs(30)));
}

pub async fn r_mf_3_totp_step_is_accepted_once_under_twenty_parallel_uses(store: &SqlStore) {
    let (_, factor) = account_with_totp(store, "erika").await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .advance_totp_step(factor.id, 59_666_667, t0())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if task.await.unwrap() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1, "exactly one request may use the code");
}

pub async fn r_mf_1_public_data_and_use_are_recorded(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let key = webauthn(erika.id);
    store.insert_factor(&key, &[]).await.unwrap();
    let at = t0() + secs(90);
    store
        .update_public_data(key.id, r#"{"cred":"AQID","counter":8}"#, at)
        .await
        .unwrap();
    let stored = store.factor(key.id).await.unwrap().unwrap();
    assert_eq!(
        stored.public_data.as_deref(),
        Some(r#"{"cred":"AQID","counter":8}"#)
    );
    assert_eq!(stored.last_used_at, Some(at));
    store.touch_factor(key.id, at + secs(5)).await.unwrap();
    let stored = store.factor(key.id).await.unwrap().unwrap();
    assert_eq!(stored.last_used_at, Some(at + secs(5)));
    assert_eq!(stored.label, key.label);
}

fn digests(prefix: &str) -> Vec<String> {
    (0..10)
        .map(|n| format!("hmac-sha256:{prefix}{n}"))
        .collect()
}

pub async fn r_mf_2_new_recovery_codes_void_the_old_ones_with_their_event(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    assert_eq!(store.recovery_codes_left(erika.id).await.unwrap(), 0);
    let first = digests("a");
    store
        .replace_recovery_codes(
            erika.id,
            &first,
            t0(),
            &[event(AuditKind::RecoveryCodesIssued, erika.id, "count=10")],
        )
        .await
        .unwrap();
    assert_eq!(store.recovery_codes_left(erika.id).await.unwrap(), 10);
    assert!(
        store
            .consume_recovery_code(erika.id, &first[0], t0())
            .await
            .unwrap()
    );
    assert_eq!(store.recovery_codes_left(erika.id).await.unwrap(), 9);

    let second = digests("b");
    store
        .replace_recovery_codes(
            erika.id,
            &second,
            t0() + secs(60),
            &[event(
                AuditKind::RecoveryCodesIssued,
                erika.id,
                "count=10 again",
            )],
        )
        .await
        .unwrap();
    assert_eq!(store.recovery_codes_left(erika.id).await.unwrap(), 10);
    assert!(
        !store
            .consume_recovery_code(erika.id, &first[1], t0())
            .await
            .unwrap()
    );
    assert!(
        store
            .consume_recovery_code(erika.id, &second[1], t0())
            .await
            .unwrap()
    );
    assert_eq!(
        trail(store, erika.id).await,
        vec![
            (AuditKind::RecoveryCodesIssued, "count=10".to_owned()),
            (AuditKind::RecoveryCodesIssued, "count=10 again".to_owned()),
        ]
    );
}

pub async fn r_mf_2_a_recovery_code_is_single_use_and_per_account(store: &SqlStore) {
    let erika = account("erika");
    let max = account("max");
    store.insert_account(&erika).await.unwrap();
    store.insert_account(&max).await.unwrap();
    let codes = digests("c");
    store
        .replace_recovery_codes(erika.id, &codes, t0(), &[])
        .await
        .unwrap();
    assert!(
        !store
            .consume_recovery_code(max.id, &codes[3], t0())
            .await
            .unwrap()
    );
    assert!(
        !store
            .consume_recovery_code(erika.id, "hmac-sha256:wrong", t0())
            .await
            .unwrap()
    );
    assert!(
        store
            .consume_recovery_code(erika.id, &codes[3], t0())
            .await
            .unwrap()
    );
    assert!(
        !store
            .consume_recovery_code(erika.id, &codes[3], t0())
            .await
            .unwrap()
    );
    assert_eq!(store.recovery_codes_left(erika.id).await.unwrap(), 9);
    assert_eq!(store.recovery_codes_left(max.id).await.unwrap(), 0);
}

pub async fn r_mf_2_a_recovery_code_is_consumed_once_under_twenty_parallel_uses(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let codes = digests("d");
    store
        .replace_recovery_codes(erika.id, &codes, t0(), &[])
        .await
        .unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let digest = codes[0].clone();
            tokio::spawn(async move {
                store
                    .consume_recovery_code(erika.id, &digest, t0())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        if task.await.unwrap() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1, "exactly one request may use the code");
    assert_eq!(store.recovery_codes_left(erika.id).await.unwrap(), 9);
}
