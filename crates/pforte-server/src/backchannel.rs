//! Back-channel logout delivery (OpenID Connect Back-Channel Logout 1.0,
//! R-SE-2): when a provider session ends, every client of the session that
//! registered a `backchannel_logout_uri` receives a logout token by POST.
//!
//! * [`BackchannelLogoutListener`] is the identity service's
//!   `SessionEndListener`: it writes one row per client into the durable
//!   queue (`LogoutDeliveryStore`) and wakes the worker of this node. Ending
//!   the session never waits for a relying party.
//! * [`BackchannelDelivery`] is the worker: it claims due rows (one node per
//!   row at a time), signs a fresh logout token per attempt, POSTs it as
//!   `application/x-www-form-urlencoded` (§2.5), and records the outcome:
//!   200/204 deletes the row; a refusal (4xx) gives it up at once; anything
//!   else is retried with bounded exponential back-off (`[logout]` settings).
//!   Every delivery, failed attempt and give-up is an audit event and a log
//!   line.
//!
//! Rows survive a restart; a row claimed by a node that stopped mid-delivery
//! becomes due again when its claim lapses (the POST timeout plus a margin),
//! so a token may then arrive twice; for the RP the second one names a
//! session it has already ended (docs/integration/logout.md).

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use pforte_identity::audit::{AuditEvent, AuditKind};
use pforte_identity::ports::{LockoutStore, SessionEndListener};
use pforte_identity::session::EndedSession;
use pforte_oauth::Provider;
use pforte_oauth::backchannel_logout::{
    DeliveryVerdict, LogoutDelivery, RetrySchedule, verdict_for_status,
};
use pforte_oauth::ports::LogoutDeliveryStore;
use pforte_types::Clock;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How many due deliveries one pass claims.
const CLAIM_BATCH: u64 = 32;

/// How long a claim outlives the POST timeout before another node may take
/// the row over.
const CLAIM_MARGIN: Duration = Duration::from_secs(30);

/// Queues a logout token for every back-channel client of an ended session.
pub struct BackchannelLogoutListener {
    queue: Arc<dyn LogoutDeliveryStore>,
    provider: Arc<Provider>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for BackchannelLogoutListener {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BackchannelLogoutListener")
            .finish_non_exhaustive()
    }
}

impl BackchannelLogoutListener {
    pub fn new(
        queue: Arc<dyn LogoutDeliveryStore>,
        provider: Arc<Provider>,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            queue,
            provider,
            clock,
            wake,
        }
    }
}

#[async_trait]
impl SessionEndListener for BackchannelLogoutListener {
    async fn session_ended(&self, ended: &EndedSession) {
        let session = &ended.session;
        let clients = match self
            .provider
            .backchannel_logout_clients(&session.clients)
            .await
        {
            Ok(clients) => clients,
            Err(error) => {
                tracing::error!(
                    error = error.internal.as_deref().unwrap_or(&error.description),
                    "back-channel logout: the session's clients cannot be read; no logout tokens are sent"
                );
                return;
            }
        };
        if clients.is_empty() {
            return;
        }
        let now = self.clock.now();
        let deliveries: Vec<LogoutDelivery> = clients
            .iter()
            .map(|client| LogoutDelivery {
                id: uuid::Uuid::now_v7(),
                client_id: client.client_id.clone(),
                account_id: session.account_id,
                sid: session.sid.clone(),
                reason: ended.reason.as_str().to_owned(),
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                created_at: now,
            })
            .collect();
        match self.queue.enqueue_logout_deliveries(&deliveries).await {
            Ok(()) => {
                tracing::info!(
                    clients = deliveries.len(),
                    reason = ended.reason.as_str(),
                    "back-channel logout queued"
                );
                self.wake.notify_one();
            }
            Err(error) => tracing::error!(
                %error,
                "back-channel logout: the deliveries cannot be queued; no logout tokens are sent"
            ),
        }
    }
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: u32,
    /// Failed attempts that will be retried.
    pub retrying: u32,
    /// Deliveries given up (refused, out of attempts, client gone).
    pub abandoned: u32,
}

