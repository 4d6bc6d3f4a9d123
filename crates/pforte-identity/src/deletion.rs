//! Account deletion by its owner or an operator (R-RC-4).
//!
//! The owner deletes after a recent password proof and an explicit
//! confirmation (the web layer asks for both). Deletion then:
//!
//! 1. checks the configured blockers ([`DeletionRules`], decided by the pure
//!    [`blockers`]); a blocked deletion changes nothing and is audited;
//! 2. sends the confirmation to the verified e-mail address (or mobile
//!    number) *before* the address is gone;
//! 3. ends every session, so that relying parties are told (R-SE-2);
//! 4. erases credentials, factors, recovery codes, terms acceptances,
//!    member data and the lockout counter in one transaction
//!    ([`crate::ports::AccountErasureStore`]).
//!
//! The audit trail is kept, pseudonymised: in the account's events the
//! username is replaced by `pseud-` and the first 20 hex digits of an HMAC
//! of the lower-cased username under a subkey of the master key. The same
//! username always gives the same pseudonym, so an operator who is asked
//! about a named person (and holds the key) can still find that person's
//! events, while the trail itself no longer names anyone. The account id
//! (a random UUID) stays as the link between the events.
//!
//! **Blockers.** For an insurer the meaningful dependency is the family
//! (R-FA-1): a main member whose co-insured children have accounts of their
//! own acts for them and is where letters and delegation lead; deleting the
//! main member's account would leave those children's accounts without the
//! person responsible. With `co_insured_dependants` configured, such a
//! deletion is refused with a page that says why; the member asks the
//! insurer (or the children's accounts end first).

use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::ports::{AccountErasureStore, DependantsProbe};
use crate::service::{IdentityError, IdentityService};
use crate::session::SessionEndReason;
use pforte_types::AccountId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The digest purpose of audit pseudonyms.
const PSEUDONYM_PURPOSE: &str = "audit pseudonym v1";

/// Something that keeps an account from being deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletionBlocker {
    /// The account's member is the main member of co-insured people who
    /// have accounts (R-FA-1).
    CoInsuredDependants,
}

impl DeletionBlocker {
    pub const ALL: [DeletionBlocker; 1] = [DeletionBlocker::CoInsuredDependants];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CoInsuredDependants => "co_insured_dependants",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|blocker| blocker.as_str() == text)
    }
}

/// Which blockers are in force (configuration `deletion.blocked_while`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletionRules {
    pub blocked_while: Vec<DeletionBlocker>,
}

/// What is true of the account for the blockers. `None` means the fact
/// could not be established (no probe wired): a configured blocker then
/// holds, so a deletion is never let through unchecked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeletionFacts {
    pub co_insured_with_accounts: Option<u32>,
}

/// The blockers that hold: pure, so the decision table is unit-tested.
pub fn blockers(rules: &DeletionRules, facts: &DeletionFacts) -> Vec<DeletionBlocker> {
    rules
        .blocked_while
        .iter()
        .copied()
        .filter(|blocker| match blocker {
            DeletionBlocker::CoInsuredDependants => facts.co_insured_with_accounts != Some(0),
        })
        .collect()
}

/// What deletion needs from the composition root.
#[derive(Clone)]
pub struct DeletionKit {
    pub erasure: Arc<dyn AccountErasureStore>,
    pub rules: DeletionRules,
    /// Answers the co-insured question; `None` while no member links exist.
    pub dependants: Option<Arc<dyn DependantsProbe>>,
}

impl IdentityService {
    /// The blockers that hold for `account` now (R-RC-4).
    pub async fn deletion_blockers(
        &self,
        account: AccountId,
    ) -> Result<Vec<DeletionBlocker>, IdentityError> {
        let kit = self.deletion.as_ref().ok_or(IdentityError::NotConfigured)?;
        let mut facts = DeletionFacts::default();
        if kit
            .rules
            .blocked_while
            .contains(&DeletionBlocker::CoInsuredDependants)
            && let Some(probe) = &kit.dependants
        {
            facts.co_insured_with_accounts = Some(probe.co_insured_with_accounts(account).await?);
        }
        Ok(blockers(&kit.rules, &facts))
    }

