//! The login service: password check and provider sessions.
//!
//! The password login with its lockout lives in [`crate::login`], password
//! changes in [`crate::password_change`], operator actions in
//! [`crate::operator`]; this file holds the service, its error and sessions.

use crate::account::Account;
use crate::audit::RequestContext;
use crate::ports::{
    AccountStore, ChallengeStore, CredentialStore, FactorStore, LockoutStore, Notifier,
    ProfileStore, SessionStore,
};
use crate::session::ProviderSession;
use crate::throttle::SourceThrottle;
use chrono::{DateTime, TimeDelta, Utc};
use pforte_crypto::MasterKey;
use pforte_crypto::PasswordHasher;
use pforte_factors::code::CodeDigester;
use pforte_policy::{IdentifierError, PasswordViolation, ResolvedPolicy};
use pforte_types::{AccountId, Clock, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// The assurance level a password-only login reaches (R-AC-1: `loa-low` is the
/// password level). Higher levels arrive with second factors.
pub const PASSWORD_ACR: &str = "loa-low";

/// The RFC 8176 2 method reference for a password.
pub const PASSWORD_AMR: &str = "pwd";

/// Why a login or session operation failed. The public part is the variant; the
/// store detail is internal and only logged (DESIGN.md §5).
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Unknown username or wrong password: deliberately one variant, so that no
    /// caller can tell the two apart (R-LO-4).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The entered login name cannot be one (e.g. a KVNR with a wrong check
    /// digit); said before anything is looked up (R-ID-2). It is about the
    /// input's shape only and reveals nothing about existing accounts.
    #[error("{0}")]
    InvalidIdentifier(IdentifierError),
    /// A new password breaks these rules of the policy (R-PW-2), all of them.
    #[error("the password breaks {} rule(s) of the policy", .0.len())]
    PasswordRejected(Vec<PasswordViolation>),
    /// The repeated new password differs from the first entry.
    #[error("the two new passwords differ")]
    PasswordConfirmationMismatch,
    /// A password change was asked for an account that has no initial password.
    #[error("no password change is pending for this account")]
    NoPasswordChangePending,
    /// An operator named an account that does not exist.
    #[error("no user named {0:?}")]
    UnknownAccount(String),
    /// The service was built without policy and lockout storage.
    #[error("the login policy is not configured")]
    NotConfigured,
    /// The login or step-up names an assurance level the policy does not
    /// know (R-AC-2).
    #[error("unknown assurance level {0:?}")]
    UnknownLevel(String),
    /// A step-up or re-authentication was answered with another account's
    /// password.
    #[error("the password belongs to another account")]
    WrongAccount,
    /// A second-factor code (TOTP, SMS, e-mail, recovery) is wrong; the user
    /// may try again.
    #[error("the code is wrong")]
    WrongCode,
    /// The code expired, used up its tries or was never sent: a new one must
    /// be requested (R-MF-3).
    #[error("the code is no longer valid")]
    CodeExpired,
    /// Too many wrong second-factor entries in this login: it ends.
    #[error("too many wrong codes")]
    TooManyAttempts,
    /// A new code was asked for before the resend interval passed (R-MF-3).
    #[error("a new code can be sent at {resend_at}")]
    ResendTooSoon {
        resend_at: chrono::DateTime<chrono::Utc>,
    },
    /// The factor does not exist, is not the account's, or the method needs
    /// none of this.
    #[error("no such factor")]
    NoSuchFactor,
    /// The mobile number or e-mail address cannot be one.
    #[error("invalid destination: {0}")]
    InvalidDestination(String),
    /// The policy asks for a membership proof, but the member data has no
    /// health card serial to compare with (R-MF-4).
    #[error("no member data to prove membership against")]
    MembershipUnavailable,
    /// The entered digits of the health card serial are wrong (R-MF-4).
    #[error("the membership proof failed")]
    MembershipNotProven,
    /// A factor name that is empty, too long or has control characters.
    #[error("invalid factor name")]
    InvalidLabel,
    /// The last second factor cannot be removed while one is mandatory.
    #[error("the last second factor cannot be removed")]
    LastFactor,
    /// The security key's answer did not verify (signature, challenge of
    /// another ceremony, origin, user verification, unknown credential); the
    /// precise reason is in the audit trail. The user may try again.
    #[error("the security key could not be verified")]
    SecurityKeyRejected,
    /// The security key is already registered (to this or another account;
    /// WebAuthn §7.1 step 22).
    #[error("this security key is already registered")]
    SecurityKeyTaken,
    /// No security key ceremony is pending (never started, already used, or
    /// its state is unreadable): the user starts again.
    #[error("the security key request is no longer valid")]
    SecurityKeyExpired,
    /// The code could not be handed to the SMS gateway or mail server.
    #[error("the message could not be sent: {0}")]
    Delivery(String),
    /// A sealed secret did not open or a factor's data is unusable.
    #[error("factor data unusable: {0}")]
    Sealing(String),
    /// Too many recovery requests from this address (R-RC-1); says nothing
    /// about any account.
    #[error("too many recovery requests from this address")]
    RecoveryThrottled,
    /// The account cannot be deleted while something depends on it
    /// (R-RC-4); the blockers are named.
    #[error("the account cannot be deleted now")]
    DeletionBlocked(Vec<crate::deletion::DeletionBlocker>),
    /// The storage behind accounts or sessions failed.
    #[error("identity storage failed: {0}")]
    Store(#[from] StoreError),
    /// Every password hashing worker is busy and the queue is full (R-OP-3):
    /// nothing was checked or counted; the user may try again shortly.
    #[error("password checks are temporarily unavailable")]
    Busy,
    /// Password hashing failed for another reason than a full queue.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl From<pforte_crypto::CryptoError> for IdentityError {
    fn from(error: pforte_crypto::CryptoError) -> Self {
        match error {
            pforte_crypto::CryptoError::Busy => Self::Busy,
            other => Self::Hashing(other.to_string()),
        }
    }
}

impl IdentityError {
    /// The stable public code shown on pages (DESIGN.md §5).
    pub fn public_code(&self) -> &'static str {
        match self {
            Self::InvalidCredentials => "PF-LOGIN-001",
            Self::InvalidIdentifier(_) => "PF-LOGIN-002",
            Self::PasswordRejected(_) => "PF-PW-001",
            Self::PasswordConfirmationMismatch => "PF-PW-002",
            Self::NoPasswordChangePending => "PF-PW-003",
            Self::UnknownAccount(_) => "PF-USER-001",
            Self::UnknownLevel(_) => "PF-MFA-001",
            Self::WrongAccount => "PF-LOGIN-003",
            Self::WrongCode => "PF-MFA-002",
            Self::CodeExpired => "PF-MFA-003",
            Self::TooManyAttempts => "PF-MFA-004",
            Self::ResendTooSoon { .. } => "PF-MFA-005",
            Self::NoSuchFactor => "PF-MFA-006",
            Self::InvalidDestination(_) => "PF-MFA-007",
            Self::InvalidLabel => "PF-MFA-008",
            Self::MembershipUnavailable => "PF-MFA-011",
            Self::MembershipNotProven => "PF-MFA-012",
            Self::LastFactor => "PF-MFA-009",
            Self::SecurityKeyRejected => "PF-MFA-013",
            Self::SecurityKeyTaken => "PF-MFA-014",
            Self::SecurityKeyExpired => "PF-MFA-015",
            Self::Delivery(_) => "PF-MFA-502",
            Self::RecoveryThrottled => "PF-RC-001",
            Self::DeletionBlocked(_) => "PF-RC-002",
            Self::Sealing(_) => "PF-MFA-500",
            Self::NotConfigured => "PF-LOGIN-501",
            Self::Store(_) => "PF-LOGIN-500",
            Self::Busy => "PF-LOGIN-503",
            Self::Hashing(_) => "PF-LOGIN-502",
        }
    }
}

