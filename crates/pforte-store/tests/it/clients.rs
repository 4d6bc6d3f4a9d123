//! ClientStore: registration records survive the round trip unchanged, ids are
//! unique, removal cascades to what was issued to the client.

use crate::fixtures::{client, client_with_grant, native_client};
use pforte_oauth::ports::{ClientStore, GrantStore};
use pforte_store::SqlStore;
use pforte_types::StoreError;

pub async fn clients_round_trip_through_insert_get_and_list(store: &SqlStore) {
    let web = client("web");
    let app = native_client("app");
    store.insert_client(&web).await.unwrap();
    store.insert_client(&app).await.unwrap();

    assert_eq!(store.get_client("web").await.unwrap(), Some(web.clone()));
    assert_eq!(store.get_client("app").await.unwrap(), Some(app.clone()));
    assert_eq!(store.get_client("nobody").await.unwrap(), None);
    assert_eq!(store.list_clients().await.unwrap(), vec![app, web]);
}

pub async fn inserting_a_taken_client_id_is_a_conflict(store: &SqlStore) {
    store.insert_client(&client("web")).await.unwrap();
    let again = store.insert_client(&native_client("web")).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(store.get_client("web").await.unwrap(), Some(client("web")));
}

pub async fn removing_a_client_reports_whether_it_existed(store: &SqlStore) {
    store.insert_client(&client("web")).await.unwrap();
    assert!(store.remove_client("web").await.unwrap());
    assert!(!store.remove_client("web").await.unwrap());
    assert_eq!(store.get_client("web").await.unwrap(), None);
    assert!(store.list_clients().await.unwrap().is_empty());
}

pub async fn removing_a_client_removes_its_grants(store: &SqlStore) {
    let grant = client_with_grant(store, "web", "g-1").await;
    store.remove_client("web").await.unwrap();
    assert_eq!(store.get_grant(&grant.grant_id).await.unwrap(), None);
}

pub async fn r_ac_2_client_default_and_minimum_levels_round_trip(store: &SqlStore) {
    let mut strict = client("strict");
    strict.default_acr_values = vec!["loa-substantial".to_owned(), "loa-high".to_owned()];
    strict.minimum_acr = Some("loa-substantial".to_owned());
    let plain = client("plain");
    store.insert_client(&strict).await.unwrap();
    store.insert_client(&plain).await.unwrap();
    assert_eq!(store.get_client("strict").await.unwrap(), Some(strict));
    let plain_read = store.get_client("plain").await.unwrap().unwrap();
    assert!(plain_read.default_acr_values.is_empty());
    assert_eq!(plain_read.minimum_acr, None);
}

pub async fn r_se_2_client_logout_endpoints_round_trip(store: &SqlStore) {
    let mut notified = client("notified");
    notified.logout = pforte_oauth::model::LogoutEndpoints {
        backchannel_uri: Some("https://rp.example/bcl".to_owned()),
        backchannel_session_required: true,
        frontchannel_uri: Some("https://rp.example/fcl".to_owned()),
        frontchannel_session_required: true,
    };
    store.insert_client(&notified).await.unwrap();
    store.insert_client(&client("plain")).await.unwrap();
    assert_eq!(store.get_client("notified").await.unwrap(), Some(notified));
    let plain = store.get_client("plain").await.unwrap().unwrap();
    assert_eq!(
        plain.logout,
        pforte_oauth::model::LogoutEndpoints::default()
    );
}

pub async fn r_op_1_updating_a_client_replaces_its_record_but_not_its_grants(store: &SqlStore) {
    let grant = client_with_grant(store, "web", "g-1").await;
    let mut edited = store.get_client("web").await.unwrap().unwrap();
    edited.name = Some("Kundenportal".to_owned());
    edited.redirect_uris = vec!["https://portal.example/new".to_owned()];
    edited.minimum_acr = Some("loa-substantial".to_owned());
    edited.require_par = true;
    edited.secret_digest = Some("hmac-sha256:bmV3".to_owned());
    assert!(store.update_client(&edited).await.unwrap());
    assert_eq!(store.get_client("web").await.unwrap(), Some(edited));
    assert!(store.get_grant(&grant.grant_id).await.unwrap().is_some());
    assert!(!store.update_client(&client("nobody")).await.unwrap());
    assert_eq!(store.get_client("nobody").await.unwrap(), None);
}

pub async fn r_op_2_client_brand_round_trips(store: &SqlStore) {
    let mut branded = client("branded");
    branded.brand = Some("nordlicht".to_owned());
    store.insert_client(&branded).await.unwrap();
    store.insert_client(&client("plain")).await.unwrap();
    assert_eq!(store.get_client("branded").await.unwrap(), Some(branded));
    let plain = store.get_client("plain").await.unwrap().unwrap();
    assert_eq!(plain.brand, None);
}
