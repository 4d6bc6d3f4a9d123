//! `pforte outbox list [--to X] [--channel C] [--limit N] [--json]`: the dev
//! outbox, newest first — what a user would have received, for trying out
//! logins with codes without a mail server or SMS gateway.
//!
//! A line is `TIME CHANNEL RECIPIENT TEMPLATE LANGUAGE key=value …` with the
//! template parameters; the rendered `_subject` and `_body` are left out of
//! the line (they span lines) and are part of `--json`, which prints each
//! message as one JSON object.

use crate::args::OutboxListArgs;
use anyhow::Context;
use pforte_identity::factor::OutboundMessage;
use pforte_identity::ports::{OutboxQuery, OutboxStore};
use std::path::Path;

pub async fn list(config: Option<&Path>, args: OutboxListArgs) -> anyhow::Result<()> {
    if args.limit == Some(0) {
        anyhow::bail!("--limit must be at least 1");
    }
    let query = OutboxQuery {
        channel: args.channel.map(Into::into),
        to: args.to,
        account: None,
        limit: args.limit,
    };
    let app = super::open_app(config).await?;
    let messages = app
        .store
        .outbox(&query)
        .await
        .context("cannot read the outbox")?;
    for message in &messages {
        if args.json {
            println!("{}", serde_json::to_string(message)?);
        } else {
            println!("{}", line(message));
        }
    }
    Ok(())
}

/// One message as a line of text.
pub fn line(message: &OutboundMessage) -> String {
    let mut line = format!(
        "{} {} {} {} {}",
        message
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        message.channel.as_str(),
        // A postal address (letters) has spaces and line breaks.
        quoted(&message.to),
        message.template,
        message.language,
    );
    for (key, value) in &message.params {
        if key.starts_with('_') {
            continue;
        }
        line.push(' ');
        line.push_str(key);
        line.push('=');
        line.push_str(&quoted(value));
    }
    line
}

/// The value as is, or quoted and escaped when it is empty or holds blanks,
/// control characters or quotes, so that a message stays on one line.
fn quoted(value: &str) -> String {
    if value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"')
    {
        format!("{value:?}")
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::{TimeZone, Utc};
    use pforte_identity::factor::Channel;
    use std::collections::BTreeMap;

    #[test]
    fn a_line_shows_the_parameters_but_not_the_rendered_text() {
        let message = OutboundMessage {
            id: uuid_of(1),
            channel: Channel::Sms,
            to: "+4915112345678".into(),
            template: "step_up_code".into(),
            language: "de".into(),
            params: BTreeMap::from([
                ("code".into(), "428817".into()),
                ("action".into(), "Konto löschen\n".into()),
                ("_body".into(), "Code …".into()),
            ]),
            account_id: None,
            created_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap(),
        };
        assert_eq!(
            line(&message),
            "2026-12-01T09:30:00Z sms +4915112345678 step_up_code de \
             action=\"Konto löschen\\n\" code=428817"
        );
    }

    fn uuid_of(n: u128) -> uuid::Uuid {
        uuid::Uuid::from_u128(n)
    }
}
