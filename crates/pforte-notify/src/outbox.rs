//! The dev outbox adapter: instead of sending, it stores the message in an
//! [`OutboxStore`] where the admin console, `pforte outbox list` and tests
//! read it (DESIGN.md §2).
//!
//! The stored message keeps the caller's parameters unchanged and adds the
//! rendered text under two reserved keys, [`SUBJECT_KEY`] and [`BODY_KEY`]
//! (`_subject` only for e-mail and letter). Template parameters never start
//! with `_`, so the two never collide; a reader that wants the code takes
//! `code`, one that wants to see what the user would have read takes `_body`.
//! Rendering first also means that a message the real adapters could not
//! send (unknown template, missing parameter) fails here too.

use crate::texts::{self, is_short};
use async_trait::async_trait;
use pforte_identity::factor::OutboundMessage;
use pforte_identity::ports::{Notifier, NotifyError, OutboxStore};
use std::sync::Arc;

/// The reserved parameter holding the rendered subject.
pub const SUBJECT_KEY: &str = "_subject";
/// The reserved parameter holding the rendered body.
pub const BODY_KEY: &str = "_body";

/// Stores every message in the outbox instead of sending it.
#[derive(Clone)]
pub struct OutboxNotifier {
    store: Arc<dyn OutboxStore>,
}

impl OutboxNotifier {
    pub fn new(store: Arc<dyn OutboxStore>) -> Self {
        Self { store }
    }
}

impl std::fmt::Debug for OutboxNotifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("OutboxNotifier")
    }
}

#[async_trait]
impl Notifier for OutboxNotifier {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        let rendered =
            texts::render(message).map_err(|err| NotifyError::Failed(err.to_string()))?;
        let mut stored = message.clone();
        if !is_short(message.channel) {
            stored
                .params
                .insert(SUBJECT_KEY.to_owned(), rendered.subject);
        }
        stored.params.insert(BODY_KEY.to_owned(), rendered.body);
        self.store
            .append_outbox(&stored)
            .await
            .map_err(|err| NotifyError::Failed(format!("outbox: {err}")))
    }
}
