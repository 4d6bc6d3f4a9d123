//! Outbound messages of Pforte: e-mail over SMTP, SMS through an HTTP
//! gateway, and a dev outbox, behind the `Notifier` port of
//! `pforte-identity` (DESIGN.md §2; R-MF-3, R-MF-4, R-RG-7).
//!
//! * [`texts`]: template + language + parameters → subject and body (German
//!   first, English; short texts for SMS and push).
//! * [`ChannelRouter`]: the `Notifier` the flows use; one adapter per
//!   channel, a missing one is [`NotifyError::NoAdapter`]; logs each message
//!   in one line without its parameters.
//! * [`SmtpNotifier`] ([`SmtpSettings`]), [`HttpSmsGateway`]
//!   ([`SmsGatewaySettings`]), [`OutboxNotifier`] (any `OutboxStore`).
//! * [`LetterNotifier`]: letters by post go into the sealed print queue
//!   (R-RG-4, R-PW-3); [`print`] lays the pending ones out as one PDF batch
//!   ([`pdf`], a small PDF 1.4 writer) with a CSV manifest.
//!
//! Push is a channel of the port whose adapter comes later; until then a
//! router without it refuses that channel.
//! The settings structs deserialize with `deny_unknown_fields` so that the
//! server can embed them in its configuration as they are.
//!
//! Must not depend on axum, tera, sea-orm or pforte-server.

pub mod letters;
pub mod outbox;
pub mod pdf;
pub mod print;
pub mod router;
pub mod sms_gateway;
pub mod smtp;
pub mod texts;

pub use letters::LetterNotifier;
pub use outbox::{BODY_KEY, OutboxNotifier, SUBJECT_KEY};
pub use pforte_identity::ports::{Notifier, NotifyError};
pub use router::ChannelRouter;
pub use sms_gateway::{HttpSmsGateway, SmsGatewayAuth, SmsGatewaySettings};
pub use smtp::{SmtpNotifier, SmtpSettings, SmtpTls};
pub use texts::{Rendered, TextError};

/// A setting an adapter cannot work with, found when it is built (at start,
/// not at the first message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("notify.{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}
