//! AccountStore and SubjectClaimsSource: usernames are unique and found
//! case-insensitively (R-ID-1), claims come from the account (OIDC Core 5.1).

use crate::fixtures::{account, secs, t0};
use pforte_identity::ports::{AccountStore, BirthdateStore};
use pforte_oauth::model::SubjectClaims;
use pforte_oauth::ports::SubjectClaimsSource;
use pforte_store::SqlStore;
use pforte_types::{AccountId, StoreError};

pub async fn accounts_round_trip_and_are_found_by_username_in_any_case(store: &SqlStore) {
    let erika = account("Erika.Mustermann");
    let max = account("max");
    store.insert_account(&erika).await.unwrap();
    store.insert_account(&max).await.unwrap();

    assert_eq!(
        store.get_account(erika.id).await.unwrap(),
        Some(erika.clone())
    );
    assert_eq!(store.get_account(AccountId::new()).await.unwrap(), None);
    for spelling in ["Erika.Mustermann", "erika.mustermann", "ERIKA.MUSTERMANN"] {
        assert_eq!(
            store.find_by_username(spelling).await.unwrap(),
            Some(erika.clone()),
            "{spelling}"
        );
    }
    assert_eq!(store.find_by_username("erika").await.unwrap(), None);
    assert_eq!(store.list_accounts().await.unwrap(), vec![erika, max]);
}

pub async fn r_id_1_usernames_differing_only_in_case_conflict(store: &SqlStore) {
    store.insert_account(&account("Erika")).await.unwrap();
    let twin = store.insert_account(&account("eRIKA")).await;
    assert!(matches!(twin, Err(StoreError::Conflict(_))), "{twin:?}");
    assert_eq!(store.list_accounts().await.unwrap().len(), 1);
}

pub async fn inserting_a_taken_account_id_is_a_conflict(store: &SqlStore) {
    let erika = account("erika");
    store.insert_account(&erika).await.unwrap();
    let same_id = pforte_identity::account::Account {
        username: "someone-else".to_owned(),
        ..erika
    };
    let again = store.insert_account(&same_id).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
}

pub async fn r_pw_1_setting_the_password_hash_replaces_it_and_touches_updated_at(store: &SqlStore) {
    let erika = account("erika");
    let max = account("max");
    store.insert_account(&erika).await.unwrap();
    store.insert_account(&max).await.unwrap();

    let later = t0() + secs(3_600);
    store
        .set_password_hash(erika.id, "$argon2id$v=19$m=65536,t=3,p=1$bmV3$bmV3", later)
        .await
        .unwrap();

    let changed = store.get_account(erika.id).await.unwrap().unwrap();
    assert_eq!(
        changed.password_hash,
        "$argon2id$v=19$m=65536,t=3,p=1$bmV3$bmV3"
    );
    assert_eq!(changed.updated_at, later);
    assert_eq!(changed.created_at, erika.created_at);
    assert_eq!(store.get_account(max.id).await.unwrap(), Some(max));
    // An account that does not exist is left alone without error.
    store
        .set_password_hash(AccountId::new(), "x", later)
        .await
        .unwrap();
}

pub async fn oidc_core_5_1_subject_claims_come_from_the_account(store: &SqlStore) {
    let erika = account("Erika");
    store.insert_account(&erika).await.unwrap();

    let claims = store.subject_claims(erika.id).await.unwrap();
    assert_eq!(
        claims,
        Some(SubjectClaims {
            preferred_username: Some("Erika".to_owned()),
            given_name: Some("Erika".to_owned()),
            family_name: Some("Mustermann".to_owned()),
            email: Some("erika@example.org".to_owned()),
            email_verified: true,
            phone_number: Some("+49 30 1234567".to_owned()),
            phone_number_verified: false,
            updated_at: Some(t0()),
            birthdate: None,
        })
    );
    assert_eq!(store.subject_claims(AccountId::new()).await.unwrap(), None);
    // OIDC Core 5.1 `birthdate`: from the account's member data, as
    // `YYYY-MM-DD`; setting it again replaces it.
    let day = |d| chrono::NaiveDate::from_ymd_opt(1980, 4, d).unwrap();
    store.set_birthdate(erika.id, day(1), t0()).await.unwrap();
    store.set_birthdate(erika.id, day(2), t0()).await.unwrap();
    assert_eq!(store.birthdate(erika.id).await.unwrap(), Some(day(2)));
    let claims = store.subject_claims(erika.id).await.unwrap().unwrap();
    assert_eq!(claims.birthdate.as_deref(), Some("1980-04-02"));
}

pub async fn r_id_1_login_by_verified_email_finds_exactly_one_account(store: &SqlStore) {
    let erika = account("Erika");
    let mut unverified = account("max");
    unverified.email_verified = false;
    let mut twin_a = account("twin-a");
    twin_a.email = Some("Shared@Example.org".to_owned());
    let mut twin_b = account("twin-b");
    twin_b.email = Some("shared@example.org".to_owned());
    for stored in [&erika, &unverified, &twin_a, &twin_b] {
        store.insert_account(stored).await.unwrap();
    }

    for spelling in ["erika@example.org", "ERIKA@example.ORG"] {
        assert_eq!(
            store.find_by_verified_email(spelling).await.unwrap(),
            Some(erika.clone()),
            "{spelling}"
        );
    }
    assert_eq!(
        store
            .find_by_verified_email("max@example.org")
            .await
            .unwrap(),
        None,
        "an unverified address never logs in"
    );
    assert_eq!(
        store
            .find_by_verified_email("shared@example.org")
            .await
            .unwrap(),
        None,
        "an address verified on two accounts is ambiguous"
    );
    assert_eq!(
        store
            .find_by_verified_email("nobody@example.org")
            .await
            .unwrap(),
        None
    );
}
