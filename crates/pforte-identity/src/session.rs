//! The provider (SSO) session: Pforte's own model, because an identity provider
//! needs auth_time, acr/amr and the RPs of a session (DESIGN.md §6, R-SE).

use chrono::{DateTime, TimeDelta, Utc};
use pforte_types::{AccountId, Evidence, SessionSnapshot};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSession {
    pub sid: String,
    pub account_id: AccountId,
    pub auth_time: DateTime<Utc>,
    pub acr: String,
    pub amr: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Clients that received tokens in this session.
    pub clients: Vec<String>,
    /// The factors proven in this session, with their times: step-up asks
    /// only for what is missing or too old (R-AC-3).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// When the user last used the session (a provider page or an
    /// authorization request, R-SE-1). Records written before idle timeouts
    /// existed have none; they count from `created_at`.
    #[serde(default)]
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The idle timeout in force when the session started, in seconds; `None`
    /// (and records from before idle timeouts) means only the absolute
    /// lifetime `expires_at` applies. Kept in the session so that every node,
    /// and the store's own expiry, agree on the session's end.
    #[serde(default)]
    pub idle_timeout_secs: Option<u64>,
}

/// The divisor of the idle window below which a use does not write the
/// session again: with 15 minutes idle timeout a page view writes at most
/// every 45 seconds, so a user clicking through pages costs one store write
/// per 45 s, and the idle end shown is at most 5 % early (R-SE-1).
pub const TOUCH_FRACTION: i32 = 20;

impl ProviderSession {
    /// Live while neither the absolute lifetime nor the idle window has ended
    /// (R-SE-1). Both ends are exclusive: at the instant of the end the
    /// session is over.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.ends_at()
    }

    /// The last use, or the start for records without one.
    pub fn last_seen(&self) -> DateTime<Utc> {
        self.last_seen_at.unwrap_or(self.created_at)
    }

    fn idle_timeout(&self) -> Option<TimeDelta> {
        self.idle_timeout_secs
            .and_then(|secs| i64::try_from(secs).ok())
            .and_then(TimeDelta::try_seconds)
    }

    /// When the idle window ends without a further use; `None` without an
    /// idle timeout.
    pub fn idle_ends_at(&self) -> Option<DateTime<Utc>> {
        self.idle_timeout().map(|idle| {
            self.last_seen()
                .checked_add_signed(idle)
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        })
    }

    /// The end of the session as things stand: the earlier of the absolute
    /// end and the idle end. Stores expire the record at this instant.
    pub fn ends_at(&self) -> DateTime<Utc> {
        match self.idle_ends_at() {
            Some(idle_end) => idle_end.min(self.expires_at),
            None => self.expires_at,
        }
    }

    /// The time left at `now`, zero once ended.
    pub fn remaining(&self, now: DateTime<Utc>) -> TimeDelta {
        (self.ends_at() - now).max(TimeDelta::zero())
    }

    /// True when a use at `now` should be written: a live session with an
    /// idle timeout whose last recorded use lies more than
    /// 1/[`TOUCH_FRACTION`] of the idle window back. Cheaper than writing on
    /// every request (R-SE-1).
    pub fn needs_touch(&self, now: DateTime<Utc>) -> bool {
        match self.idle_timeout() {
            Some(idle) => self.is_live(now) && now - self.last_seen() >= idle / TOUCH_FRACTION,
            None => false,
        }
    }

    /// A short public handle of the session for lists and forms (self-service,
    /// operator CLI). The `sid` itself is the value of the session cookie and
    /// is never shown or put into a form; the handle is a digest of it.
    pub fn handle(&self) -> String {
        handle_of(&self.sid)
    }

    pub fn snapshot(&self) -> SessionSnapshot {
        SessionSnapshot {
            sid: self.sid.clone(),
            account_id: self.account_id,
            auth_time: self.auth_time,
            acr: self.acr.clone(),
            amr: self.amr.clone(),
            evidence: self.evidence.clone(),
        }
    }
}

/// The public handle of a session id (see [`ProviderSession::handle`]).
pub fn handle_of(sid: &str) -> String {
    pforte_crypto::random::sha256_b64url(sid)
        .chars()
        .take(16)
        .collect()
}

