//! `pforte serve`: logging, the provider, demo provisioning on first start,
//! the listener, background maintenance, and a graceful stop on SIGINT or
//! SIGTERM (open requests finish first).

use anyhow::Context;
use pforte_server::App;
use pforte_server::app::MAINTENANCE_INTERVAL;
use pforte_server::config::LogSettings;
use pforte_server::demo::{self, DemoOutcome};
use pforte_types::SystemClock;
use std::path::Path;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

pub async fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let settings = super::settings(config)?;
    init_tracing(&settings.log)?;
    let app = App::build(settings, Arc::new(SystemClock))
        .await
        .context("cannot start the provider")?;
    // Bind before provisioning: credentials shown once are useless if the
    // port turns out to be taken.
    let listener = tokio::net::TcpListener::bind(&app.settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", app.settings.listen))?;
    let address = listener.local_addr()?;
    match demo::provision(&app)
        .await
        .context("demo provisioning failed")?
    {
        DemoOutcome::Created(credentials) => println!("{credentials}"),
        DemoOutcome::AlreadyProvisioned => tracing::info!(
            "demo: the provider already has clients or accounts, nothing created (credentials are shown only on first start)"
        ),
        DemoOutcome::Disabled => {}
    }
    tracing::info!(%address, issuer = %app.settings.issuer, "Pforte is listening");
    let maintenance = tokio::spawn(app.maintenance().run(MAINTENANCE_INTERVAL));
    let served = app.serve(listener, shutdown_signal()).await;
    maintenance.abort();
    served.context("the server stopped with an error")?;
    tracing::info!("Pforte stopped");
    Ok(())
}

/// Text for people, JSON for log collectors (`log.format`), filtered by
/// `log.level`. Logs go to stderr; stdout carries the demo credentials.
fn init_tracing(log: &LogSettings) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&log.level).context("log.level")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = if log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    installed.map_err(|error| anyhow::anyhow!("cannot set up logging: {error}"))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (systemd, container runtimes).
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing open requests");
}
