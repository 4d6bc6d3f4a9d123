//! `pforte members import FILE [--skip-rejected] [--dry-run]` and
//! `pforte members show KVNR`: the member registry (R-ID-4).
//!
//! The import prints one line per problem (`line N: column: reason`) and a
//! summary. It fails (non-zero exit) when the file is unusable, and when a
//! row is rejected without `--skip-rejected`: then nothing is written. A dry
//! run fails the same way, so it can check a file before the real import.

use super::lockout::operator_context;
use anyhow::{Context, bail};
use pforte_identity::member::{ImportOptions, ImportReport, Member};
use pforte_policy::Kvnr;
use std::path::Path;

pub async fn import(
    config: Option<&Path>,
    file: &Path,
    skip_rejected: bool,
    dry_run: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let Ok(text) = String::from_utf8(bytes) else {
        bail!(
            "{} is not UTF-8 text; export the file as CSV in UTF-8",
            file.display()
        );
    };
    let app = super::open_app(config).await?;
    let report = app
        .member_registry()
        .import(
            &text,
            ImportOptions {
                skip_rejected,
                dry_run,
            },
            &operator_context("members-import"),
        )
        .await
        .context("the import failed; nothing was written")?;
    for line in report_lines(&report) {
        println!("{line}");
    }
    if !report.rejected.is_empty() && report.written.is_none() {
        bail!(
            "{} row(s) rejected: nothing imported (correct them, or use --skip-rejected)",
            report.rejected.len()
        );
    }
    Ok(())
}

/// The problems, one per line, then the summary.
pub fn report_lines(report: &ImportReport) -> Vec<String> {
    let mut lines = Vec::new();
    for row in &report.rejected {
        for reason in &row.reasons {
            lines.push(format!("line {}: {reason}", row.line));
        }
    }
    lines.push(match report.written {
        Some(counts) => format!(
            "imported: {} new, {} changed, {} unchanged; {} row(s) rejected",
            counts.inserted,
            counts.updated,
            counts.unchanged,
            report.rejected.len()
        ),
        None => format!(
            "checked: {} row(s) accepted, {} rejected; nothing written",
            report.accepted,
            report.rejected.len()
        ),
    });
    lines
}

pub async fn show(config: Option<&Path>, kvnr: &str) -> anyhow::Result<()> {
    let kvnr = Kvnr::parse(kvnr).map_err(|error| anyhow::anyhow!("{error}"))?;
    let app = super::open_app(config).await?;
    let Some(member) = app
        .member_registry()
        .find(&kvnr)
        .await
        .context("cannot read the member registry")?
    else {
        bail!("no member with the insurance number {kvnr}");
    };
    for line in member_lines(&member) {
        println!("{line}");
    }
    Ok(())
}

fn member_lines(member: &Member) -> Vec<String> {
    let optional = |value: Option<&str>| value.unwrap_or("-").to_owned();
    vec![
        format!("kvnr: {}", member.kvnr),
        format!("name: {} {}", member.given_name, member.family_name),
        format!("birth_date: {}", member.birth_date),
        format!("postal_code: {}", member.postal_code),
        format!("street: {}", optional(member.street.as_deref())),
        format!("city: {}", optional(member.city.as_deref())),
        format!("email: {}", optional(member.email.as_deref())),
        format!("mobile: {}", optional(member.mobile.as_deref())),
        format!(
            "membership: {} – {}",
            member.membership_start,
            member
                .membership_end
                .map_or_else(|| "open".to_owned(), |end| end.to_string())
        ),
        format!(
            "main_member: {}",
            member
                .main_member
                .as_ref()
                .map_or_else(|| "-".to_owned(), ToString::to_string)
        ),
    ]
}
