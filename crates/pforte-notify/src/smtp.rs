//! [`SmtpNotifier`]: e-mail through an SMTP relay (RFC 5321) with lettre's
//! pooled async transport.
//!
//! The message is plain text (UTF-8) with the headers RFC 5322 §3.6 asks for:
//! `Date` (the time the message was created, not the time a retry went out),
//! `From`, `To`, `Subject` and a `Message-ID` made of the message's id and
//! the sender's domain, so a bounce or a support question can be traced to
//! one outbox entry. TLS is either implicit (`tls`, port 465, RFC 8314), or
//! STARTTLS that must succeed (`starttls`, port 587; never a silent fall back
//! to plain text), or off (`none`, only for a relay on the same host).

use crate::SetupError;
use crate::texts;
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use pforte_identity::factor::OutboundMessage;
use pforte_identity::ports::{Notifier, NotifyError};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain text: only for a relay on localhost or a trusted network.
    None,
    /// STARTTLS, required (RFC 3207); default port 587.
    #[default]
    Starttls,
    /// TLS from the first byte (RFC 8314); default port 465.
    Tls,
}

/// SMTP settings, as the server's `[notify.smtp]` section holds them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// The relay's host name (also the name its certificate must carry).
    pub host: String,
    /// Default: 25 for `none`, 587 for `starttls`, 465 for `tls`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    /// User name for SMTP AUTH; without it no authentication is tried.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The sender, e.g. `Pforte <no-reply@login.example>`.
    pub from: String,
    /// Seconds for connecting and for each SMTP command.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_timeout_secs() -> u64 {
    10
}

impl std::fmt::Debug for SmtpSettings {
    /// Never prints the password.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

impl SmtpSettings {
    /// The port in use: the configured one or the default of the TLS mode.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }
}

/// Sends messages as plain-text e-mail through one SMTP relay.
#[derive(Clone)]
pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of generated Message-IDs.
    id_domain: String,
}

impl std::fmt::Debug for SmtpNotifier {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SmtpNotifier")
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl SmtpNotifier {
    /// Checks the settings and prepares the (lazily connecting) transport.
    ///
    /// Must be called inside a Tokio runtime: the connection pool starts a
    /// task of its own and stops it when the last clone is dropped, which
    /// must therefore happen inside the runtime too.
    pub fn new(settings: &SmtpSettings) -> Result<Self, SetupError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SetupError::Invalid {
                field: "smtp",
                reason: "the SMTP pool needs a running Tokio runtime".into(),
            });
        }
        let from: Mailbox = settings.from.parse().map_err(|err| SetupError::Invalid {
            field: "smtp.from",
            reason: format!("not an e-mail address: {err}"),
        })?;
        if settings.host.trim().is_empty() {
            return Err(SetupError::Invalid {
                field: "smtp.host",
                reason: "must not be empty".into(),
            });
        }
        if settings.password.is_some() && settings.username.is_none() {
            return Err(SetupError::Invalid {
                field: "smtp.password",
                reason: "given without smtp.username".into(),
            });
        }
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls | SmtpTls::Tls => {
                let parameters = TlsParameters::new(settings.host.clone()).map_err(|err| {
                    SetupError::Invalid {
                        field: "smtp.host",
                        reason: format!("cannot set up TLS: {err}"),
                    }
                })?;
                if settings.tls == SmtpTls::Tls {
                    Tls::Wrapper(parameters)
                } else {
                    Tls::Required(parameters)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.effective_port())
            .tls(tls)
            .timeout(Some(Duration::from_secs(settings.timeout_secs.max(1))));
        if let Some(username) = &settings.username {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                settings.password.clone().unwrap_or_default(),
            ));
        }
        let id_domain = from.email.domain().to_owned();
        Ok(Self {
            transport: builder.build(),
            from,
            id_domain,
        })
    }

    /// The e-mail for a message, ready to send (public for tests and for a
    /// preview in the admin console).
    pub fn build_email(&self, message: &OutboundMessage) -> Result<Message, NotifyError> {
        let rendered =
            texts::render(message).map_err(|err| NotifyError::Failed(err.to_string()))?;
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|_| NotifyError::Failed("the recipient is not an e-mail address".into()))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .date(SystemTime::from(message.created_at))
            .message_id(Some(format!("<{}@{}>", message.id, self.id_domain)))
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.body)
            .map_err(|err| NotifyError::Failed(format!("cannot build the e-mail: {err}")))
    }
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        let email = self.build_email(message)?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|err| NotifyError::Failed(format!("SMTP: {err}")))
    }
}