pub struct IdentityService {
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) hasher: Arc<PasswordHasher>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Absolute lifetime of a provider session (R-SE-1).
    pub(crate) session_ttl: Duration,
    /// Idle timeout of a provider session (R-SE-1); `None` for none.
    pub(crate) session_idle: Option<Duration>,
    pub(crate) guard: Option<LoginGuard>,
    /// Per-IP / per-network failure counters (R-LO-5).
    pub(crate) throttle: SourceThrottle,
    /// Second factors (R-MF); `None` refuses every factor operation.
    pub(crate) factors: Option<FactorKit>,
    /// Told whenever a session ends (back-channel logout, R-SE-2).
    pub(crate) session_end: Option<Arc<dyn crate::ports::SessionEndListener>>,
    /// Account deletion (R-RC-4); `None` refuses it.
    pub(crate) deletion: Option<crate::deletion::DeletionKit>,
    /// Links of registered accounts to their members (R-ID-4, R-RG); `None`
    /// when the provider has no registration (every account is active).
    pub(crate) member_links: Option<Arc<dyn crate::ports::MemberLinkStore>>,
}

/// What second factors need: their storage, the outbound messages, the
/// master key that seals secrets, and the digester of codes.
#[derive(Clone)]
pub struct FactorKit {
    pub factors: Arc<dyn FactorStore>,
    pub challenges: Arc<dyn ChallengeStore>,
    pub profiles: Arc<dyn ProfileStore>,
    pub notifier: Arc<dyn Notifier>,
    pub master: Arc<MasterKey>,
    pub codes: CodeDigester,
    /// The service name authenticator apps show (the brand's name).
    pub totp_issuer: String,
    /// The WebAuthn relying party of the issuer (R-MF-1); `None` when the
    /// issuer cannot be one (an IP address as host), which refuses WebAuthn.
    pub webauthn: Option<Arc<pforte_factors::webauthn::WebauthnFactor>>,
}

