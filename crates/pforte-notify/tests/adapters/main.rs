//! The adapters against local stand-ins: an in-memory outbox store, an HTTP
//! server playing the SMS gateway and a minimal SMTP server, each on port 0.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod outbox;
mod sms_gateway;
mod smtp;

use chrono::{TimeZone, Utc};
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_types::AccountId;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A login code message for `to`.
pub fn message(channel: Channel, to: &str, template: &str, language: &str) -> OutboundMessage {
    OutboundMessage {
        id: Uuid::now_v7(),
        channel,
        to: to.to_owned(),
        template: template.to_owned(),
        language: language.to_owned(),
        params: BTreeMap::from([
            ("code".to_owned(), "428817".to_owned()),
            ("valid_minutes".to_owned(), "10".to_owned()),
        ]),
        account_id: Some(AccountId(Uuid::now_v7())),
        created_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap(),
    }
}
