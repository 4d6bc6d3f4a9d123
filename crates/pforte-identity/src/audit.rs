//! Audit events of the login and account lifecycle (R-LO-6, R-OP-3).
//!
//! Every lock, unlock, deactivation, reactivation, password change and rehash,
//! and every login success or failure, is one [`AuditEvent`]. The store writes
//! an event in the same transaction as the state change it describes, so the
//! trail never claims a change that did not happen (or misses one that did).
//! The kinds and the line format are documented in `docs/events.md`.

use chrono::{DateTime, SecondsFormat, Utc};
use pforte_types::AccountId;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::net::IpAddr;

/// What happened. The names are stable: operators filter and alert on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    LoginSucceeded,
    LoginFailed,
    AccountLocked,
    LockExtended,
    AccountUnlocked,
    AccountDeactivated,
    AccountReactivated,
    PasswordChanged,
    PasswordRehashed,
    FactorEnrolled,
    FactorRemoved,
    FactorRenamed,
    FactorVerified,
    FactorFailed,
    CodeSent,
    RecoveryCodesIssued,
    StepUpSucceeded,
    TermsAccepted,
    ContactVerified,
    /// A provider session ended; the detail names the reason and the
    /// session's handle (R-SE-2, R-SE-3).
    SessionEnded,
    /// A logout token reached a relying party (BCL 1.0 §2.8, R-SE-2).
    BackchannelLogoutDelivered,
    /// One attempt to deliver a logout token failed; it is retried.
    BackchannelLogoutFailed,
    /// A logout token was given up: refused by the RP or out of attempts.
    BackchannelLogoutAbandoned,
    /// An operator imported member data (R-ID-4); the detail holds the counts.
    MembersImported,
    /// A member registered an account (R-RG-1); the detail names the proofing.
    AccountRegistered,
    /// The e-mail address of a registration was confirmed by its code (R-RG-3).
    RegistrationEmailConfirmed,
    /// An activation code was issued and its letter queued (R-RG-4).
    ActivationLetterRequested,
    /// The account became active (R-RG-4…6); the detail names the proofing.
    AccountActivated,
    /// A wrong, expired or malformed activation code was entered (R-RG-4).
    ActivationCodeFailed,
    /// The membership ended and login was closed, or a new membership opened
    /// it again (R-ID-4); the detail says which.
    MembershipEnded,
    /// An operator created an agent's invitation link (R-RG-6).
    InvitationCreated,
    /// An operator exported the pending letters by post as one print batch
    /// (R-RG-4, R-PW-3); the detail holds the batch id and the letter count.
    LettersExported,
    PasswordResetRequested,
    PasswordReset,
    UsernameReminded,
    ContactChanged,
    AccountDeleted,
    AccountDeletionRefused,
    /// An ident service's verified claims matched the member record and the
    /// account became active (R-RG-5); the detail names the upstream issuer
    /// and subject.
    IdentityProofed,
    /// An identity proofing attempt failed: claims did not match (the detail
    /// names the fields, never their values), the user cancelled, or the
    /// ident service's answer was unusable (R-RG-5).
    IdentityProofingFailed,
    /// A member unknown to the registry was found by the insurer's lookup
    /// and stored (R-RG-1).
    MemberLookedUp,
    /// A registration was refused (R-RG-1): the detail is the reason code
    /// (`Refusal::audit_detail` or the form error's message key), never the
    /// member data entered, so that the trail is no member list.
    RegistrationRefused,
    /// An operator role was granted to an account (R-OP-1); the detail names
    /// the role and who granted it.
    OperatorRoleGranted,
    /// An operator role was taken from an account (R-OP-1).
    OperatorRoleRevoked,
    /// An operator logged in to the admin console (R-OP-1); the detail names
    /// the roles and the level reached.
    AdminLogin,
    /// A console login was refused after the provider's login: no role, too
    /// low a level or no second factor (R-OP-1); the detail is the reason.
    AdminLoginRefused,
    /// An operator logged out of the admin console, or the console session
    /// ran out (R-OP-1).
    AdminLogout,
    /// An operator registered a relying party in the admin console or API
    /// (R-OP-1); `client` names it.
    ClientCreated,
    /// An operator changed a relying party's registration (R-OP-1, R-AC-2);
    /// the detail lists the changed fields, never a secret.
    ClientUpdated,
    /// An operator gave a relying party a new secret; the old one stopped
    /// working at once (R-OP-1).
    ClientSecretRotated,
    /// An operator made new signing keys active (R-OP-1); the detail lists
    /// the new key ids.
    SigningKeysRotated,
}

