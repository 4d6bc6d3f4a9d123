//! Identity proofing by an external ident service (R-RG-5).
//!
//! An account that awaits activation (stage
//! [`Stage::AwaitingActivation`]) may prove who its holder is with an
//! upstream OpenID Connect provider instead of the letter code (R-RG-4).
//! Pforte is the relying party there: authorization code flow with PKCE S256
//! (RFC 7636), `state` and `nonce` (OIDC Core 3.1.2.1), the ID token verified
//! against the upstream's JWKS ([`id_token`]). The upstream's verified
//! `given_name`, `family_name` and `birthdate` must match the member record
//! the account is linked to ([`matching`]); then the account becomes
//! [`Stage::Active`] with [`Proofing::Ident`]. A mismatch changes nothing: the
//! letter path stays open.
//!
//! The HTTP side (discovery, token request, JWKS, userinfo) is the
//! [`IdentService`] port; pforte-server implements it with reqwest. This
//! module keeps the attempt's secrets (state, nonce, PKCE verifier) in the
//! ephemeral store, single use, for [`ATTEMPT_TTL`].

pub mod id_token;
pub mod matching;

use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::member::{MemberError, MemberRegistry};
use crate::ports::{EphemeralStore, LockoutStore, MemberLinkStore};
use crate::registration::{Proofing, Stage};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_types::{AccountId, Clock, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

pub use matching::{MatchReport, compare};

/// How long the user may take at the ident service (video or eID
/// identification takes minutes).
pub const ATTEMPT_TTL: Duration = Duration::from_secs(30 * 60);

/// Key prefix of an attempt in the ephemeral store.
const PREFIX: &str = "ident:";

/// The claims an ident service vouched for, after its ID token was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentClaims {
    pub issuer: String,
    /// The person's identifier at the ident service (audit only).
    pub subject: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// OIDC Core 5.1: `YYYY-MM-DD`.
    pub birthdate: Option<String>,
}

/// What one attempt sends to the ident service's authorization endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentRequest {
    pub state: String,
    pub nonce: String,
    /// `BASE64URL(SHA256(verifier))` (RFC 7636 4.2, S256).
    pub code_challenge: String,
}

/// Why the ident service could not be used.
#[derive(Debug, thiserror::Error)]
pub enum IdentServiceError {
    /// Not reachable, timed out, or answered with something unusable
    /// (discovery, token, JWKS or userinfo).
    #[error("ident service unavailable: {0}")]
    Unavailable(String),
    /// The token endpoint refused the code (RFC 6749 5.2).
    #[error("ident service refused the code: {0}")]
    Refused(String),
    /// The ID token was not believed.
    #[error("ident service answer invalid: {0}")]
    Invalid(#[from] id_token::IdTokenError),
}

/// The upstream OpenID Connect provider acting as ident service (R-RG-5).
#[async_trait]
pub trait IdentService: Send + Sync {
    /// The name shown on the button ("confirm my identity with …").
    fn display_name(&self) -> &str;
    /// The URL of the upstream authorization endpoint for this attempt.
    async fn authorization_url(&self, request: &IdentRequest) -> Result<String, IdentServiceError>;
    /// Redeems `code` (with the PKCE verifier) and returns the verified
    /// claims; the ID token's nonce must be `nonce`.
    async fn redeem(
        &self,
        code: &str,
        code_verifier: &str,
        nonce: &str,
    ) -> Result<IdentClaims, IdentServiceError>;
}

/// One attempt between the redirect and the callback; single use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Attempt {
    account: AccountId,
    nonce: String,
    code_verifier: String,
    /// The login interaction the browser continues afterwards (opaque here),
    /// chosen by our own pages, never by the upstream; `None` when the
    /// attempt started outside a login (right after registration).
    interaction: Option<String>,
    started_at: DateTime<Utc>,
}

