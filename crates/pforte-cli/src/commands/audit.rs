//! `pforte audit list [--user U] [--since T]` (R-OP-3): the audit trail, one
//! event per line in the format of docs/events.md.

use anyhow::Context;
use chrono::{DateTime, Utc};
use std::path::Path;

pub async fn list(
    config: Option<&Path>,
    user: Option<&str>,
    since: Option<&str>,
) -> anyhow::Result<()> {
    let since = since
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|time| time.with_timezone(&Utc))
                .with_context(|| format!("--since: {text:?} is not an RFC 3339 time"))
        })
        .transpose()?;
    let app = super::open_app(config).await?;
    for event in app.identity.audit_events(user, since).await? {
        println!("{}", event.line());
    }
    Ok(())
}