impl AuditKind {
    pub const ALL: [AuditKind; 51] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::AccountLocked,
        Self::LockExtended,
        Self::AccountUnlocked,
        Self::AccountDeactivated,
        Self::AccountReactivated,
        Self::PasswordChanged,
        Self::PasswordRehashed,
        Self::FactorEnrolled,
        Self::FactorRemoved,
        Self::FactorRenamed,
        Self::FactorVerified,
        Self::FactorFailed,
        Self::CodeSent,
        Self::RecoveryCodesIssued,
        Self::StepUpSucceeded,
        Self::TermsAccepted,
        Self::ContactVerified,
        Self::SessionEnded,
        Self::BackchannelLogoutDelivered,
        Self::BackchannelLogoutFailed,
        Self::BackchannelLogoutAbandoned,
        Self::MembersImported,
        Self::AccountRegistered,
        Self::RegistrationEmailConfirmed,
        Self::ActivationLetterRequested,
        Self::AccountActivated,
        Self::ActivationCodeFailed,
        Self::MembershipEnded,
        Self::InvitationCreated,
        Self::LettersExported,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::UsernameReminded,
        Self::ContactChanged,
        Self::AccountDeleted,
        Self::AccountDeletionRefused,
        Self::IdentityProofed,
        Self::IdentityProofingFailed,
        Self::MemberLookedUp,
        Self::RegistrationRefused,
        Self::OperatorRoleGranted,
        Self::OperatorRoleRevoked,
        Self::AdminLogin,
        Self::AdminLoginRefused,
        Self::AdminLogout,
        Self::ClientCreated,
        Self::ClientUpdated,
        Self::ClientSecretRotated,
        Self::SigningKeysRotated,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::AccountLocked => "account_locked",
            Self::LockExtended => "lock_extended",
            Self::AccountUnlocked => "account_unlocked",
            Self::AccountDeactivated => "account_deactivated",
            Self::AccountReactivated => "account_reactivated",
            Self::PasswordChanged => "password_changed",
            Self::PasswordRehashed => "password_rehashed",
            Self::FactorEnrolled => "factor_enrolled",
            Self::FactorRemoved => "factor_removed",
            Self::FactorRenamed => "factor_renamed",
            Self::FactorVerified => "factor_verified",
            Self::FactorFailed => "factor_failed",
            Self::CodeSent => "code_sent",
            Self::RecoveryCodesIssued => "recovery_codes_issued",
            Self::StepUpSucceeded => "step_up_succeeded",
            Self::TermsAccepted => "terms_accepted",
            Self::ContactVerified => "contact_verified",
            Self::SessionEnded => "session_ended",
            Self::BackchannelLogoutDelivered => "backchannel_logout_delivered",
            Self::BackchannelLogoutFailed => "backchannel_logout_failed",
            Self::BackchannelLogoutAbandoned => "backchannel_logout_abandoned",
            Self::MembersImported => "members_imported",
            Self::AccountRegistered => "account_registered",
            Self::RegistrationEmailConfirmed => "registration_email_confirmed",
            Self::ActivationLetterRequested => "activation_letter_requested",
            Self::AccountActivated => "account_activated",
            Self::ActivationCodeFailed => "activation_code_failed",
            Self::MembershipEnded => "membership_ended",
            Self::InvitationCreated => "invitation_created",
            Self::LettersExported => "letters_exported",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::UsernameReminded => "username_reminded",
            Self::ContactChanged => "contact_changed",
            Self::AccountDeleted => "account_deleted",
            Self::AccountDeletionRefused => "account_deletion_refused",
            Self::IdentityProofed => "identity_proofed",
            Self::IdentityProofingFailed => "identity_proofing_failed",
            Self::MemberLookedUp => "member_looked_up",
            Self::RegistrationRefused => "registration_refused",
            Self::OperatorRoleGranted => "operator_role_granted",
            Self::OperatorRoleRevoked => "operator_role_revoked",
            Self::AdminLogin => "admin_login",
            Self::AdminLoginRefused => "admin_login_refused",
            Self::AdminLogout => "admin_logout",
            Self::ClientCreated => "client_created",
            Self::ClientUpdated => "client_updated",
            Self::ClientSecretRotated => "client_secret_rotated",
            Self::SigningKeysRotated => "signing_keys_rotated",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// Who asked, from where: passed by the web layer (or the CLI) into every
/// operation that writes audit events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The relying party the login is for.
    pub client_id: Option<String>,
    /// The peer address of the connection.
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// The operator acting, when an operator (console or admin API) asked
    /// for this: every operator action names them in the audit trail (R-OP-1).
    pub operator: Option<String>,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    pub kind: AuditKind,
    /// The account, when the login name belongs to one.
    pub account: Option<AccountId>,
    /// The login name as normalised (also for unknown names).
    pub username: Option<String>,
    pub client: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// The precise reason (e.g. `locked`, `wrong_password failures=3`); never
    /// shown to the user (R-LO-4).
    pub detail: Option<String>,
    /// The operator who did this (R-OP-1); `None` for the user's own actions
    /// and the provider's.
    pub operator: Option<String>,
}