    /// The pseudonym that replaces `username` in the audit trail.
    pub fn audit_pseudonym(&self, username: &str) -> Result<String, IdentityError> {
        let digest = self
            .kit()?
            .codes
            .digest(PSEUDONYM_PURPOSE, &username.to_lowercase());
        Ok(format!("pseud-{}", digest.get(..20).unwrap_or(&digest)))
    }

    /// Deletes the account (module docs). `reason` of the audit detail:
    /// `self_service` or `operator`.
    pub async fn delete_account(
        &self,
        account_id: AccountId,
        by: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let guard = self.guard()?;
        let kit = self.deletion.as_ref().ok_or(IdentityError::NotConfigured)?;
        let account = self
            .accounts
            .get_account(account_id)
            .await?
            .ok_or_else(|| IdentityError::UnknownAccount(account_id.to_string()))?;
        let now = self.clock.now();
        let blocked = self.deletion_blockers(account_id).await?;
        if !blocked.is_empty() {
            let names: Vec<&str> = blocked.iter().map(|blocker| blocker.as_str()).collect();
            let event = AuditEvent::new(
                AuditKind::AccountDeletionRefused,
                now,
                Some(account_id),
                &account.username,
                context,
            )
            .with_detail(format!("by={by} blocked_while={}", names.join(",")));
            guard.lockout.append_audit(&[event]).await?;
            return Err(IdentityError::DeletionBlocked(blocked));
        }
        let mut params = BTreeMap::new();
        params.insert("username".to_owned(), account.username.clone());
        let notice = self
            .notify_account(&account, "account_deleted_notice", params, language)
            .await;
        let ended = self
            .end_sessions_of(account_id, None, SessionEndReason::AccountDeleted, context)
            .await?;
        let pseudonym = self.audit_pseudonym(&account.username)?;
        let event = AuditEvent::new(
            AuditKind::AccountDeleted,
            now,
            Some(account_id),
            &pseudonym,
            context,
        )
        .with_detail(format!(
            "by={by} sessions_ended={} notice={notice}",
            ended.len()
        ));
        kit.erasure
            .erase_account(account_id, &account.username, &pseudonym, &[event])
            .await?;
        Ok(())
    }

    /// `pforte user delete`: the operator's deletion of a named account,
    /// under the same blockers.
    pub async fn delete_account_named(
        &self,
        username: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let account = self.account_named(username).await?;
        self.delete_account(account.id, "operator", "de", context)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(blocked: &[DeletionBlocker]) -> DeletionRules {
        DeletionRules {
            blocked_while: blocked.to_vec(),
        }
    }

    #[test]
    fn r_rc_4_deletion_decision_table() {
        let co = DeletionBlocker::CoInsuredDependants;
        let cases = [
            // (configured, co-insured with accounts, blocked)
            (vec![], None, false),
            (vec![], Some(2), false),
            (vec![co], Some(0), false),
            (vec![co], Some(1), true),
            (vec![co], Some(3), true),
            // A fact that cannot be established blocks: never unchecked.
            (vec![co], None, true),
        ];
        for (configured, dependants, blocked) in cases {
            let facts = DeletionFacts {
                co_insured_with_accounts: dependants,
            };
            let result = blockers(&rules(&configured), &facts);
            assert_eq!(
                !result.is_empty(),
                blocked,
                "{configured:?} with {dependants:?}"
            );
            if blocked {
                assert_eq!(result, vec![co]);
            }
        }
    }

    #[test]
    fn r_rc_4_blocker_names_round_trip() {
        for blocker in DeletionBlocker::ALL {
            assert_eq!(DeletionBlocker::parse(blocker.as_str()), Some(blocker));
        }
        assert_eq!(DeletionBlocker::parse("children"), None);
    }
}
