//! The runner of the login flow (DESIGN.md §4): the async half around the
//! pure [`planner`](super::planner). It gathers the account's [`Facts`],
//! asks the planner for the next prompt, verifies what the user entered,
//! records evidence in the [`LoginTxn`] and starts the session at the end.
//!
//! Factor checks live in [`super::prove`]; enrolment in [`crate::enrol`].

use super::planner::{self, Facts, Gate, Next, Plan, Reached};
use super::txn::LoginTxn;
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::login::{LoginOutcome, is_admitted};
use crate::ports::CounterKey;
use crate::registration::Stage;
use crate::service::{FactorKit, IdentityError, IdentityService};
use crate::session::ProviderSession;
use chrono::TimeDelta;
use pforte_policy::AssurancePolicy;
use pforte_types::{AccountId, AuthTarget, Evidence, FactorClass, Method};

impl IdentityService {
    /// The tenant's levels and factor rules (the default when no policy is
    /// configured).
    pub fn assurance(&self) -> AssurancePolicy {
        self.policy()
            .map(|policy| policy.assurance.clone())
            .unwrap_or_default()
    }

    /// What a login for `target` must achieve: the level the protocol core
    /// computed (R-AC-2) and the request's `max_age`. A level the policy
    /// does not know is refused rather than treated as the lowest.
    pub fn plan_for(&self, target: &AuthTarget) -> Result<Plan, IdentityError> {
        let assurance = self.assurance();
        let required = match &target.required_acr {
            Some(acr) => assurance
                .rank(acr)
                .ok_or_else(|| IdentityError::UnknownLevel(acr.clone()))?,
            None => 0,
        };
        let max_age = target
            .max_age
            .map(|seconds| TimeDelta::seconds(i64::try_from(seconds).unwrap_or(i64::MAX)));
        Ok(Plan {
            required: required.max(assurance.minimum),
            max_age,
        })
    }

    pub(crate) fn kit(&self) -> Result<&FactorKit, IdentityError> {
        self.factors.as_ref().ok_or(IdentityError::NotConfigured)
    }

    /// What is true of the account now (R-LO, R-MF, R-RG-7).
    pub async fn facts(&self, account_id: AccountId) -> Result<Facts, IdentityError> {
        let guard = self.guard()?;
        let kit = self.kit()?;
        let account = self
            .accounts
            .get_account(account_id)
            .await?
            .ok_or(IdentityError::UnknownAccount(account_id.to_string()))?;
        let now = self.clock.now();
        let key = CounterKey::for_account(account_id, &account.username);
        let gate = match guard.lockout.lock_record(&key.key).await? {
            Some(record) if record.state.is_deactivated() => Gate::Deactivated,
            Some(record) if !is_admitted(record.state, now, &guard.policy.lockout) => Gate::Locked,
            _ => Gate::Open,
        };
        // The registration lifecycle (R-ID-4, R-RG-3, R-RG-4) closes the gate
        // of a linked account that is not active; lockout states come first.
        let gate = match (gate, &self.member_links) {
            (Gate::Open, Some(links)) => match links.link_of_account(account_id).await? {
                Some(link) => match link.stage {
                    Stage::Active => Gate::Open,
                    Stage::EmailUnconfirmed => Gate::EmailUnconfirmed,
                    Stage::AwaitingActivation => Gate::AwaitingActivation,
                    Stage::MembershipEnded => Gate::MembershipEnded,
                },
                None => Gate::Open,
            },
            (gate, _) => gate,
        };
        let mut enrolled: Vec<Method> = kit
            .factors
            .factors(account_id)
            .await?
            .into_iter()
            .filter(|factor| factor.confirmed)
            .map(|factor| factor.method)
            .collect();
        if kit.factors.recovery_codes_left(account_id).await? > 0 {
            enrolled.push(Method::RecoveryCode);
        }
        enrolled.sort_unstable();
        enrolled.dedup();
        let must_change_password = guard.policy.password.must_change_at_login(
            guard
                .credentials
                .password_state(account_id)
                .await?
                .must_change,
        );
        Ok(Facts {
            gate,
            enrolled,
            must_change_password,
            accepted_terms: kit.profiles.accepted_terms(account_id).await?,
            email_verified: account.email_verified && account.email.is_some(),
            phone_verified: account.phone_verified && account.phone.is_some(),
        })
    }

    /// The next prompt of this login.
    pub async fn next_prompt(&self, plan: &Plan, txn: &LoginTxn) -> Result<Next, IdentityError> {
        let Some(account_id) = txn.account_id else {
            return Ok(Next::Identify);
        };
        let facts = self.facts(account_id).await?;
        Ok(planner::next(
            &self.assurance(),
            plan,
            txn,
            &facts,
            self.clock.now(),
        ))
    }

    /// The knowledge step: the password login with its lockout (see
    /// [`crate::login`]), recorded as evidence. When the transaction already
    /// belongs to an account (a step-up whose password is too old), the
    /// password must be that account's.
    pub async fn prove_password(
        &self,
        txn: &mut LoginTxn,
        input: &str,
        password: &str,
        context: &RequestContext,
    ) -> Result<LoginOutcome, IdentityError> {
        let outcome = self.login(input, password, context).await?;
        if txn
            .account_id
            .is_some_and(|account| account != outcome.account.id)
        {
            return Err(IdentityError::WrongAccount);
        }
        txn.account_id = Some(outcome.account.id);
        txn.username = outcome.account.username.clone();
        txn.prove(Evidence {
            method: Method::Password,
            class: FactorClass::Knowledge,
            at: self.clock.now(),
        });
        Ok(outcome)
    }

    /// Ends a login whose planner answered `Done`: a new provider session
    /// with the reached `acr`, `amr`, `auth_time` and evidence (a new `sid`
    /// every time, so a step-up also rotates the session cookie).
    pub async fn finish_login(
        &self,
        txn: &LoginTxn,
        reached: &Reached,
        context: &RequestContext,
    ) -> Result<ProviderSession, IdentityError> {
        let account_id = txn.account_id.ok_or(IdentityError::InvalidCredentials)?;
        let now = self.clock.now();
        let session = ProviderSession {
            auth_time: reached.auth_time,
            acr: reached.acr.clone(),
            amr: reached.amr.clone(),
            evidence: reached.evidence.clone(),
            ..self.new_session(account_id, now)
        };
        self.sessions.put_session(&session).await?;
        if txn.step_up
            && let Ok(guard) = self.guard()
        {
            let event = AuditEvent::new(
                AuditKind::StepUpSucceeded,
                now,
                Some(account_id),
                &txn.username,
                context,
            )
            .with_detail(format!("acr={} amr={}", reached.acr, reached.amr.join(",")));
            guard.lockout.append_audit(&[event]).await?;
        }
        Ok(session)
    }
}