/// The outcome of one attempt, before it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Attempt {
    Delivered {
        status: u16,
    },
    Refused {
        status: u16,
    },
    Failed {
        problem: String,
    },
    /// Nothing to deliver to (the client was removed or dropped its URI).
    NoEndpoint,
}

/// The worker that delivers queued logout tokens.
pub struct BackchannelDelivery {
    queue: Arc<dyn LogoutDeliveryStore>,
    provider: Arc<Provider>,
    audit: Arc<dyn LockoutStore>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    schedule: RetrySchedule,
    claim_for: Duration,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for BackchannelDelivery {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BackchannelDelivery")
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}

/// Settings of the worker, from `[logout]`.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryOptions {
    pub timeout: Duration,
    pub schedule: RetrySchedule,
}

impl BackchannelDelivery {
    /// Builds the HTTP client: rustls with the ring provider (DESIGN.md §6),
    /// the configured timeout, and no redirects (a logout token goes to the
    /// registered URI only).
    pub fn new(
        queue: Arc<dyn LogoutDeliveryStore>,
        provider: Arc<Provider>,
        audit: Arc<dyn LockoutStore>,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
        options: DeliveryOptions,
    ) -> Result<Self, String> {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(Self {
            queue,
            provider,
            audit,
            http,
            clock,
            schedule: options.schedule,
            claim_for: options.timeout + CLAIM_MARGIN,
            wake,
        })
    }

    /// Delivers every due entry once; returns what happened. Store errors end
    /// the pass (it is retried at the next one).
    pub async fn run_once(&self) -> Result<DeliveryReport, pforte_types::StoreError> {
        let mut report = DeliveryReport::default();
        loop {
            let now = self.clock.now();
            let claimed_until = now
                .checked_add_signed(TimeDelta::from_std(self.claim_for).unwrap_or(TimeDelta::MAX))
                .unwrap_or(now);
            let batch = self
                .queue
                .claim_logout_deliveries(now, claimed_until, CLAIM_BATCH)
                .await?;
            if batch.is_empty() {
                return Ok(report);
            }
            for delivery in batch {
                let attempt = self.attempt(&delivery).await;
                self.record(&delivery, attempt, &mut report).await?;
            }
        }
    }

