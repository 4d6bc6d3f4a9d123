//! New passwords under the policy (R-PW-2, R-PW-3): the change of an initial
//! password at first login, and passwords an operator sets.
//!
//! Every rule is checked at once and all violations are returned
//! ([`IdentityError::PasswordRejected`]). The history is compared by verifying
//! the candidate against the stored hashes (current and the last N), never in
//! clear. A new password must also differ from the current one, so that an
//! initial password is invalid after the change even without a history.

use crate::account::Account;
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::ports::PasswordState;
use crate::service::{IdentityError, IdentityService};
use pforte_policy::{PasswordContext, PasswordViolation};
use pforte_types::AccountId;

impl IdentityService {
    /// Checks a new password for `account` against every rule of the policy.
    pub async fn check_new_password(
        &self,
        account: &Account,
        new_password: &str,
    ) -> Result<(), IdentityError> {
        let guard = self.guard()?;
        let state = guard.credentials.password_state(account.id).await?;
        let second_factor = self.has_second_factor(account.id).await?;
        self.evaluate(account, &state, second_factor, new_password)
            .await?
            .map_err(IdentityError::PasswordRejected)
    }

    /// Whether the account has a confirmed second factor: the policy may then
    /// allow a shorter password (`min_length_with_second_factor`, R-PW-2).
    async fn has_second_factor(&self, account: AccountId) -> Result<bool, IdentityError> {
        Ok(match &self.factors {
            Some(kit) => kit
                .factors
                .factors(account)
                .await?
                .iter()
                .any(|factor| factor.confirmed),
            None => false,
        })
    }

    /// Every rule at once. The whole check, with its verifications against
    /// the current and the previous hashes, is one job on the hashing pool
    /// (R-OP-3): the hashes run one after another on one worker.
    async fn evaluate(
        &self,
        account: &Account,
        state: &PasswordState,
        second_factor: bool,
        new_password: &str,
    ) -> Result<Result<(), Vec<PasswordViolation>>, IdentityError> {
        let Ok(guard) = self.guard() else {
            return Ok(Ok(()));
        };
        let policy = guard.policy.clone();
        let account = account.clone();
        let history_hashes = state.history.clone();
        let new_password = new_password.to_owned();
        let job = move |hashing: &pforte_crypto::Hashing| {
            let policy = &policy.password;
            let history = |candidate: &str, depth: usize| {
                hashing.verify(candidate, &account.password_hash)
                    || history_hashes
                        .iter()
                        .take(depth)
                        .any(|hash| hashing.verify(candidate, hash))
            };
            let usernames = [account.username.as_str()];
            let context = PasswordContext {
                usernames: &usernames,
                email: account.email.as_deref(),
                second_factor,
                history: Some(&history),
            };
            let mut violations = match policy.evaluate(&new_password, &context) {
                Ok(()) => Vec::new(),
                Err(violations) => violations,
            };
            let reused = PasswordViolation::RecentlyUsed {
                history: policy.history.max(1),
            };
            if !violations
                .iter()
                .any(|violation| matches!(violation, PasswordViolation::RecentlyUsed { .. }))
                && hashing.verify(&new_password, &account.password_hash)
            {
                violations.push(reused);
            }
            if violations.is_empty() {
                Ok(())
            } else {
                Err(violations)
            }
        };
        Ok(self.hasher.run(job).await?)
    }

    /// The change of an initial password at first login (R-PW-3). The user
    /// proved the initial password in the same interaction; afterwards it no
    /// longer verifies.
    pub async fn change_initial_password(
        &self,
        account_id: AccountId,
        new_password: &str,
        confirmation: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let guard = self.guard()?;
        let account = self
            .accounts
            .get_account(account_id)
            .await?
            .ok_or(IdentityError::NoPasswordChangePending)?;
        let state = guard.credentials.password_state(account_id).await?;
        if !state.must_change {
            return Err(IdentityError::NoPasswordChangePending);
        }
        let second_factor = self.has_second_factor(account_id).await?;
        self.evaluate(&account, &state, second_factor, new_password)
            .await?
            .map_err(IdentityError::PasswordRejected)?;
        if new_password != confirmation {
            return Err(IdentityError::PasswordConfirmationMismatch);
        }
        self.store_password(
            &account,
            new_password,
            false,
            "initial_password_replaced",
            context,
        )
        .await
    }

    /// A password set by an operator (`pforte user add`, `user set-password`):
    /// the same rules; `initial` marks it for change at first login.
    pub async fn set_password_by_operator(
        &self,
        account: &Account,
        new_password: &str,
        initial: bool,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        self.check_new_password(account, new_password).await?;
        let detail = if initial {
            "operator initial"
        } else {
            "operator"
        };
        self.store_password(account, new_password, initial, detail, context)
            .await
    }

    pub(crate) async fn store_password(
        &self,
        account: &Account,
        new_password: &str,
        initial: bool,
        detail: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let guard = self.guard()?;
        let hash = self.hasher.hash(new_password).await?;
        let now = self.clock.now();
        let event = AuditEvent::new(
            AuditKind::PasswordChanged,
            now,
            Some(account.id),
            &account.username,
            context,
        )
        .with_detail(detail);
        guard
            .credentials
            .replace_password(
                account.id,
                &hash,
                initial,
                guard.policy.password.history,
                now,
                &[event],
            )
            .await?;
        Ok(())
    }
}
