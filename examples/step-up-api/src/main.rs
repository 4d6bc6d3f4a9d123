//! `cargo run -p pforte-example-step-up-api`: serves the example API next to a
//! running Pforte. Configuration: `PFORTE_ISSUER`, `EXAMPLE_AUDIENCE`,
//! `EXAMPLE_LISTEN`, `EXAMPLE_MAX_AGE_SECS`, `EXAMPLE_REQUIRED_ACR`.

use pforte_example_step_up_api::{app, build, config::Config};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("step-up-api: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    let router = build(&config, app::system_clock()).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", config.listen))?;
    tracing::info!(listen = %config.listen, "step-up example API ready");
    axum::serve(listener, router).await?;
    Ok(())
}
