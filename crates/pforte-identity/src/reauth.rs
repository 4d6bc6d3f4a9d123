//! Re-authentication before sensitive account changes in self-service
//! (R-MF-2): adding or removing a second factor and issuing new recovery
//! codes need a password proven recently in this session, not merely a live
//! session. A browser left open (or a stolen session cookie) must not be
//! enough to replace the second factor that protects the account.
//!
//! This follows OWASP ASVS 4.0 V3.7.1 ("re-authentication … before allowing
//! any sensitive transactions or account modifications") and NIST SP
//! 800-63B §7.2 (reauthentication): the user re-enters the password, which
//! runs the ordinary login check with its lockout and throttling, and the
//! session's evidence records the new proof time.

use crate::audit::RequestContext;
use crate::service::{IdentityError, IdentityService};
use crate::session::ProviderSession;
use chrono::TimeDelta;
use pforte_types::{Evidence, FactorClass, Method};

/// How old the password proof of a session may be for a sensitive change:
/// ten minutes, short enough that an unattended browser soon stops
/// sufficing, long enough to enrol a factor without being asked twice.
pub const REAUTH_MAX_AGE_SECS: i64 = 600;

/// [`REAUTH_MAX_AGE_SECS`] as a duration.
pub fn reauth_max_age() -> TimeDelta {
    TimeDelta::seconds(REAUTH_MAX_AGE_SECS)
}

impl IdentityService {
    /// True when the session holds a password proof no older than
    /// [`REAUTH_MAX_AGE_SECS`].
    pub fn recently_authenticated(&self, session: &ProviderSession) -> bool {
        let now = self.clock.now();
        session.evidence.iter().any(|evidence| {
            evidence.method == Method::Password
                && evidence.at <= now
                && now.signed_duration_since(evidence.at) <= reauth_max_age()
        })
    }

    /// Checks the password of the session's account (through [`Self::login`],
    /// so lockout and throttling apply and the attempt is audited) and, when
    /// it is right, records the new password proof in the session.
    pub async fn reauthenticate(
        &self,
        session: &ProviderSession,
        password: &str,
        context: &RequestContext,
    ) -> Result<ProviderSession, IdentityError> {
        let account = self.accounts.get_account(session.account_id).await?.ok_or(
            IdentityError::UnknownAccount(session.account_id.to_string()),
        )?;
        let outcome = self.login(&account.username, password, context).await?;
        if outcome.account.id != session.account_id {
            return Err(IdentityError::WrongAccount);
        }
        let evidence = Evidence {
            method: Method::Password,
            class: FactorClass::Knowledge,
            at: self.clock.now(),
        };
        self.refresh_session_evidence(&session.sid, evidence)
            .await?
            .ok_or(IdentityError::InvalidCredentials)
    }

    /// Replaces the session's evidence of `evidence.method` by this newer
    /// proof and stores the session again. The session keeps its `sid`,
    /// `auth_time`, `acr` and `amr`: what relying parties were told about the
    /// login does not change. `None` when the session is gone or expired.
    pub async fn refresh_session_evidence(
        &self,
        sid: &str,
        evidence: Evidence,
    ) -> Result<Option<ProviderSession>, IdentityError> {
        let Some(mut session) = self.live_session(sid).await? else {
            return Ok(None);
        };
        session
            .evidence
            .retain(|known| known.method != evidence.method);
        session.evidence.push(evidence);
        self.sessions.put_session(&session).await?;
        Ok(Some(session))
    }
}
