//! The `pforte` binary under another name, so that `cargo test` hands its path to
//! the black-box tests (ADR 0003).

fn main() -> std::process::ExitCode {
    pforte_cli::main()
}
