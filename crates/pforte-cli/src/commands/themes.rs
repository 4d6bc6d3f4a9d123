//! `pforte themes check [--themes-dir DIR]` (R-OP-2): renders every
//! template × brand × language with its fixture and prints every failure,
//! one per line (`brand/lang/template: error`); the exit status is non-zero
//! when there is one, so CI can run it on a theme repository.

use std::path::Path;
use std::process::ExitCode;

pub fn check(config: Option<&Path>, themes_dir: Option<&Path>) -> ExitCode {
    let dir = match themes_dir {
        Some(dir) => dir.to_path_buf(),
        None => match super::settings(config) {
            Ok(settings) => settings.themes_dir,
            Err(error) => {
                eprintln!("error: {error:#}");
                return ExitCode::FAILURE;
            }
        },
    };
    match pforte_server::theme_reload::check_themes(&dir) {
        Ok(report) => {
            println!(
                "OK: {} brands × {} languages × their templates render",
                report.brands, report.languages
            );
            ExitCode::SUCCESS
        }
        Err(failures) => {
            for failure in &failures {
                eprintln!("error: {failure}");
            }
            eprintln!("{} failures in {}", failures.len(), dir.display());
            ExitCode::FAILURE
        }
    }
}
