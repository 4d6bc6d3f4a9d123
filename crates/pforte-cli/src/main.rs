fn main() -> std::process::ExitCode {
    pforte_cli::main()
}
