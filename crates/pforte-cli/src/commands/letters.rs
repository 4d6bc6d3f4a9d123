//! `pforte letters export --out DIR [--theme THEME]` and `pforte letters
//! pending`: the print batch of
//! letters by post (R-RG-4 activation letters, R-PW-3 initial-password
//! letters) for the print service; how it is written is in
//! `pforte_server::letters` and docs/letters.md.

use super::lockout::operator_context;
use anyhow::Context;
use pforte_identity::ports::LetterStore;
use std::path::Path;

pub async fn export(config: Option<&Path>, out: &Path, theme: Option<&str>) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    let report = app
        .export_letters(out, theme, &operator_context("letters-export"))
        .await
        .context("the export failed; the letters stay pending")?;
    match (report.batch, report.pdf, report.manifest) {
        (Some(batch), Some(pdf), Some(manifest)) => {
            println!(
                "exported {} letter(s) in batch {batch}\n{}\n{}",
                report.letters,
                pdf.display(),
                manifest.display()
            );
        }
        _ => println!("no pending letters; nothing exported"),
    }
    Ok(())
}

/// The pending letters without opening them: what the next export prints.
pub async fn pending(config: Option<&Path>) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    let letters = app
        .store
        .pending_letters()
        .await
        .context("cannot read the print queue")?;
    for letter in letters {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            letter.id,
            letter.template,
            letter.language,
            letter
                .account_id
                .map_or_else(|| "-".to_owned(), |id| id.to_string()),
            letter.created_at.format("%Y-%m-%dT%H:%M:%SZ")
        );
    }
    Ok(())
}
