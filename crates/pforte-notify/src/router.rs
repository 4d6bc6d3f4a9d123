//! [`ChannelRouter`]: the one [`Notifier`] the flows talk to. It hands each
//! message to the adapter configured for its channel (SMTP for e-mail, the
//! HTTP gateway for SMS, the outbox in development) and logs every hand-over
//! as one line — without the code or any other parameter, and with the
//! recipient masked, since log files are read by more people than messages
//! (R-MF-3; personal data in logs is kept to the minimum, R-OP-4).

use async_trait::async_trait;
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_identity::ports::{Notifier, NotifyError};
use std::collections::HashMap;
use std::sync::Arc;

/// One adapter per channel; a channel without one fails with
/// [`NotifyError::NoAdapter`], never silently.
#[derive(Clone, Default)]
pub struct ChannelRouter {
    adapters: HashMap<Channel, Arc<dyn Notifier>>,
}

impl ChannelRouter {
    /// A router without adapters.
    pub fn new() -> Self {
        Self::default()
    }

    /// A router that sends every channel to `adapter` (the dev outbox).
    pub fn all(adapter: Arc<dyn Notifier>) -> Self {
        [Channel::Email, Channel::Sms, Channel::Letter, Channel::Push]
            .into_iter()
            .fold(Self::new(), |router, channel| {
                router.with(channel, adapter.clone())
            })
    }

    /// Sets the adapter of `channel`, replacing an earlier one.
    pub fn with(mut self, channel: Channel, adapter: Arc<dyn Notifier>) -> Self {
        self.adapters.insert(channel, adapter);
        self
    }

    /// Whether `channel` has an adapter (a flow offers SMS only when it does).
    pub fn handles(&self, channel: Channel) -> bool {
        self.adapters.contains_key(&channel)
    }
}

impl std::fmt::Debug for ChannelRouter {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut channels: Vec<&str> = self.adapters.keys().map(Channel::as_str).collect();
        channels.sort_unstable();
        formatter
            .debug_struct("ChannelRouter")
            .field("channels", &channels)
            .finish()
    }
}

#[async_trait]
impl Notifier for ChannelRouter {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        let channel = message.channel.as_str();
        let Some(adapter) = self.adapters.get(&message.channel) else {
            tracing::warn!(
                message_id = %message.id,
                channel,
                template = %message.template,
                "no adapter for the channel; message not sent"
            );
            return Err(NotifyError::NoAdapter(channel));
        };
        let result = adapter.send(message).await;
        let to = mask_recipient(&message.to);
        let account = message.account_id.map(|id| id.0.to_string());
        match &result {
            Ok(()) => tracing::info!(
                message_id = %message.id,
                channel,
                to = %to,
                template = %message.template,
                account = account.as_deref().unwrap_or("-"),
                "message sent"
            ),
            Err(err) => tracing::warn!(
                message_id = %message.id,
                channel,
                to = %to,
                template = %message.template,
                account = account.as_deref().unwrap_or("-"),
                error = %err,
                "message not sent"
            ),
        }
        result
    }
}

/// The recipient as a log shows it: an e-mail address keeps its first
/// character and its domain (`e•••@example.org`), anything else its last
/// two characters (`•••78`).
pub fn mask_recipient(to: &str) -> String {
    if let Some((local, domain)) = to.rsplit_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}•••@{domain}");
    }
    let chars: Vec<char> = to.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(2)..].iter().collect();
    format!("•••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_masked_in_logs() {
        assert_eq!(mask_recipient("erika@example.org"), "e•••@example.org");
        assert_eq!(mask_recipient("+4915112345678"), "•••78");
        assert_eq!(mask_recipient("7"), "•••7");
    }
}
