//! The print queue of letters by post (R-RG-4 activation letters, R-PW-3
//! initial-password letters).
//!
//! A letter arrives as an [`OutboundMessage`] on [`Channel::Letter`] whose
//! `to` is the postal address, one line per address line (DIN 5008 order, as
//! [`crate::member::Member::postal_address_lines`] gives it). The
//! [`LetterQueue`] seals the address and the parameters (which hold the
//! activation code or the initial password) with the master key, bound to the
//! letter's id (R-OP-4), and stores the letter through the [`LetterStore`]
//! port. `pforte letters export` reads the pending letters back opened,
//! prints them into one batch and then marks them exported, with one
//! `letters_exported` audit event, in one transaction.
//!
//! A new letter of the same template for the same account supersedes a
//! pending one: its code or password is no longer valid.

use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::factor::{Channel, OutboundMessage};
use crate::ports::{LetterStore, StoredLetter};
use chrono::{DateTime, Utc};
use pforte_crypto::MasterKey;
use pforte_types::{AccountId, Clock, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// At most this many address lines fit the address window (DIN 5008 type B
/// leaves room for six below the return-address line).
pub const MAX_ADDRESS_LINES: usize = 6;
/// Longer address lines would run out of the window.
pub const MAX_ADDRESS_LINE_CHARS: usize = 60;

/// What is sealed: the address and the template parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterContent {
    /// The address lines, recipient name first.
    pub address: Vec<String>,
    pub params: BTreeMap<String, String>,
}

/// A queued letter, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub id: Uuid,
    pub account_id: Option<AccountId>,
    pub template: String,
    pub language: String,
    pub address: Vec<String>,
    pub params: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub exported_at: Option<DateTime<Utc>>,
    pub batch_id: Option<Uuid>,
}

impl Letter {
    /// The recipient's name (the first address line).
    pub fn recipient_name(&self) -> &str {
        self.address.first().map_or("", String::as_str)
    }

    /// The postal code: the first word of the last address line when it is
    /// five digits (German addresses), otherwise empty.
    pub fn postal_code(&self) -> &str {
        self.address
            .last()
            .and_then(|line| line.split_whitespace().next())
            .filter(|word| word.len() == 5 && word.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or("")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error("not a letter: the message is for the {0} channel")]
    NotALetter(&'static str),
    #[error("the postal address is not usable: {0}")]
    Address(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a letter cannot be sealed or opened: {0}")]
    Sealing(String),
}

/// Splits and checks a postal address given as lines joined by `\n`.
pub fn address_lines(to: &str) -> Result<Vec<String>, LetterError> {
    let lines: Vec<String> = to
        .split('\n')
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect();
    if lines.len() < 2 {
        return Err(LetterError::Address(
            "it needs at least a name and a town line",
        ));
    }
    if lines.len() > MAX_ADDRESS_LINES {
        return Err(LetterError::Address(
            "more than six lines do not fit the window",
        ));
    }
    if lines.iter().any(|line| line.chars().any(char::is_control)) {
        return Err(LetterError::Address("a line holds a control character"));
    }
    if lines
        .iter()
        .any(|line| line.chars().count() > MAX_ADDRESS_LINE_CHARS)
    {
        return Err(LetterError::Address("a line is longer than 60 characters"));
    }
    Ok(lines)
}

/// Queues, lists and marks letters by post.
pub struct LetterQueue {
    store: Arc<dyn LetterStore>,
    master: Arc<MasterKey>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for LetterQueue {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LetterQueue")
            .finish_non_exhaustive()
    }
}

impl LetterQueue {
    pub fn new(store: Arc<dyn LetterStore>, master: Arc<MasterKey>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            master,
            clock,
        }
    }

    /// Seals and queues a letter; a pending letter of the same template for
    /// the same account is superseded. The letter keeps the message's id.
    pub async fn queue(&self, message: &OutboundMessage) -> Result<Uuid, LetterError> {
        if message.channel != Channel::Letter {
            return Err(LetterError::NotALetter(message.channel.as_str()));
        }
        let content = LetterContent {
            address: address_lines(&message.to)?,
            params: message.params.clone(),
        };
        let stored = StoredLetter {
            id: message.id,
            account_id: message.account_id,
            template: message.template.clone(),
            language: message.language.clone(),
            sealed: self.seal(message.id, &content)?,
            created_at: self.clock.now(),
            exported_at: None,
            batch_id: None,
        };
        self.store
            .queue_letter(&stored, message.account_id.is_some())
            .await?;
        Ok(message.id)
    }

    /// Every pending letter, opened, oldest first.
    pub async fn pending(&self) -> Result<Vec<Letter>, LetterError> {
        self.store
            .pending_letters()
            .await?
            .iter()
            .map(|stored| self.open(stored))
            .collect()
    }

    /// The letters of an account, newest first (admin console, tests).
    pub async fn of_account(&self, account: AccountId) -> Result<Vec<Letter>, LetterError> {
        self.store
            .letters_of_account(account)
            .await?
            .iter()
            .map(|stored| self.open(stored))
            .collect()
    }

    /// Marks the letters exported in `batch`, with a `letters_exported`
    /// audit event, in one transaction. Call it only after the batch files
    /// are safely written: a letter marked exported is never printed again.
    pub async fn mark_exported(
        &self,
        ids: &[Uuid],
        batch: Uuid,
        context: &RequestContext,
    ) -> Result<DateTime<Utc>, LetterError> {
        let at = self.clock.now();
        let event = AuditEvent {
            operator: None,
            at,
            kind: AuditKind::LettersExported,
            account: None,
            username: None,
            client: context.client_id.clone(),
            ip: context.ip.map(|ip| ip.to_string()),
            user_agent: context.user_agent.clone(),
            request_id: context.request_id.clone(),
            detail: Some(format!("batch={batch} letters={}", ids.len())),
        };
        self.store
            .mark_letters_exported(ids, batch, at, event)
            .await?;
        Ok(at)
    }

    fn seal(&self, id: Uuid, content: &LetterContent) -> Result<Vec<u8>, LetterError> {
        let json =
            serde_json::to_vec(content).map_err(|error| LetterError::Sealing(error.to_string()))?;
        self.master
            .encrypt(&json, id.as_bytes())
            .map_err(|error| LetterError::Sealing(error.to_string()))
    }

    fn open(&self, stored: &StoredLetter) -> Result<Letter, LetterError> {
        let json = self
            .master
            .decrypt(&stored.sealed, stored.id.as_bytes())
            .map_err(|error| LetterError::Sealing(error.to_string()))?;
        let content: LetterContent = serde_json::from_slice(&json)
            .map_err(|error| LetterError::Sealing(error.to_string()))?;
        Ok(Letter {
            id: stored.id,
            account_id: stored.account_id,
            template: stored.template.clone(),
            language: stored.language.clone(),
            address: content.address,
            params: content.params,
            created_at: stored.created_at,
            exported_at: stored.exported_at,
            batch_id: stored.batch_id,
        })
    }
}

#[cfg(test)]
#[path = "letters_tests.rs"]
mod tests;