/// The policy and the storage the lockout and password rules need.
#[derive(Clone)]
pub struct LoginGuard {
    pub policy: Arc<ResolvedPolicy>,
    pub lockout: Arc<dyn LockoutStore>,
    pub credentials: Arc<dyn CredentialStore>,
}

impl std::fmt::Debug for IdentityService {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("IdentityService")
            .field("session_ttl", &self.session_ttl)
            .finish_non_exhaustive()
    }
}

impl IdentityService {
    pub fn new(
        accounts: Arc<dyn AccountStore>,
        sessions: Arc<dyn SessionStore>,
        hasher: Arc<PasswordHasher>,
        clock: Arc<dyn Clock>,
        session_ttl: Duration,
    ) -> Self {
        Self {
            accounts,
            sessions,
            hasher,
            clock,
            session_ttl,
            session_idle: None,
            guard: None,
            throttle: SourceThrottle::default(),
            factors: None,
            session_end: None,
            deletion: None,
            member_links: None,
        }
    }

    /// Closes the login of registered accounts that are not active (the
    /// registration lifecycle, R-ID-4, R-RG-3, R-RG-4).
    pub fn with_member_links(mut self, links: Arc<dyn crate::ports::MemberLinkStore>) -> Self {
        self.member_links = Some(links);
        self
    }

    /// Tells `listener` about every session that ends (R-SE-2).
    pub fn with_session_end_listener(
        mut self,
        listener: Arc<dyn crate::ports::SessionEndListener>,
    ) -> Self {
        self.session_end = Some(listener);
        self
    }

    /// Allows account deletion (R-RC-4) with the store that erases and the
    /// rules that may block it.
    pub fn with_account_deletion(mut self, kit: crate::deletion::DeletionKit) -> Self {
        self.deletion = Some(kit);
        self
    }

    /// Keeps the per-source throttling counters (R-LO-5) in `store` instead
    /// of in process, so that several nodes count failures together.
    pub fn with_throttle_store(mut self, store: Arc<dyn crate::ports::ThrottleStore>) -> Self {
        self.throttle = SourceThrottle::new(store);
        self
    }

