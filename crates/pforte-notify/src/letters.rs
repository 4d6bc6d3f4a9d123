//! [`LetterNotifier`]: the adapter of the letter channel (R-RG-4 activation
//! letters, R-PW-3 initial-password letters). Instead of sending, it puts the
//! letter into the print queue ([`LetterQueue`], sealed), from where
//! `pforte letters export` prints it into the next batch for the print
//! service ([`crate::print`]).
//!
//! The letter is rendered first, like every adapter does, so an unknown
//! template or a missing parameter fails when the letter is asked for, not at
//! the export. With an outbox (`notify.letter = "queue_and_outbox"`, the
//! development setting) the letter is also copied to the dev outbox, where
//! tests and the admin console read the code; the queue stays the one source
//! of what is printed.

use crate::texts;
use async_trait::async_trait;
use pforte_identity::factor::OutboundMessage;
use pforte_identity::letters::LetterQueue;
use pforte_identity::ports::{Notifier, NotifyError};
use std::sync::Arc;

/// Queues letters for printing, and copies them to the outbox if given one.
#[derive(Clone)]
pub struct LetterNotifier {
    queue: Arc<LetterQueue>,
    outbox: Option<Arc<dyn Notifier>>,
}

impl LetterNotifier {
    pub fn new(queue: Arc<LetterQueue>) -> Self {
        Self {
            queue,
            outbox: None,
        }
    }

    /// Also hands every queued letter to `outbox` (the dev outbox).
    pub fn with_outbox(mut self, outbox: Arc<dyn Notifier>) -> Self {
        self.outbox = Some(outbox);
        self
    }
}

impl std::fmt::Debug for LetterNotifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LetterNotifier")
            .field("outbox", &self.outbox.is_some())
            .finish()
    }
}

#[async_trait]
impl Notifier for LetterNotifier {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        texts::render(message).map_err(|err| NotifyError::Failed(err.to_string()))?;
        self.queue
            .queue(message)
            .await
            .map_err(|err| NotifyError::Failed(format!("letter queue: {err}")))?;
        if let Some(outbox) = &self.outbox {
            outbox.send(message).await?;
        }
        Ok(())
    }
}
