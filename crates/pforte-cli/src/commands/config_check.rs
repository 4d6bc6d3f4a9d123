//! `pforte config check`: prints `OK` or every problem, one per line. Besides
//! the keys it loads the theme, which a start would need.

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
