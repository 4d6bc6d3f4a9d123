#![allow(clippy::unwrap_used)]

use super::*;
use async_trait::async_trait;
use chrono::TimeZone;
use pforte_types::ManualClock;
use std::sync::Mutex;

/// The store's contract in a vector.
#[derive(Default)]
struct FakeLetters {
    rows: Mutex<Vec<StoredLetter>>,
    events: Mutex<Vec<AuditEvent>>,
}

#[async_trait]
impl LetterStore for FakeLetters {
    async fn queue_letter(&self, letter: &StoredLetter, supersede: bool) -> Result<(), StoreError> {
        let mut rows = self.rows.lock().unwrap();
        if supersede {
            rows.retain(|row| {
                row.exported_at.is_some()
                    || row.account_id != letter.account_id
                    || row.template != letter.template
            });
        }
        rows.push(letter.clone());
        Ok(())
    }

    async fn pending_letters(&self) -> Result<Vec<StoredLetter>, StoreError> {
        Ok(self
            .rows
            .lock()
            .unwrap()
            .iter()
            .filter(|row| row.exported_at.is_none())
            .cloned()
            .collect())
    }

    async fn letters_of_account(
        &self,
        account: AccountId,
    ) -> Result<Vec<StoredLetter>, StoreError> {
        Ok(self
            .rows
            .lock()
            .unwrap()
            .iter()
            .rev()
            .filter(|row| row.account_id == Some(account))
            .cloned()
            .collect())
    }

    async fn mark_letters_exported(
        &self,
        ids: &[Uuid],
        batch: Uuid,
        at: DateTime<Utc>,
        event: AuditEvent,
    ) -> Result<(), StoreError> {
        let mut rows = self.rows.lock().unwrap();
        for row in rows.iter_mut().filter(|row| ids.contains(&row.id)) {
            row.exported_at = Some(at);
            row.batch_id = Some(batch);
        }
        self.events.lock().unwrap().push(event);
        Ok(())
    }
}

fn fixture() -> (Arc<FakeLetters>, LetterQueue) {
    let store = Arc::new(FakeLetters::default());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    ));
    let queue = LetterQueue::new(store.clone(), Arc::new(MasterKey::generate()), clock);
    (store, queue)
}

fn activation(account: Option<AccountId>, code: &str) -> OutboundMessage {
    OutboundMessage {
        id: Uuid::now_v7(),
        channel: Channel::Letter,
        to: "Erika Mustermann\nHauptstraße 5\n10115 Berlin".into(),
        template: "activation_letter".into(),
        language: "de".into(),
        params: [
            ("code".to_owned(), code.to_owned()),
            ("valid_until".to_owned(), "2027-03-01".to_owned()),
        ]
        .into_iter()
        .collect(),
        account_id: account,
        created_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    }
}

#[tokio::test]
async fn r_op_4_letters_are_stored_sealed_and_open_again() {
    let (store, queue) = fixture();
    let message = activation(None, "SI37-FF96-2013-0808-0903-3876");
    queue.queue(&message).await.unwrap();
    let stored = store.rows.lock().unwrap()[0].clone();
    let raw = String::from_utf8_lossy(&stored.sealed);
    assert!(!raw.contains("SI37"), "the code is not in clear");
    assert!(!raw.contains("Mustermann"), "the address is not in clear");
    assert_eq!(stored.template, "activation_letter");
    let pending = queue.pending().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, message.id);
    assert_eq!(
        pending[0].address,
        ["Erika Mustermann", "Hauptstraße 5", "10115 Berlin"]
    );
    assert_eq!(pending[0].params["code"], "SI37-FF96-2013-0808-0903-3876");
    assert_eq!(pending[0].recipient_name(), "Erika Mustermann");
    assert_eq!(pending[0].postal_code(), "10115");
}

#[tokio::test]
async fn r_op_4_a_sealed_letter_moved_to_another_id_does_not_open() {
    let (store, queue) = fixture();
    queue.queue(&activation(None, "A")).await.unwrap();
    store.rows.lock().unwrap()[0].id = Uuid::now_v7();
    assert!(matches!(
        queue.pending().await,
        Err(LetterError::Sealing(_))
    ));
}

#[tokio::test]
async fn r_rg_4_a_new_code_supersedes_the_pending_letter_of_the_account() {
    let (_, queue) = fixture();
    let account = AccountId::new();
    queue
        .queue(&activation(Some(account), "OLD"))
        .await
        .unwrap();
    queue
        .queue(&activation(Some(account), "NEW"))
        .await
        .unwrap();
    queue
        .queue(&activation(Some(AccountId::new()), "OTHER"))
        .await
        .unwrap();
    let pending = queue.pending().await.unwrap();
    let codes: Vec<&str> = pending.iter().map(|l| l.params["code"].as_str()).collect();
    assert_eq!(codes, ["NEW", "OTHER"]);
}

#[tokio::test]
async fn r_rg_4_exported_letters_leave_the_queue_with_one_audit_event() {
    let (store, queue) = fixture();
    let first = queue.queue(&activation(None, "A")).await.unwrap();
    let batch = Uuid::now_v7();
    queue
        .mark_exported(&[first], batch, &RequestContext::default())
        .await
        .unwrap();
    assert!(queue.pending().await.unwrap().is_empty());
    let events = store.events.lock().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, AuditKind::LettersExported);
    assert_eq!(
        events[0].detail.as_deref(),
        Some(format!("batch={batch} letters=1").as_str())
    );
}

#[tokio::test]
async fn r_rg_4_unusable_addresses_and_other_channels_are_refused() {
    let (_, queue) = fixture();
    let mut one_line = activation(None, "A");
    one_line.to = "Erika Mustermann".into();
    assert!(matches!(
        queue.queue(&one_line).await,
        Err(LetterError::Address(_))
    ));
    let mut long = activation(None, "A");
    long.to = format!("{}\n10115 Berlin", "x".repeat(61));
    assert!(matches!(
        queue.queue(&long).await,
        Err(LetterError::Address(_))
    ));
    let mut email = activation(None, "A");
    email.channel = Channel::Email;
    assert!(matches!(
        queue.queue(&email).await,
        Err(LetterError::NotALetter("email"))
    ));
}
