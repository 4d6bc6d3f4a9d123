//! `pforte serve`: logging, the provider, demo provisioning on first start,
//! the listener, the metrics listener (`ops.metrics_listen`), background
//! maintenance, back-channel logout delivery, and a graceful stop on SIGINT
//! or SIGTERM: open requests finish first, then the maintenance job ends after
//! its current pass (R-OP-3, docs/operations.md).

use anyhow::Context;
use pforte_server::App;
use pforte_server::app::{MAINTENANCE_INTERVAL, serve_router};
use pforte_server::demo::{self, DemoOutcome};
use pforte_types::SystemClock;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(config: Option<&Path>) -> anyhow::Result<()> {
    // Registered first: a SIGTERM that arrives while starting up is then a
    // graceful stop, not the default action (termination).
    let shutdown = shutdown_signal()?;
    let settings = super::settings(config)?;
    pforte_server::ops::logging::init(&settings.log).map_err(|error| anyhow::anyhow!(error))?;
    // Installed before anything records, so that no early sample is lost.
    let metrics = match &settings.ops.metrics_listen {
        Some(address) => Some((
            pforte_server::ops::metrics::install().map_err(|error| anyhow::anyhow!(error))?,
            address.clone(),
        )),
        None => None,
    };
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
    // After the demo: the demo is provisioned only into an empty database.
    pforte_server::admin::ensure_admin_client(&app)
        .await
        .context("the admin console's client cannot be set up")?;
    tracing::info!(%address, issuer = %app.settings.issuer, "Pforte is listening");
    // One signal stops everything: the public listener, the metrics listener
    // and the maintenance job.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stopping = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let metrics_server = match metrics {
        Some((handle, address)) => {
            let listener = tokio::net::TcpListener::bind(&address)
                .await
                .with_context(|| format!("cannot listen on {address} (ops.metrics_listen)"))?;
            tracing::info!(%address, "metrics are served at /metrics");
            Some(tokio::spawn(pforte_server::ops::metrics::serve(
                handle,
                listener,
                stopping(stopped.clone()),
            )))
        }
        None => None,
    };
    let maintenance = tokio::spawn(
        app.maintenance()
            .run_until(MAINTENANCE_INTERVAL, stopping(stopped.clone())),
    );
    let key_reload = tokio::spawn(app.key_reload().run());
    let logout_delivery = tokio::spawn(
        app.backchannel_delivery()
            .context("back-channel logout delivery")?
            .run(Duration::from_secs(
                app.settings.logout.backchannel_poll_interval_secs,
            )),
    );
    let served = serve_router(router, listener, async move {
        shutdown.await;
        let _ = stop.send(true);
    })
    .await;
    // Deliveries not yet sent stay queued in the database for the next node.
    logout_delivery.abort();
    key_reload.abort();
    if let Err(error) = maintenance.await {
        tracing::warn!(%error, "the maintenance job ended abnormally");
    }
    if let Some(metrics_server) = metrics_server {
        match metrics_server.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "the metrics listener failed"),
            Err(error) => tracing::warn!(%error, "the metrics listener ended abnormally"),
        }
    }
    served.context("the server stopped with an error")?;
    tracing::info!("Pforte stopped");
    Ok(())
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
