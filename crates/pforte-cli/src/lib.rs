//! The `pforte` command: serve, migrate, config check, clients, users, keys,
//! the audit trail, operator roles, the dev outbox, the member registry and the print batch of
//! letters.
//!
//! Parses the command line (clap, [`args`]), loads the configuration through
//! `pforte-server`, and runs one operator command ([`commands`]); the input
//! rules are pure functions in [`rules`]. Errors go to stderr with a non-zero
//! exit; secrets given on the command line are never echoed.
//!
//! Must not reach past `pforte-server` into files or the environment itself,
//! except for the files an operator names on the command line (`--jwks-file`).

pub mod args;
pub mod commands;
pub mod rules;

use args::{
    AuditCommand, Cli, ClientCommand, Command, ConfigCommand, InvitationsCommand, KeysCommand,
    LettersCommand, MembersCommand, OperatorCommand, OutboxCommand, SessionCommand, UserCommand,
    UserFactorsCommand,
};
use clap::Parser;
use std::process::ExitCode;

/// Exit status for a command line clap could not parse (as clap itself uses).
const USAGE_ERROR: u8 = 2;

/// The entry point of the `pforte` binary (and of the conformance test binary,
/// ADR 0003).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(USAGE_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // DESIGN.md §6: one TLS provider (ring) for every outbound connection,
    // installed before anything connects (PostgreSQL over TLS included).
    pforte_server::app::install_crypto_provider();
    if let Command::Serve = cli.command {
        // Before any thread exists: may replace the process (malloc_tuning docs).
        pforte_server::malloc_tuning::apply_for_serve();
    }
    let config = cli.config.as_deref();
    if let Command::Config(ConfigCommand::Check { policy }) = &cli.command {
        return match policy {
            Some(policy) => commands::config_check::run_policy(policy),
            None => commands::config_check::run(config),
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => commands::serve::run(config).await,
            Command::Migrate => commands::migrate::run(config).await,
            Command::Config(ConfigCommand::Check { .. }) => Ok(()),
            Command::Client(ClientCommand::Add(args)) => commands::client::add(config, args).await,
            Command::Client(ClientCommand::List) => commands::client::list(config).await,
            Command::Client(ClientCommand::Remove { id }) => {
                commands::client::remove(config, &id).await
            }
            Command::User(UserCommand::Add(args)) => commands::user::add(config, args).await,
            Command::User(UserCommand::List) => commands::user::list(config).await,
            Command::User(UserCommand::SetPassword { username, password }) => {
                commands::user::set_password(config, &username, &password).await
            }
            Command::User(UserCommand::Unlock { username }) => {
                commands::lockout::unlock(config, &username).await
            }
            Command::User(UserCommand::Delete { username }) => {
                commands::user::delete(config, &username).await
            }
            Command::User(UserCommand::Reactivate { username }) => {
                commands::lockout::reactivate(config, &username).await
            }
            Command::User(UserCommand::Show { username }) => {
                commands::lockout::show(config, &username).await
            }
            Command::User(UserCommand::Factors(UserFactorsCommand::Remove {
                username,
                factor_id,
            })) => commands::user::remove_factor(config, &username, &factor_id).await,
            Command::Audit(AuditCommand::List { user, since }) => {
                commands::audit::list(config, user.as_deref(), since.as_deref()).await
            }
            Command::Outbox(OutboxCommand::List(args)) => {
                commands::outbox::list(config, args).await
            }
            Command::Keys(KeysCommand::Rotate) => commands::keys::rotate(config).await,
            Command::Session(SessionCommand::List { username }) => {
                commands::session::list(config, &username).await
            }
            Command::Session(SessionCommand::End { sid, username }) => {
                commands::session::end(config, sid.as_deref(), username.as_deref()).await
            }
            Command::Members(MembersCommand::Import {
                file,
                skip_rejected,
                dry_run,
            }) => commands::members::import(config, &file, skip_rejected, dry_run).await,
            Command::Members(MembersCommand::Show { kvnr }) => {
                commands::members::show(config, &kvnr).await
            }
            Command::Letters(LettersCommand::Export { out, theme }) => {
                commands::letters::export(config, &out, theme.as_deref()).await
            }
            Command::Letters(LettersCommand::Pending) => commands::letters::pending(config).await,
            Command::Invitations(InvitationsCommand::Create { kvnr, valid_days }) => {
                commands::invitations::create(config, &kvnr, valid_days).await
            }
            Command::Operator(OperatorCommand::Grant { username, role }) => {
                commands::operator::grant(config, &username, &role).await
            }
            Command::Operator(OperatorCommand::Revoke { username, role }) => {
                commands::operator::revoke(config, &username, &role).await
            }
            Command::Operator(OperatorCommand::List) => commands::operator::list(config).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
