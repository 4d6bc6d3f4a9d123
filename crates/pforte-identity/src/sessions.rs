//! Using, listing and ending provider sessions (R-SE-1, R-SE-3).
//!
//! A page of the provider or an authorization request *uses* the browser's
//! session ([`IdentityService::use_session`]), which moves its idle end; the
//! write is skipped while the last recorded use is recent (see
//! [`crate::session::TOUCH_FRACTION`]). "Stay logged in" is an explicit use
//! that is always written ([`IdentityService::extend_session`]). Looking at a
//! session without using it ([`IdentityService::live_session`], e.g. for the
//! status a relying party asks for) never extends it.
//!
//! The sessions of an account come from the store's per-account index; ending
//! one or all others goes through [`IdentityService::end_session_by`] per
//! session, so the session-end listener tells each session's relying parties
//! and every end is an audit event.

use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::service::{IdentityError, IdentityService};
use crate::session::{ProviderSession, SessionEndReason};
use pforte_types::AccountId;

impl IdentityService {
    /// The live session with this id, recording the use (R-SE-1). The store
    /// is written only when the last recorded use lies more than a small
    /// fraction of the idle window back.
    pub async fn use_session(&self, sid: &str) -> Result<Option<ProviderSession>, IdentityError> {
        let Some(session) = self.live_session(sid).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if !session.needs_touch(now) {
            return Ok(Some(session));
        }
        Ok(self
            .sessions
            .touch_session(sid, now)
            .await?
            .filter(|session| session.is_live(now)))
    }

    /// "Stay logged in": a use that is always written, so the idle window
    /// starts again now (R-SE-1). It never moves the absolute end. `None` when
    /// the session has already ended.
    pub async fn extend_session(
        &self,
        sid: &str,
    ) -> Result<Option<ProviderSession>, IdentityError> {
        if self.live_session(sid).await?.is_none() {
            return Ok(None);
        }
        let now = self.clock.now();
        Ok(self
            .sessions
            .touch_session(sid, now)
            .await?
            .filter(|session| session.is_live(now)))
    }

    /// The live sessions of an account, newest first (R-SE-3).
    pub async fn sessions_of(
        &self,
        account: AccountId,
    ) -> Result<Vec<ProviderSession>, IdentityError> {
        let now = self.clock.now();
        let mut sessions: Vec<ProviderSession> = self
            .sessions
            .sessions_of_account(account)
            .await?
            .into_iter()
            .filter(|session| session.account_id == account && session.is_live(now))
            .collect();
        sessions.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.sid.cmp(&b.sid))
        });
        Ok(sessions)
    }

    /// The live session of `account` with this public handle (as listed on
    /// the self-service page and by the operator CLI).
    pub async fn session_by_handle(
        &self,
        account: AccountId,
        handle: &str,
    ) -> Result<Option<ProviderSession>, IdentityError> {
        Ok(self
            .sessions_of(account)
            .await?
            .into_iter()
            .find(|session| session.handle() == handle.trim()))
    }

    /// Ends every live session of `account` except `except_sid` (the
    /// browser's own, for "end all others"), one by one through
    /// [`Self::end_session_by`] so that each session's relying parties are
    /// told (R-SE-2, R-SE-3). Returns the sessions ended.
    pub async fn end_sessions_of(
        &self,
        account: AccountId,
        except_sid: Option<&str>,
        reason: SessionEndReason,
        context: &RequestContext,
    ) -> Result<Vec<ProviderSession>, IdentityError> {
        let mut ended = Vec::new();
        for session in self.sessions_of(account).await? {
            if Some(session.sid.as_str()) == except_sid {
                continue;
            }
            if let Some(session) = self.end_session_by(&session.sid, reason, context).await? {
                ended.push(session);
            }
        }
        Ok(ended)
    }

    /// Writes the audit event of an ended session (without a configured
    /// login guard there is no trail to write to).
    pub(crate) async fn audit_session_end(
        &self,
        session: &ProviderSession,
        reason: SessionEndReason,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let Ok(guard) = self.guard() else {
            return Ok(());
        };
        let username = match self.accounts.get_account(session.account_id).await {
            Ok(Some(account)) => account.username,
            _ => String::new(),
        };
        let event = AuditEvent::new(
            AuditKind::SessionEnded,
            self.clock.now(),
            Some(session.account_id),
            &username,
            context,
        )
        .with_detail(format!(
            "reason={} session={}",
            reason.as_str(),
            session.handle()
        ));
        guard.lockout.append_audit(&[event]).await?;
        Ok(())
    }
}

impl IdentityService {
    /// The account named `username` (as at login) and its live sessions, for
    /// the operator (R-SE-3, `pforte session list`).
    pub async fn sessions_of_username(
        &self,
        username: &str,
    ) -> Result<(crate::account::Account, Vec<ProviderSession>), IdentityError> {
        let account = self.account_named(username).await?;
        let sessions = self.sessions_of(account.id).await?;
        Ok((account, sessions))
    }
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