/// Errors of identity proofing, with stable public codes (DESIGN.md §5).
#[derive(Debug, thiserror::Error)]
pub enum IdentError {
    /// The account has no member link or does not await activation.
    #[error("this account does not await activation")]
    NotAwaitingActivation,
    /// The callback names no pending attempt: unknown, used or expired.
    #[error("the identification attempt is unknown or expired")]
    UnknownAttempt,
    #[error(transparent)]
    Service(#[from] IdentServiceError),
    #[error("member data: {0}")]
    Member(#[from] MemberError),
    /// The linked member is no longer in the registry.
    #[error("the member record is missing")]
    MemberMissing,
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("attempt data unusable: {0}")]
    Corrupt(String),
}

impl IdentError {
    /// The stable public code shown on pages.
    pub fn public_code(&self) -> &'static str {
        match self {
            Self::NotAwaitingActivation => "PF-IDENT-001",
            Self::UnknownAttempt => "PF-IDENT-002",
            Self::Service(IdentServiceError::Refused(_) | IdentServiceError::Invalid(_)) => {
                "PF-IDENT-003"
            }
            Self::Service(IdentServiceError::Unavailable(_)) => "PF-IDENT-503",
            Self::MemberMissing => "PF-IDENT-004",
            Self::Member(_) | Self::Store(_) | Self::Corrupt(_) => "PF-IDENT-500",
        }
    }

    /// The message key of the page that explains it (themes' i18n).
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::NotAwaitingActivation => "ident_error_not_awaiting",
            Self::UnknownAttempt => "ident_error_unknown_attempt",
            Self::Service(IdentServiceError::Unavailable(_)) => "ident_error_unavailable",
            Self::Service(_) => "ident_error_invalid_answer",
            Self::MemberMissing => "ident_error_member_missing",
            Self::Member(_) | Self::Store(_) | Self::Corrupt(_) => "ident_error_internal",
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentOutcome {
    /// The claims matched: the account is active now.
    Activated {
        account: AccountId,
        interaction: Option<String>,
    },
    /// The claims did not match the member record; nothing changed.
    Mismatch {
        account: AccountId,
        report: MatchReport,
        interaction: Option<String>,
    },
    /// The user cancelled at the ident service (or it answered with an
    /// error, RFC 6749 4.1.2.1); nothing changed.
    Cancelled {
        account: AccountId,
        interaction: Option<String>,
    },
}

/// Starts and finishes identity proofing attempts (R-RG-5).
pub struct IdentProofing {
    service: Arc<dyn IdentService>,
    links: Arc<dyn MemberLinkStore>,
    members: Arc<MemberRegistry>,
    ephemeral: Arc<dyn EphemeralStore>,
    audit: Arc<dyn LockoutStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for IdentProofing {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IdentProofing")
            .field("service", &self.service.display_name())
            .finish_non_exhaustive()
    }
}

impl IdentProofing {
    pub fn new(
        service: Arc<dyn IdentService>,
        links: Arc<dyn MemberLinkStore>,
        members: Arc<MemberRegistry>,
        ephemeral: Arc<dyn EphemeralStore>,
        audit: Arc<dyn LockoutStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            service,
            links,
            members,
            ephemeral,
            audit,
            clock,
        }
    }

    /// The ident service's name for the button.
    pub fn display_name(&self) -> &str {
        self.service.display_name()
    }

    /// Whether `account` may be proven now (it awaits activation).
    pub async fn is_eligible(&self, account: AccountId) -> Result<bool, IdentError> {
        Ok(self
            .links
            .link_of_account(account)
            .await?
            .is_some_and(|link| link.stage == Stage::AwaitingActivation))
    }