    /// Ends sessions that were not used for `idle` (R-SE-1; seen in the seeds:
    /// 15 minutes), on top of the absolute lifetime.
    pub fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.session_idle = Some(idle);
        self
    }

    /// Adds second factors (R-MF); without them, only password logins work.
    pub fn with_factors(mut self, kit: FactorKit) -> Self {
        self.factors = Some(kit);
        self
    }

    /// Adds the tenant's policy and the lockout and credential storage; a
    /// service without them refuses every login ([`IdentityError::NotConfigured`]).
    pub fn with_login_guard(mut self, guard: LoginGuard) -> Self {
        self.guard = Some(guard);
        self
    }

    /// The policy in force (the built-in default when none is configured).
    pub fn policy(&self) -> Option<&ResolvedPolicy> {
        self.guard.as_ref().map(|guard| guard.policy.as_ref())
    }

    pub(crate) fn guard(&self) -> Result<&LoginGuard, IdentityError> {
        self.guard.as_ref().ok_or(IdentityError::NotConfigured)
    }

    /// Starts a provider session for an account that just proved a password:
    /// a fresh random `sid` (never reused across logins, so a login always
    /// rotates the session cookie), `auth_time` now, acr [`PASSWORD_ACR`], amr
    /// `["pwd"]` (RFC 8176), ending after the configured lifetime.
    pub async fn start_password_session(
        &self,
        account_id: AccountId,
    ) -> Result<ProviderSession, IdentityError> {
        let now = self.clock.now();
        let session = ProviderSession {
            acr: self
                .assurance()
                .levels
                .first()
                .map_or_else(|| PASSWORD_ACR.to_owned(), |level| level.name.clone()),
            amr: vec![PASSWORD_AMR.to_owned()],
            evidence: vec![pforte_types::Evidence {
                method: pforte_types::Method::Password,
                class: pforte_types::FactorClass::Knowledge,
                at: now,
            }],
            ..self.new_session(account_id, now)
        };
        self.sessions.put_session(&session).await?;
        Ok(session)
    }

    /// A fresh session of `account_id` starting `now`: a random `sid`, the
    /// absolute end after the configured lifetime and the idle timeout in
    /// force (R-SE-1). The caller sets acr, amr and evidence.
    pub(crate) fn new_session(&self, account_id: AccountId, now: DateTime<Utc>) -> ProviderSession {
        let ttl = TimeDelta::from_std(self.session_ttl).unwrap_or(TimeDelta::MAX);
        ProviderSession {
            sid: pforte_crypto::random::random_token(),
            account_id,
            auth_time: now,
            acr: String::new(),
            amr: Vec::new(),
            created_at: now,
            expires_at: now
                .checked_add_signed(ttl)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            clients: Vec::new(),
            evidence: Vec::new(),
            last_seen_at: Some(now),
            idle_timeout_secs: self.session_idle.map(|idle| idle.as_secs().max(1)),
        }
    }

    /// The session with this id while it is live; an expired or unknown one is
    /// `None` (the caller treats the browser as logged out).
    pub async fn live_session(&self, sid: &str) -> Result<Option<ProviderSession>, IdentityError> {
        if sid.is_empty() {
            return Ok(None);
        }
        let now = self.clock.now();
        Ok(self
            .sessions
            .get_session(sid)
            .await?
            .filter(|session| session.is_live(now)))
    }

    /// Ends a session (R-SE-2) and tells the session-end listener. Ending an
    /// unknown or already ended session is not an error and returns `None`;
    /// otherwise the ended session (with its relying parties) is returned, e.g.
    /// for front-channel logout.
    ///
    /// Every ended session is an audit event `session_ended` naming the
    /// reason (R-SE-3, R-OP-3); [`Self::end_session_by`] adds who asked.
    pub async fn end_session(
        &self,
        sid: &str,
        reason: crate::session::SessionEndReason,
    ) -> Result<Option<ProviderSession>, IdentityError> {
        self.end_session_by(sid, reason, &RequestContext::default())
            .await
    }

    /// [`Self::end_session`] with the request (or operator) that asked, for
    /// the audit trail.
    pub async fn end_session_by(
        &self,
        sid: &str,
        reason: crate::session::SessionEndReason,
        context: &RequestContext,
    ) -> Result<Option<ProviderSession>, IdentityError> {
        if sid.is_empty() {
            return Ok(None);
        }
        let Some(session) = self.sessions.get_session(sid).await? else {
            return Ok(None);
        };
        self.sessions.delete_session(sid).await?;
        if let Some(listener) = &self.session_end {
            listener
                .session_ended(&crate::session::EndedSession {
                    session: session.clone(),
                    reason,
                })
                .await;
        }
        // After the listener, so that a trail that cannot be written does not
        // keep the relying parties from hearing of the end.
        self.audit_session_end(&session, reason, context).await?;
        Ok(Some(session))
    }

    /// Records that `client_id` was answered in this session, so that logout
    /// can later reach it (R-SE-2).
    pub async fn record_client(&self, sid: &str, client_id: &str) -> Result<(), IdentityError> {
        self.sessions.add_session_client(sid, client_id).await?;
        Ok(())
    }

    /// The account of a session, e.g. to show who is logged in.
    pub async fn account(&self, id: AccountId) -> Result<Option<Account>, IdentityError> {
        Ok(self.accounts.get_account(id).await?)
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
pub(crate) mod tests;

#[cfg(test)]
#[path = "login_tests.rs"]
mod login_tests;

#[cfg(test)]
#[path = "reauth_tests.rs"]
mod reauth_tests;
