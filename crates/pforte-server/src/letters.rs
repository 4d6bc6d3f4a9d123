//! The print batch of letters by post (R-RG-4, R-PW-3): `pforte letters
//! export --out DIR` prints every pending letter of the queue into one PDF
//! with a CSV manifest and only then marks the letters exported.
//!
//! Order of work, so that no letter is ever lost: the files are written
//! under temporary names, flushed to disk (`fsync`), renamed to their final
//! names and the directory flushed; then one transaction marks the letters
//! exported with the `letters_exported` audit event. A crash before the
//! commit leaves the letters pending (the next export prints them again; at
//! worst a batch is printed twice, never a letter not at all). When another
//! export claimed a letter in the meantime, the commit is refused and this
//! run's files are removed again.
//!
//! The templates come from the theme folder at export time
//! (`<themes_dir>/<theme>/letters/`, falling back to `base`), so a brand
//! changes its letters without a rebuild.

use crate::app::{App, ServerError};
use pforte_identity::RequestContext;
use pforte_identity::letters::{Letter, LetterQueue};
use pforte_notify::print::{
    LetterTemplate, LetterTemplates, PrintBatch, is_english, print_batch, template_file,
};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

/// What an export did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// The letters printed (0: nothing was pending and no file was written).
    pub letters: usize,
    /// The batch id, also in the file names; `None` when nothing was pending.
    pub batch: Option<Uuid>,
    pub pdf: Option<PathBuf>,
    pub manifest: Option<PathBuf>,
}

impl App {
    /// The print queue on this provider's database, sealing with its master
    /// key (R-OP-4).
    pub fn letter_queue(&self) -> LetterQueue {
        LetterQueue::new(
            Arc::new(self.store.clone()),
            Arc::new(self.master.clone()),
            self.clock.clone(),
        )
    }

    /// Prints every pending letter into one batch in `out` (created if
    /// missing) and marks them exported. `theme` names a brand folder whose
    /// `letters/` templates win over those of `base`.
    pub async fn export_letters(
        &self,
        out: &Path,
        theme: Option<&str>,
        context: &RequestContext,
    ) -> Result<ExportReport, ServerError> {
        let queue = self.letter_queue();
        let pending = queue.pending().await.map_err(letters_error)?;
        if pending.is_empty() {
            return Ok(ExportReport {
                letters: 0,
                batch: None,
                pdf: None,
                manifest: None,
            });
        }
        let templates = load_templates(&self.settings.themes_dir, theme, &pending)?;
        let batch = Uuid::now_v7();
        let now = self.clock.now();
        let printed = print_batch(&pending, &templates, now.date_naive(), &batch.to_string())
            .map_err(|error| ServerError::Letters(error.to_string()))?;
        let stem = format!("letters-{}-{batch}", now.format("%Y%m%d"));
        let (pdf, manifest) = write_batch(out, &stem, &printed)?;
        let ids: Vec<Uuid> = pending.iter().map(|letter| letter.id).collect();
        if let Err(error) = queue.mark_exported(&ids, batch, context).await {
            // Another export took some of these letters: this batch must not
            // reach the printer as well.
            let _ = std::fs::remove_file(&pdf);
            let _ = std::fs::remove_file(&manifest);
            return Err(letters_error(error));
        }
        Ok(ExportReport {
            letters: pending.len(),
            batch: Some(batch),
            pdf: Some(pdf),
            manifest: Some(manifest),
        })
    }
}

fn letters_error(error: pforte_identity::letters::LetterError) -> ServerError {
    ServerError::Letters(error.to_string())
}

/// Reads the templates the pending letters need, brand first, then `base`.
fn load_templates(
    themes_dir: &Path,
    theme: Option<&str>,
    letters: &[Letter],
) -> Result<LetterTemplates, ServerError> {
    if let Some(theme) = theme
        && (theme.is_empty()
            || !theme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(ServerError::Letters(format!(
            "theme {theme:?}: only letters, digits, - and _"
        )));
    }
    let mut templates = LetterTemplates::new();
    let mut loaded = std::collections::HashSet::new();
    for letter in letters {
        let english = is_english(&letter.language);
        if !loaded.insert((letter.template.clone(), english)) {
            continue;
        }
        let file = template_file(&letter.template, english);
        let candidates = theme
            .into_iter()
            .chain(std::iter::once("base"))
            .map(|folder| themes_dir.join(folder).join("letters").join(&file));
        let mut found = None;
        for path in candidates {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    found = Some((path, text));
                    break;
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(ServerError::Letters(format!(
                        "cannot read {}: {error}",
                        path.display()
                    )));
                }
            }
        }
        let Some((path, text)) = found else {
            return Err(ServerError::Letters(format!(
                "no letter template {file} in {}",
                themes_dir.join("base").join("letters").display()
            )));
        };
        let parsed = LetterTemplate::parse(&path.display().to_string(), &text)
            .map_err(|error| ServerError::Letters(error.to_string()))?;
        templates.insert(&letter.template, english, parsed);
    }
    Ok(templates)
}

/// Writes the PDF and the manifest under temporary names (readable by the
/// owner only), flushes them, renames them and flushes the directory.
fn write_batch(
    out: &Path,
    stem: &str,
    printed: &PrintBatch,
) -> Result<(PathBuf, PathBuf), ServerError> {
    std::fs::create_dir_all(out)?;
    let pdf = out.join(format!("{stem}.pdf"));
    let manifest = out.join(format!("{stem}.csv"));
    let files = [
        (pdf.clone(), printed.pdf.as_slice()),
        (manifest.clone(), printed.manifest.as_bytes()),
    ];
    let mut temporary = Vec::new();
    for (path, bytes) in &files {
        let tmp = out.join(format!(
            ".{}.tmp",
            path.file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let written = (|| -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            // The PDF carries codes and initial passwords: owner only.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&tmp);
            for (earlier, _) in &temporary {
                let _ = std::fs::remove_file(earlier);
            }
            return Err(error.into());
        }
        temporary.push((tmp, path.clone()));
    }
    for (tmp, path) in &temporary {
        std::fs::rename(tmp, path)?;
    }
    std::fs::File::open(out)?.sync_all()?;
    Ok((pdf, manifest))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn r_rg_4_batch_files_are_renamed_into_place_and_readable_by_the_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("print");
        let printed = PrintBatch {
            pdf: b"%PDF-1.4\n".to_vec(),
            manifest: "letter_id\r\n".to_owned(),
            pages: 0,
        };
        let (pdf, manifest) = write_batch(&out, "letters-20261201-b", &printed).unwrap();
        assert_eq!(std::fs::read(&pdf).unwrap(), b"%PDF-1.4\n");
        assert_eq!(std::fs::read_to_string(&manifest).unwrap(), "letter_id\r\n");
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["letters-20261201-b.csv", "letters-20261201-b.pdf"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&pdf).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