    /// Starts an attempt for `account` and returns the URL to send the
    /// browser to. The caller has established who the user is (password at
    /// login, or the registration just made); `interaction` names the login
    /// the browser continues after the callback.
    pub async fn begin(
        &self,
        account: AccountId,
        interaction: Option<String>,
    ) -> Result<String, IdentError> {
        if !self.is_eligible(account).await? {
            return Err(IdentError::NotAwaitingActivation);
        }
        let state = pforte_crypto::random::random_token();
        let attempt = Attempt {
            account,
            nonce: pforte_crypto::random::random_token(),
            code_verifier: pforte_crypto::random::random_token(),
            interaction,
            started_at: self.clock.now(),
        };
        let request = IdentRequest {
            state: state.clone(),
            nonce: attempt.nonce.clone(),
            code_challenge: pforte_crypto::random::sha256_b64url(&attempt.code_verifier),
        };
        let url = self.service.authorization_url(&request).await?;
        let bytes =
            serde_json::to_vec(&attempt).map_err(|error| IdentError::Corrupt(error.to_string()))?;
        self.ephemeral
            .put_ephemeral(&format!("{PREFIX}{state}"), &bytes, ATTEMPT_TTL)
            .await?;
        Ok(url)
    }

    /// Finishes the attempt named by `state` with the upstream's answer:
    /// `Ok(code)` or `Err(error)` (the `error` parameter of the callback).
    /// The attempt is consumed whatever happens: a second callback with the
    /// same state is [`IdentError::UnknownAttempt`].
    pub async fn finish(
        &self,
        state: &str,
        answer: Result<&str, &str>,
        context: &RequestContext,
    ) -> Result<IdentOutcome, IdentError> {
        let bytes = self
            .ephemeral
            .take_ephemeral(&format!("{PREFIX}{state}"))
            .await?
            .ok_or(IdentError::UnknownAttempt)?;
        let attempt: Attempt = serde_json::from_slice(&bytes)
            .map_err(|error| IdentError::Corrupt(error.to_string()))?;
        let now = self.clock.now();
        let event = |kind: AuditKind, detail: String| {
            let mut event = AuditEvent::new(kind, now, Some(attempt.account), "", context);
            event.username = None;
            event.detail = Some(detail);
            event
        };
        let code = match answer {
            Ok(code) => code,
            Err(error) => {
                self.audit
                    .append_audit(&[event(
                        AuditKind::IdentityProofingFailed,
                        format!("upstream_error={}", sanitise(error)),
                    )])
                    .await?;
                return Ok(IdentOutcome::Cancelled {
                    account: attempt.account,
                    interaction: attempt.interaction,
                });
            }
        };
        let claims = match self
            .service
            .redeem(code, &attempt.code_verifier, &attempt.nonce)
            .await
        {
            Ok(claims) => claims,
            Err(error) => {
                self.audit
                    .append_audit(&[event(
                        AuditKind::IdentityProofingFailed,
                        format!("service: {error}"),
                    )])
                    .await?;
                return Err(error.into());
            }
        };
        let link = self
            .links
            .link_of_account(attempt.account)
            .await?
            .filter(|link| link.stage == Stage::AwaitingActivation)
            .ok_or(IdentError::NotAwaitingActivation)?;
        let member = self
            .members
            .find_by_digest(&link.kvnr_digest)
            .await?
            .ok_or(IdentError::MemberMissing)?;
        let report = compare(&claims, &member);
        let upstream = format!("iss={} sub={}", claims.issuer, claims.subject);
        if !report.is_match() {
            self.audit
                .append_audit(&[event(
                    AuditKind::IdentityProofingFailed,
                    format!("mismatch {} {upstream}", report.summary()),
                )])
                .await?;
            return Ok(IdentOutcome::Mismatch {
                account: attempt.account,
                report,
                interaction: attempt.interaction,
            });
        }
        self.links
            .set_stage(
                attempt.account,
                Stage::Active,
                Proofing::Ident,
                now,
                &[
                    event(AuditKind::AccountActivated, "proofing=ident".to_owned()),
                    event(AuditKind::IdentityProofed, upstream),
                ],
            )
            .await?;
        Ok(IdentOutcome::Activated {
            account: attempt.account,
            interaction: attempt.interaction,
        })
    }
}

/// An upstream error code for the audit line: RFC 6749 error codes are
/// `%x20-21 / %x23-5B / %x5D-7E`; anything else and overlong input is cut.
fn sanitise(text: &str) -> String {
    text.chars()
        .filter(|character| character.is_ascii_graphic())
        .take(64)
        .collect()
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