impl AuditEvent {
    pub fn new(
        kind: AuditKind,
        at: DateTime<Utc>,
        account: Option<AccountId>,
        username: &str,
        context: &RequestContext,
    ) -> Self {
        Self {
            at,
            kind,
            account,
            username: Some(username.to_owned()),
            client: context.client_id.clone(),
            ip: context.ip.map(|ip| ip.to_string()),
            user_agent: context.user_agent.clone(),
            request_id: context.request_id.clone(),
            detail: None,
            operator: context.operator.clone(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The line `pforte audit list` prints: RFC 3339 time, the kind, then
    /// ` key=value` for every field that is set, in a fixed order. A value
    /// with spaces, quotes, `=` or control characters is written as a JSON
    /// string, so one event is always one parseable line.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} {}",
            self.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            self.kind.as_str()
        );
        let account = self.account.map(|id| id.to_string());
        let fields = [
            ("account", account.as_deref()),
            ("username", self.username.as_deref()),
            ("client", self.client.as_deref()),
            ("ip", self.ip.as_deref()),
            ("user_agent", self.user_agent.as_deref()),
            ("request_id", self.request_id.as_deref()),
            ("detail", self.detail.as_deref()),
            ("operator", self.operator.as_deref()),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                let _ = write!(line, " {key}={}", quote(value));
            }
        }
        line
    }
}

fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=');
    if plain {
        value.to_owned()
    } else {
        serde_json::to_string(value).unwrap_or_else(|_| String::from("\"\""))
    }
}

/// A filter of `pforte audit list`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Events of this account, or (unknown names) with this login name.
    pub account: Option<AccountId>,
    pub username: Option<String>,
    /// Events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Newest first instead of oldest first (the console's timeline, R-OP-1).
    pub newest_first: bool,
    /// At most this many events (after ordering); `None` for all.
    pub limit: Option<u64>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn r_op_3_event_line_has_time_kind_and_quoted_values() {
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let context = RequestContext {
            operator: None,
            client_id: Some("portal".into()),
            ip: Some("192.0.2.7".parse().unwrap()),
            user_agent: Some("Mozilla/5.0 (X11)".into()),
            request_id: Some("r-1".into()),
        };
        let event = AuditEvent::new(AuditKind::LoginFailed, at, None, "erika", &context)
            .with_detail("wrong_password failures=1");
        assert_eq!(
            event.line(),
            "2027-01-15T08:00:00Z login_failed username=erika client=portal ip=192.0.2.7 \
             user_agent=\"Mozilla/5.0 (X11)\" request_id=r-1 detail=\"wrong_password failures=1\""
        );
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
        }
    }
}
