//! What an operator does with an account's second factors (R-OP-1 "view
//! factors"): see them with the unused recovery codes, remove one (a lost
//! phone), and provision an authenticator app's seed when the account is
//! created. Every change is an audit event written with it.

use crate::account::Account;
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::factor::{EnrolledFactor, FactorId};
use crate::service::{IdentityError, IdentityService};
use pforte_factors::totp::TotpSecret;
use pforte_types::{AccountId, Method};

/// An account's factors as an operator sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorOverview {
    pub account: Account,
    /// Every factor, unconfirmed ones (an enrolment in progress) included,
    /// oldest first.
    pub factors: Vec<EnrolledFactor>,
    pub recovery_codes_left: usize,
}

/// The label of a factor provisioned by an operator.
pub const OPERATOR_TOTP_LABEL: &str = "CLI";

impl IdentityService {
    /// The factors and unused recovery codes of the account named `username`.
    pub async fn factor_overview(&self, username: &str) -> Result<FactorOverview, IdentityError> {
        let kit = self.kit()?;
        let account = self.account_named(username).await?;
        let factors = kit.factors.factors(account.id).await?;
        let recovery_codes_left = kit.factors.recovery_codes_left(account.id).await?;
        Ok(FactorOverview {
            account,
            factors,
            recovery_codes_left,
        })
    }

    /// Removes a factor of the account named `username` on an operator's
    /// behalf. Unlike self-service, the last second factor may go even when
    /// one is mandatory: the user has lost it, and the next login leads them
    /// to enrol a new one (R-MF-2, required action `enrol_second_factor`).
    pub async fn remove_factor_by_operator(
        &self,
        username: &str,
        factor_id: FactorId,
        context: &RequestContext,
    ) -> Result<EnrolledFactor, IdentityError> {
        let kit = self.kit()?;
        let account = self.account_named(username).await?;
        let factor = kit
            .factors
            .factor(factor_id)
            .await?
            .filter(|factor| factor.account_id == account.id)
            .ok_or(IdentityError::NoSuchFactor)?;
        let event = AuditEvent::new(
            AuditKind::FactorRemoved,
            self.clock.now(),
            Some(account.id),
            &account.username,
            context,
        )
        .with_detail(format!(
            "method={} factor={factor_id} by=operator",
            factor.method
        ));
        if !kit
            .factors
            .remove_factor(account.id, factor_id, &[event])
            .await?
        {
            return Err(IdentityError::NoSuchFactor);
        }
        Ok(factor)
    }

    /// Stores an authenticator app's seed (raw bytes), given by an operator, as a
    /// confirmed TOTP factor labelled [`OPERATOR_TOTP_LABEL`]: sealed with the
    /// master key bound to the factor's id (R-OP-4) and audited as
    /// `factor_enrolled`. The operator vouches for the seed, so no first code
    /// is asked.
    pub async fn provision_totp(
        &self,
        account: AccountId,
        seed: &[u8],
        context: &RequestContext,
    ) -> Result<FactorId, IdentityError> {
        let kit = self.kit()?;
        let secret = TotpSecret::from_bytes(seed)
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        let username = self.username_of(account).await?;
        let id = FactorId::new();
        let now = self.clock.now();
        let factor = EnrolledFactor {
            id,
            account_id: account,
            method: Method::Totp,
            label: OPERATOR_TOTP_LABEL.to_owned(),
            credential_id: None,
            secret_sealed: Some(self.seal(id, secret.as_bytes())?),
            public_data: None,
            confirmed: true,
            last_totp_step: None,
            created_at: now,
            last_used_at: None,
        };
        let event = AuditEvent::new(
            AuditKind::FactorEnrolled,
            now,
            Some(account),
            &username,
            context,
        )
        .with_detail(format!("method=totp factor={id} by=operator"));
        kit.factors.insert_factor(&factor, &[event]).await?;
        Ok(id)
    }
}
