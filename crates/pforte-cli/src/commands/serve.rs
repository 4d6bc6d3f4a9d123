//! `pforte serve`: logging, the provider, demo provisioning on first start,
//! the listener, background maintenance, and a graceful stop on SIGINT or
//! SIGTERM (open requests finish first).

use anyhow::Context;
use pforte_server::App;
use pforte_server::app::{MAINTENANCE_INTERVAL, serve_router};
use pforte_server::config::LogSettings;
use pforte_server::demo::{self, DemoOutcome};
use pforte_types::SystemClock;
use std::path::Path;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

pub async fn run(config: Option<&Path>) -> anyhow::Result<()> {
    // Registered first: a SIGTERM that arrives while starting up is then a
    // graceful stop, not the default action (termination).
    let shutdown = shutdown_signal()?;
    let settings = super::settings(config)?;
    init_tracing(&settings.log)?;
    let app = App::build(settings, Arc::new(SystemClock))
        .await
        .context("cannot start the provider")?;
    // The theme is loaded here, so that a missing or broken theme stops the
    // start before anything is provisioned.
    let router = app
        .router()
        .with_context(|| format!("themes_dir {}", app.settings.themes_dir.display()))?;
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
    let key_reload = tokio::spawn(app.key_reload().run());
    let served = serve_router(router, listener, shutdown).await;
    maintenance.abort();
    key_reload.abort();
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

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM (systemd, container
/// runtimes). The handlers are registered when this is called, not when the
/// future is first polled.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("shutting down: finishing open requests");
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: finishing open requests");
    })
}