/// Why a provider session ended. Listeners use it to decide whom to tell:
/// every reason reaches the relying parties of the session (OpenID
/// Back-Channel Logout 1.0 §2.7: the OP notifies RPs when the session ends,
/// whatever ended it), and the audit trail records it (R-SE-2, R-SE-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEndReason {
    /// RP-initiated or user-initiated logout at the provider.
    Logout,
    /// A new login in the same browser replaced the session.
    Replaced,
    /// The user ended it from the self-service session list (R-SE-3).
    SelfService,
    /// An operator ended it (CLI or admin console).
    Operator,
    /// The password was reset or changed and every other session ends (R-RC).
    CredentialChange,
    /// The account was deleted (R-RC-4).
    AccountDeleted,
    /// The member's membership ended (R-ID-4, the membership-end job).
    MembershipEnded,
}

impl SessionEndReason {
    /// The stable name used in audit events and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEndReason::Logout => "logout",
            SessionEndReason::Replaced => "replaced",
            SessionEndReason::SelfService => "self_service",
            SessionEndReason::Operator => "operator",
            SessionEndReason::CredentialChange => "credential_change",
            SessionEndReason::AccountDeleted => "account_deleted",
            SessionEndReason::MembershipEnded => "membership_ended",
        }
    }
}

/// A session that has just been deleted, handed to the
/// [`crate::ports::SessionEndListener`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedSession {
    pub session: ProviderSession,
    pub reason: SessionEndReason,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    /// Started at 0, absolute end at 8 h, idle timeout 15 min (the seeds).
    fn session() -> ProviderSession {
        ProviderSession {
            sid: "sid-1".into(),
            account_id: AccountId::new(),
            auth_time: at(0),
            acr: "loa-low".into(),
            amr: vec!["pwd".into()],
            created_at: at(0),
            expires_at: at(8 * 3600),
            clients: vec![],
            evidence: vec![],
            last_seen_at: Some(at(0)),
            idle_timeout_secs: Some(900),
        }
    }

    #[test]
    fn r_se_1_idle_edge_is_exclusive() {
        let session = session();
        assert!(session.is_live(at(899)));
        assert!(!session.is_live(at(900)));
        assert_eq!(session.ends_at(), at(900));
        assert_eq!(session.remaining(at(840)), TimeDelta::seconds(60));
        assert_eq!(session.remaining(at(1000)), TimeDelta::zero());
    }

    #[test]
    fn r_se_1_use_moves_the_idle_end_but_never_past_the_absolute_end() {
        let mut session = session();
        session.last_seen_at = Some(at(8 * 3600 - 60));
        assert_eq!(session.idle_ends_at(), Some(at(8 * 3600 + 840)));
        assert_eq!(session.ends_at(), at(8 * 3600));
        assert!(session.is_live(at(8 * 3600 - 1)));
        assert!(!session.is_live(at(8 * 3600)));
    }

    #[test]
    fn r_se_1_records_without_idle_fields_keep_their_absolute_lifetime() {
        let mut json = serde_json::to_value(session()).unwrap();
        let object = json.as_object_mut().unwrap();
        object.remove("last_seen_at");
        object.remove("idle_timeout_secs");
        let old: ProviderSession = serde_json::from_value(json).unwrap();
        assert_eq!(old.last_seen(), at(0));
        assert_eq!(old.ends_at(), at(8 * 3600));
        assert!(old.is_live(at(3600)));
        assert!(!old.needs_touch(at(3600)));
    }

    #[test]
    fn r_se_1_a_use_is_written_only_after_a_twentieth_of_the_idle_window() {
        let session = session();
        assert!(!session.needs_touch(at(44)));
        assert!(session.needs_touch(at(45)));
        assert!(
            !session.needs_touch(at(900)),
            "an ended session stays ended"
        );
    }

    #[test]
    fn r_se_3_the_handle_is_short_stable_and_not_the_sid() {
        let session = session();
        assert_eq!(session.handle(), handle_of("sid-1"));
        assert_eq!(session.handle().len(), 16);
        assert!(!session.handle().contains("sid-1"));
    }
}
