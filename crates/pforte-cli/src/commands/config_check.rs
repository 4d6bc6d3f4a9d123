//! `pforte config check`: prints `OK` or every problem, one per line.

use pforte_server::Settings;
use std::path::Path;
use std::process::ExitCode;

pub fn run(config: Option<&Path>) -> ExitCode {
    match Settings::load(config) {
        Ok(_) => {
            println!("OK");
            ExitCode::SUCCESS
        }
        Err(error) => {
            for problem in error.problems() {
                eprintln!("error: {problem}");
            }
            ExitCode::FAILURE
        }
    }
}
