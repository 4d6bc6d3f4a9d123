//! The dev outbox keeps the message with its parameters and the rendered
//! text, behind the channel router.

use crate::message;
use async_trait::async_trait;
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_identity::ports::{Notifier, NotifyError, OutboxQuery, OutboxStore};
use pforte_notify::{BODY_KEY, ChannelRouter, OutboxNotifier, SUBJECT_KEY};
use pforte_types::StoreError;
use std::sync::{Arc, Mutex};

/// An outbox store in a vector.
#[derive(Default)]
struct FakeOutbox {
    messages: Mutex<Vec<OutboundMessage>>,
}

#[async_trait]
impl OutboxStore for FakeOutbox {
    async fn append_outbox(&self, message: &OutboundMessage) -> Result<(), StoreError> {
        self.messages.lock().unwrap().push(message.clone());
        Ok(())
    }

    async fn outbox(&self, query: &OutboxQuery) -> Result<Vec<OutboundMessage>, StoreError> {
        let messages = self.messages.lock().unwrap();
        let matching = messages.iter().rev().filter(|m| {
            query.channel.is_none_or(|c| c == m.channel)
                && query.to.as_ref().is_none_or(|to| *to == m.to)
                && query.account.is_none_or(|a| Some(a) == m.account_id)
        });
        let limit = query.limit.map_or(usize::MAX, |n| n as usize);
        Ok(matching.take(limit).cloned().collect())
    }
}

fn outbox_router() -> (Arc<FakeOutbox>, ChannelRouter) {
    let store = Arc::new(FakeOutbox::default());
    let router = ChannelRouter::all(Arc::new(OutboxNotifier::new(store.clone())));
    (store, router)
}

#[tokio::test]
async fn r_mf_3_outbox_keeps_parameters_and_rendered_text() {
    let (store, router) = outbox_router();
    let email = message(Channel::Email, "erika@example.org", "login_code", "de");
    let sms = message(Channel::Sms, "+4915112345678", "enrol_code", "en");
    router.send(&email).await.unwrap();
    router.send(&sms).await.unwrap();

    let all = store.outbox(&OutboxQuery::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, sms.id, "newest first");

    let stored = &all[1];
    assert_eq!(stored.params["code"], "428817");
    assert_eq!(stored.params[SUBJECT_KEY], "Ihr Anmeldecode");
    assert!(stored.params[BODY_KEY].contains("428817"));
    let mut without_text = stored.clone();
    without_text.params.remove(SUBJECT_KEY);
    without_text.params.remove(BODY_KEY);
    assert_eq!(without_text, email, "everything else is kept as sent");

    let sms_stored = &all[0];
    assert!(
        !sms_stored.params.contains_key(SUBJECT_KEY),
        "an SMS has no subject"
    );
    assert!(sms_stored.params[BODY_KEY].starts_with("Code to confirm this number"));

    let only_sms = store
        .outbox(&OutboxQuery {
            channel: Some(Channel::Sms),
            ..OutboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(only_sms.len(), 1);
}

#[tokio::test]
async fn unknown_template_fails_and_stores_nothing() {
    let (store, router) = outbox_router();
    let result = router
        .send(&message(
            Channel::Email,
            "erika@example.org",
            "newsletter",
            "de",
        ))
        .await;
    assert!(matches!(result, Err(NotifyError::Failed(reason)) if reason.contains("newsletter")));
    assert!(
        store
            .outbox(&OutboxQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_channel_without_adapter_is_refused() {
    let store = Arc::new(FakeOutbox::default());
    let router =
        ChannelRouter::new().with(Channel::Email, Arc::new(OutboxNotifier::new(store.clone())));
    assert!(router.handles(Channel::Email));
    assert!(!router.handles(Channel::Sms));
    let result = router
        .send(&message(Channel::Sms, "+4915112345678", "login_code", "de"))
        .await;
    assert!(matches!(result, Err(NotifyError::NoAdapter("sms"))));
    assert!(
        store
            .outbox(&OutboxQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
}
