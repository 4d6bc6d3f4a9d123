//! Log output (R-OP-3): text for people, one JSON object per line for log
//! collectors (`log.format`), filtered by `log.level`.
//!
//! The request id reaches every line through the span: pforte-web opens one
//! `request` span per request with `request_id`, `method` and `path`, and both
//! formats print the fields of the spans a line was written in. A handler
//! therefore need not repeat the id (docs/operations.md).

use crate::config::LogSettings;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// A subscriber for `log` writing to `writer`, not installed.
/// `ansi` colours the text format (for a terminal only; a journal or file
/// gets plain text).
pub fn subscriber<W>(
    log: &LogSettings,
    writer: W,
    ansi: bool,
) -> Result<Box<dyn tracing::Subscriber + Send + Sync>, String>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&log.level).map_err(|error| format!("log.level: {error}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    Ok(if log.format == "json" {
        // The current span and the list of spans carry `request_id`.
        Box::new(
            builder
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .finish(),
        )
    } else {
        Box::new(builder.finish())
    })
}

/// Installs the subscriber as the process default; logs go to stderr (stdout
/// carries the demo credentials).
pub fn init(log: &LogSettings) -> Result<(), String> {
    use std::io::IsTerminal as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let ansi = std::io::stderr().is_terminal();
    subscriber(log, std::io::stderr, ansi)?
        .try_init()
        .map_err(|error| format!("cannot set up logging: {error}"))
}
