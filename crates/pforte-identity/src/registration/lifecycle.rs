//! The membership-end job (R-ID-4): a registered account follows its
//! member's membership.
//!
//! Each pass reads two work lists from the store, with the dates compared in
//! the database so no sealed member data is opened:
//!
//! * links whose membership ended before today (or has not begun) move to
//!   [`Stage::MembershipEnded`]; their sessions end through the usual path,
//!   so relying parties are told by back-channel logout (R-SE-2);
//! * links in [`Stage::MembershipEnded`] whose member is a member again today
//!   (a later import restarted the membership) move back: to `active` when
//!   the account had been activated before, otherwise to the step it still
//!   has to take (e-mail confirmation or activation). Their credentials were
//!   never touched, so the person simply logs in again.
//!
//! Both moves are audited as `membership_ended` with `closed` or `reopened`.

use super::{MemberLink, Stage};
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::ports::MemberLinkStore;
use crate::service::{IdentityError, IdentityService};
use crate::session::SessionEndReason;
use chrono::{DateTime, Utc};

/// What one pass of the job changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MembershipPass {
    /// Accounts closed because the membership is over.
    pub closed: usize,
    /// Accounts opened again by a new membership.
    pub reopened: usize,
    /// Sessions ended with the closed accounts.
    pub sessions_ended: usize,
}

/// The stage a link returns to when its membership begins again.
pub fn stage_after_restart(link: &MemberLink, email_verified: bool) -> Stage {
    if link.activated_at.is_some() {
        Stage::Active
    } else if email_verified {
        Stage::AwaitingActivation
    } else {
        Stage::EmailUnconfirmed
    }
}

fn event(
    now: DateTime<Utc>,
    link: &MemberLink,
    username: &str,
    context: &RequestContext,
    detail: &str,
) -> AuditEvent {
    AuditEvent::new(
        AuditKind::MembershipEnded,
        now,
        Some(link.account_id),
        username,
        context,
    )
    .with_detail(detail.to_owned())
}

/// Runs one pass of the job at `now` (see the module documentation).
pub async fn apply_memberships(
    links: &dyn MemberLinkStore,
    identity: &IdentityService,
    now: DateTime<Utc>,
) -> Result<MembershipPass, IdentityError> {
    let today = now.date_naive();
    let context = RequestContext {
        operator: None,
        request_id: Some("membership-job".to_owned()),
        ..RequestContext::default()
    };
    let mut pass = MembershipPass::default();
    for link in links.links_with_membership_over(today).await? {
        let username = identity
            .account(link.account_id)
            .await?
            .map(|account| account.username)
            .unwrap_or_default();
        links
            .set_stage(
                link.account_id,
                Stage::MembershipEnded,
                link.proofing,
                now,
                &[event(now, &link, &username, &context, "closed")],
            )
            .await?;
        pass.closed += 1;
        pass.sessions_ended += identity
            .end_sessions_of(
                link.account_id,
                None,
                SessionEndReason::MembershipEnded,
                &context,
            )
            .await?
            .len();
    }
    for link in links.links_with_membership_restarted(today).await? {
        let Some(account) = identity.account(link.account_id).await? else {
            continue;
        };
        let stage = stage_after_restart(&link, account.email_verified);
        links
            .set_stage(
                link.account_id,
                stage,
                link.proofing,
                now,
                &[event(
                    now,
                    &link,
                    &account.username,
                    &context,
                    &format!("reopened next={}", stage.as_str()),
                )],
            )
            .await?;
        pass.reopened += 1;
    }
    Ok(pass)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registration::Proofing;
    use pforte_types::AccountId;

    fn link(activated: bool) -> MemberLink {
        let at = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap();
        MemberLink {
            account_id: AccountId::new(),
            kvnr_digest: "d".to_owned(),
            stage: Stage::MembershipEnded,
            proofing: Proofing::Letter,
            registered_at: at,
            activated_at: activated.then_some(at),
            updated_at: at,
        }
    }

    #[test]
    fn r_id_4_a_restarted_membership_returns_to_the_step_still_open() {
        assert_eq!(stage_after_restart(&link(true), true), Stage::Active);
        assert_eq!(stage_after_restart(&link(true), false), Stage::Active);
        assert_eq!(
            stage_after_restart(&link(false), true),
            Stage::AwaitingActivation
        );
        assert_eq!(
            stage_after_restart(&link(false), false),
            Stage::EmailUnconfirmed
        );
    }
}
