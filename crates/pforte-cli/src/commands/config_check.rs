//! `pforte config check`: prints `OK` or every problem, one per line. Besides
//! the keys it loads the theme and the policy file, which a start would need.
//! `--policy FILE` checks one policy file alone (e.g. a preset in CI).

use pforte_server::Settings;
use std::path::Path;
use std::process::ExitCode;

pub fn run(config: Option<&Path>) -> ExitCode {
    match Settings::load(config) {
        Ok(settings) => match pforte_server::app::check_theme(&settings) {
            Ok(()) => {
                println!("OK");
                ExitCode::SUCCESS
            }
            Err(problem) => {
                eprintln!("error: {problem}");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            for problem in error.problems() {
                eprintln!("error: {problem}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `pforte config check --policy FILE`.
pub fn run_policy(path: &Path) -> ExitCode {
    match pforte_server::config::load_policy_file(path) {
        Ok(_) => {
            println!("OK");
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in problems {
                eprintln!("error: {problem}");
            }
            ExitCode::FAILURE
        }
    }
}