    /// Runs a pass at once when a logout on this node queued something, and
    /// every `poll` otherwise, until the task is dropped.
    pub async fn run(self, poll: Duration) {
        loop {
            match self.run_once().await {
                Ok(report) if report != DeliveryReport::default() => {
                    tracing::debug!(?report, "back-channel logout pass");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "back-channel logout pass failed"),
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// One POST of a freshly signed logout token (BCL 1.0 §2.5).
    async fn attempt(&self, delivery: &LogoutDelivery) -> Attempt {
        let client = match self.provider.client(&delivery.client_id).await {
            Ok(Some(client)) => client,
            Ok(None) => return Attempt::NoEndpoint,
            Err(error) => {
                return Attempt::Failed {
                    problem: format!(
                        "client lookup failed: {}",
                        error.internal.unwrap_or(error.description)
                    ),
                };
            }
        };
        let Some(uri) = client.logout.backchannel_uri.as_deref() else {
            return Attempt::NoEndpoint;
        };
        let token =
            match self
                .provider
                .mint_logout_token(&client, delivery.account_id, &delivery.sid)
            {
                Ok(token) => token,
                Err(error) => {
                    return Attempt::Failed {
                        problem: format!(
                            "cannot sign the logout token: {}",
                            error.internal.unwrap_or(error.description)
                        ),
                    };
                }
            };
        let sent = self
            .http
            .post(uri)
            .header(reqwest::header::CACHE_CONTROL, "no-store")
            .form(&[("logout_token", token.as_str())])
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                match verdict_for_status(status) {
                    DeliveryVerdict::Delivered => Attempt::Delivered { status },
                    DeliveryVerdict::Refused => Attempt::Refused { status },
                    DeliveryVerdict::Retry => Attempt::Failed {
                        problem: format!("status={status}"),
                    },
                }
            }
            Err(error) if error.is_timeout() => Attempt::Failed {
                problem: "timeout".to_owned(),
            },
            Err(error) => Attempt::Failed {
                problem: format!("unreachable: {}", without_url(&error)),
            },
        }
    }

    async fn record(
        &self,
        delivery: &LogoutDelivery,
        attempt: Attempt,
        report: &mut DeliveryReport,
    ) -> Result<(), pforte_types::StoreError> {
        let now = self.clock.now();
        let attempts = delivery.attempts.saturating_add(1);
        let event = |kind, detail: String| AuditEvent {
            operator: None,
            at: now,
            kind,
            account: Some(delivery.account_id),
            username: None,
            client: Some(delivery.client_id.clone()),
            ip: None,
            user_agent: None,
            request_id: None,
            detail: Some(detail),
        };
        let client = delivery.client_id.as_str();
        match attempt {
            Attempt::Delivered { status } => {
                self.queue.remove_logout_delivery(delivery.id).await?;
                report.delivered += 1;
                tracing::info!(client, attempts, status, "back-channel logout delivered");
                self.append(event(
                    AuditKind::BackchannelLogoutDelivered,
                    format!(
                        "reason={} attempts={attempts} status={status}",
                        delivery.reason
                    ),
                ))
                .await;
            }
            Attempt::Refused { status } => {
                self.queue.remove_logout_delivery(delivery.id).await?;
                report.abandoned += 1;
                tracing::warn!(
                    client,
                    attempts,
                    status,
                    "back-channel logout refused by the client; given up"
                );
                self.append(event(
                    AuditKind::BackchannelLogoutAbandoned,
                    format!(
                        "refused reason={} attempts={attempts} status={status}",
                        delivery.reason
                    ),
                ))
                .await;
            }
            Attempt::NoEndpoint => {
                self.queue.remove_logout_delivery(delivery.id).await?;
                report.abandoned += 1;
                tracing::warn!(
                    client,
                    "back-channel logout dropped: the client no longer has a backchannel_logout_uri"
                );
                self.append(event(
                    AuditKind::BackchannelLogoutAbandoned,
                    format!("no_endpoint reason={}", delivery.reason),
                ))
                .await;
            }
            Attempt::Failed { problem } => match self.schedule.next_attempt(attempts, now) {
                Some(next) => {
                    self.queue
                        .reschedule_logout_delivery(delivery.id, attempts, next, &problem)
                        .await?;
                    report.retrying += 1;
                    tracing::warn!(
                        client,
                        attempts,
                        problem = %problem,
                        next_attempt_at = %rfc3339(next),
                        "back-channel logout failed; will retry"
                    );
                    self.append(event(
                        AuditKind::BackchannelLogoutFailed,
                        format!(
                            "{problem} reason={} attempts={attempts} next_attempt={}",
                            delivery.reason,
                            rfc3339(next)
                        ),
                    ))
                    .await;
                }
                None => {
                    self.queue.remove_logout_delivery(delivery.id).await?;
                    report.abandoned += 1;
                    tracing::error!(
                        client,
                        attempts,
                        problem = %problem,
                        "back-channel logout failed for the last time; given up"
                    );
                    self.append(event(
                        AuditKind::BackchannelLogoutAbandoned,
                        format!(
                            "attempts_exhausted {problem} reason={} attempts={attempts}",
                            delivery.reason
                        ),
                    ))
                    .await;
                }
            },
        }
        Ok(())
    }

    /// The audit trail must not stop deliveries: a failed write is logged.
    async fn append(&self, event: AuditEvent) {
        if let Err(error) = self.audit.append_audit(std::slice::from_ref(&event)).await {
            tracing::error!(%error, event = event.line(), "audit event cannot be written");
        }
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A transport error without the URL (it is in the client's registration
/// already) and without its source chain's noise: the kind is what matters.
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_connect() {
        "connection failed"
    } else if error.is_request() {
        "request failed"
    } else if error.is_body() || error.is_decode() {
        "bad response"
    } else {
        "transport error"
    };
    kind.to_owned()
}
