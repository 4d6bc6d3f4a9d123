//! Prometheus metrics (R-OP-3): the recorder behind the `metrics` facade, the
//! exposition on the separate `ops.metrics_listen` address, and the HTTP
//! request metrics per route template.
//!
//! The facade's recorder is process-wide by its nature (one per process, set
//! once); it is installed only when `ops.metrics_listen` is configured, so a
//! provider without it records nothing. Handles are kept in the [`App`] like
//! every other dependency.
//!
//! [`App`]: crate::App

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// HTTP requests by `route` (the route template, e.g. `/authorize`; never
/// the raw path), `method` and `status_class` (`2xx` …).
pub const HTTP_REQUESTS: &str = "pforte_http_requests_total";
/// Seconds until the response head was ready, same labels (histogram).
pub const HTTP_DURATION: &str = "pforte_http_request_duration_seconds";
/// The `route` of requests no route matched (404 pages), so that scanners
/// cannot create one series per probed path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Histogram buckets in seconds: from a cached JWKS (sub-millisecond) to a
/// login that waited in the hashing queue (seconds).
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded and old data dropped when nobody
/// scrapes.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static RECORDER: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Installs the Prometheus recorder as the process's `metrics` recorder, once;
/// later calls return the same handle.
pub fn install() -> Result<PrometheusHandle, String> {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .map_err(|error| error.to_string())?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).map_err(|error| error.to_string())?;
            describe();
            Ok(handle)
        })
        .clone()
}

fn describe() {
    use metrics::Unit;
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by route template and status class"
    );
    metrics::describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "HTTP request latency by route template"
    );
    metrics::describe_counter!(
        pforte_identity::metrics::METRIC_LOGINS,
        "Password logins by result"
    );
    metrics::describe_counter!(
        pforte_identity::metrics::METRIC_ACCOUNT_LOCKS,
        "Accounts locked or deactivated by wrong passwords"
    );
    metrics::describe_counter!(
        pforte_oauth::token::METRIC_TOKENS_ISSUED,
        "Token responses by grant type"
    );
    metrics::describe_gauge!(
        pforte_crypto::pool::METRIC_QUEUE_DEPTH,
        "Password hashes waiting for a worker"
    );
    metrics::describe_histogram!(
        pforte_crypto::pool::METRIC_WAIT_SECONDS,
        Unit::Seconds,
        "Time a password hash waited for a worker"
    );
    metrics::describe_counter!(
        pforte_crypto::pool::METRIC_REFUSED,
        "Password hashes refused because the queue was full"
    );
}

/// Records every request under its route template. Installed with
/// `Router::layer`, it runs after routing, so axum's [`MatchedPath`] is known.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || UNMATCHED_ROUTE.to_owned(),
        |path| path.as_str().to_owned(),
    );
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status_class = status_class(response.status());
    let labels = [
        ("route", route),
        ("method", method.to_owned()),
        ("status_class", status_class.to_owned()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// The methods the provider serves; anything else is `other`, so arbitrary
/// method names cannot create series.
fn method_label(method: &axum::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    }
}

/// The router of the metrics listener: `GET /metrics` in the Prometheus text
/// format (version 0.0.4).
pub fn router(handle: PrometheusHandle) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move {
                let mut response = handle.render().into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                );
                response
            }
        }),
    )
}

/// Serves [`router`] on `listener` until `shutdown`, and folds histogram
/// samples every [`UPKEEP_INTERVAL`] meanwhile.
pub async fn serve(
    handle: PrometheusHandle,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), std::io::Error> {
    let upkeep = tokio::spawn({
        let handle = handle.clone();
        async move {
            let mut ticker = tokio::time::interval(UPKEEP_INTERVAL);
            loop {
                ticker.tick().await;
                handle.run_upkeep();
            }
        }
    });
    let served = axum::serve(listener, router(handle))
        .with_graceful_shutdown(shutdown)
        .await;
    upkeep.abort();
    served
}
