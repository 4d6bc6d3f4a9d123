//! OutboxStore: the dev outbox keeps each message as it was sent and reads
//! it back newest first, filtered by channel, recipient and account.

use crate::fixtures::{secs, t0};
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_identity::ports::{OutboxQuery, OutboxStore};
use pforte_store::SqlStore;
use pforte_types::AccountId;
use std::collections::BTreeMap;
use uuid::Uuid;

fn message(channel: Channel, to: &str, account: Option<AccountId>, at: i64) -> OutboundMessage {
    OutboundMessage {
        id: Uuid::now_v7(),
        channel,
        to: to.to_owned(),
        template: "login_code".to_owned(),
        language: "de".to_owned(),
        params: BTreeMap::from([
            ("code".to_owned(), "428817".to_owned()),
            ("valid_minutes".to_owned(), "10".to_owned()),
            (
                "_body".to_owned(),
                "Ihr Anmeldecode: 428817. Grüße\nZeile 2".to_owned(),
            ),
        ]),
        account_id: account,
        created_at: t0() + secs(at),
    }
}

/// Suite function.
pub async fn outbox_round_trips_newest_first_with_filters(store: &SqlStore) {
    let erika = AccountId(Uuid::now_v7());
    let first = message(Channel::Email, "erika@example.org", Some(erika), 0);
    let second = message(Channel::Sms, "+4915112345678", Some(erika), 1);
    // Same instant as `second`, created later: the id decides.
    let third = message(Channel::Sms, "+4915187654321", None, 1);
    for sent in [&first, &second, &third] {
        store.append_outbox(sent).await.unwrap();
    }

    let all = store.outbox(&OutboxQuery::default()).await.unwrap();
    assert_eq!(all, vec![third.clone(), second.clone(), first.clone()]);

    let sms = OutboxQuery {
        channel: Some(Channel::Sms),
        ..OutboxQuery::default()
    };
    assert_eq!(
        store.outbox(&sms).await.unwrap(),
        vec![third.clone(), second.clone()]
    );

    let to_erika = OutboxQuery {
        to: Some("erika@example.org".into()),
        ..OutboxQuery::default()
    };
    assert_eq!(store.outbox(&to_erika).await.unwrap(), vec![first.clone()]);

    let of_account = OutboxQuery {
        account: Some(erika),
        limit: Some(1),
        ..OutboxQuery::default()
    };
    assert_eq!(store.outbox(&of_account).await.unwrap(), vec![second]);

    let nobody = OutboxQuery {
        to: Some("nobody@example.org".into()),
        ..OutboxQuery::default()
    };
    assert!(store.outbox(&nobody).await.unwrap().is_empty());
}

/// Suite function: an id is stored once.
pub async fn outbox_appends_a_message_id_only_once(store: &SqlStore) {
    let sent = message(Channel::Email, "erika@example.org", None, 0);
    store.append_outbox(&sent).await.unwrap();
    let again = store.append_outbox(&sent).await;
    assert!(
        matches!(again, Err(pforte_types::StoreError::Conflict(_))),
        "{again:?}"
    );
}
