//! OpenID Connect Back-Channel Logout 1.0 (R-SE-2): the logout token, which
//! clients to tell, and how often to try.
//!
//! * The logout token (§2.4) is a JWT signed like the client's ID tokens
//!   (its `id_token_signed_response_alg`, the same keys and JWKS), explicitly
//!   typed `logout+jwt` (§2.4 recommends it, so that a logout token can never
//!   be taken for an ID token). Claims: `iss`, `sub` (the account, as in the
//!   client's ID tokens: subjects are public), `aud` (the client id), `iat`,
//!   `exp` (short: it is sent at once), a fresh `jti`, `events` with the
//!   back-channel logout member, and `sid`. Pforte always sends `sid`
//!   (every provider session has one), so `backchannel_logout_session_required`
//!   is always met. A `nonce` is never present (§2.4 forbids it).
//! * Every attempt signs a new token (new `jti`, new `exp`): a retry an hour
//!   later must not carry an expired token.
//! * The answer (§2.8): 200 OK is success, and 204 is accepted as well since
//!   some frameworks answer an empty 200 that way. A 4xx other than 408 and
//!   429 means the RP refused the token; the same token shape would be refused
//!   again, so it is given up at once (ADR 0004). Everything else
//!   (5xx, 408, 429, redirects, network errors, timeouts) is retried with
//!   exponential back-off for a bounded number of attempts.

use crate::error::OAuthError;
use crate::model::Client;
use crate::provider::Provider;
use chrono::{DateTime, TimeDelta, Utc};
use pforte_crypto::random::random_token;
use pforte_types::AccountId;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The `typ` header of a logout token (BCL 1.0 §2.4, RFC 8725 3.11).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";

/// The member of `events` that marks a logout token (BCL 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// One logout token still to be delivered: a client of an ended session. The
/// token itself is signed at each attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutDelivery {
    pub id: uuid::Uuid,
    pub client_id: String,
    pub account_id: AccountId,
    pub sid: String,
    /// Why the session ended (`SessionEndReason::as_str`), for the audit trail.
    pub reason: String,
    /// Attempts made so far.
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The claims of a logout token (pure).
pub fn logout_token_claims(
    issuer: &str,
    client_id: &str,
    subject: AccountId,
    sid: &str,
    now: i64,
    ttl_seconds: i64,
    jti: &str,
) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("iss".into(), Value::from(issuer));
    claims.insert("sub".into(), Value::from(subject.to_string()));
    claims.insert("aud".into(), Value::from(client_id));
    claims.insert("iat".into(), Value::from(now));
    claims.insert("exp".into(), Value::from(now.saturating_add(ttl_seconds)));
    claims.insert("jti".into(), Value::from(jti));
    claims.insert("events".into(), json!({ BACKCHANNEL_LOGOUT_EVENT: {} }));
    claims.insert("sid".into(), Value::from(sid));
    claims
}

/// How the RP's answer to a logout token is taken (BCL 1.0 §2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryVerdict {
    /// 200 OK (or 204 No Content): the RP logged the session out.
    Delivered,
    /// The RP refused the token (400 and other 4xx): retrying cannot help.
    Refused,
    /// A temporary failure: try again later.
    Retry,
}

/// The verdict on an HTTP status code; a network error or timeout is
/// [`DeliveryVerdict::Retry`] without a status.
pub fn verdict_for_status(status: u16) -> DeliveryVerdict {
    match status {
        200 | 204 => DeliveryVerdict::Delivered,
        408 | 429 => DeliveryVerdict::Retry,
        400..=499 => DeliveryVerdict::Refused,
        _ => DeliveryVerdict::Retry,
    }
}

/// Bounded exponential back-off: the n-th retry waits `base · 2^(n-1)`, at
/// most `max_delay`; after `max_attempts` attempts the delivery is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    pub max_attempts: u32,
    pub base: Duration,
    pub max_delay: Duration,
}

impl RetrySchedule {
    /// The wait after the `attempts`-th failed attempt (1 for the first).
    pub fn delay_after(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(31);
        let factor = 1u32 << exponent;
        self.base
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// When to try again after the `attempts`-th failed attempt, or `None`
    /// when that was the last one allowed.
    pub fn next_attempt(&self, attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if attempts >= self.max_attempts {
            return None;
        }
        let delay = TimeDelta::from_std(self.delay_after(attempts)).unwrap_or(TimeDelta::MAX);
        now.checked_add_signed(delay)
    }
}

impl Provider {
    /// A client by id, for logout notifications (the cached client store).
    pub async fn client(&self, client_id: &str) -> Result<Option<Client>, OAuthError> {
        Ok(self.ports.clients.get_client(client_id).await?)
    }

    /// The clients among `client_ids` that registered a
    /// `backchannel_logout_uri`, each once, in the order given.
    pub async fn backchannel_logout_clients(
        &self,
        client_ids: &[String],
    ) -> Result<Vec<Client>, OAuthError> {
        let mut clients: Vec<Client> = Vec::new();
        for client_id in client_ids {
            if clients.iter().any(|client| &client.client_id == client_id) {
                continue;
            }
            if let Some(client) = self.client(client_id).await?
                && client.logout.backchannel_uri.is_some()
            {
                clients.push(client);
            }
        }
        Ok(clients)
    }

    /// Signs a logout token for `client` about session `sid` of `account`
    /// (BCL 1.0 §2.4), with the client's ID token algorithm.
    pub fn mint_logout_token(
        &self,
        client: &Client,
        account: AccountId,
        sid: &str,
    ) -> Result<String, OAuthError> {
        let ttl = i64::try_from(self.config.logout_token_ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = logout_token_claims(
            &self.config.issuer,
            &client.client_id,
            account,
            sid,
            self.clock.now().timestamp(),
            ttl,
            &random_token(),
        );
        let keys = self.keys.current();
        let key = keys.active(client.id_token_alg)?;
        Ok(key.sign_json(&claims, Some(LOGOUT_TOKEN_TYP))?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bcl_2_4_logout_token_claims_have_events_sid_and_no_nonce() {
        let account = AccountId::new();
        let claims = logout_token_claims(
            "https://id.example.test",
            "portal",
            account,
            "sid-1",
            1_000,
            120,
            "jti-1",
        );
        assert_eq!(
            Value::Object(claims.clone()),
            json!({
                "iss": "https://id.example.test",
                "sub": account.to_string(),
                "aud": "portal",
                "iat": 1_000,
                "exp": 1_120,
                "jti": "jti-1",
                "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
                "sid": "sid-1",
            })
        );
        assert!(!claims.contains_key("nonce"), "BCL 1.0 §2.4: no nonce");
        assert_eq!(
            claims["events"][BACKCHANNEL_LOGOUT_EVENT],
            json!({}),
            "the event member is an empty object"
        );
    }

    #[test]
    fn bcl_2_8_200_and_204_are_success_4xx_is_refused_rest_is_retried() {
        assert_eq!(verdict_for_status(200), DeliveryVerdict::Delivered);
        assert_eq!(verdict_for_status(204), DeliveryVerdict::Delivered);
        for refused in [400, 401, 403, 404, 405, 410] {
            assert_eq!(verdict_for_status(refused), DeliveryVerdict::Refused);
        }
        for retried in [201, 202, 301, 302, 408, 429, 500, 502, 503, 504] {
            assert_eq!(
                verdict_for_status(retried),
                DeliveryVerdict::Retry,
                "{retried}"
            );
        }
    }

    #[test]
    fn r_se_2_backoff_doubles_up_to_the_cap_and_stops_after_max_attempts() {
        let schedule = RetrySchedule {
            max_attempts: 6,
            base: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
        };
        let delays: Vec<u64> = (1..=6)
            .map(|attempt| schedule.delay_after(attempt).as_secs())
            .collect();
        assert_eq!(delays, [10, 20, 40, 60, 60, 60]);
        let now = DateTime::from_timestamp(1_000, 0).unwrap();
        assert_eq!(
            schedule.next_attempt(1, now),
            Some(now + TimeDelta::seconds(10))
        );
        assert_eq!(
            schedule.next_attempt(5, now),
            Some(now + TimeDelta::seconds(60))
        );
        assert_eq!(
            schedule.next_attempt(6, now),
            None,
            "the sixth was the last"
        );
        assert_eq!(schedule.next_attempt(7, now), None);
    }

    #[test]
    fn r_se_2_backoff_never_overflows() {
        let schedule = RetrySchedule {
            max_attempts: u32::MAX,
            base: Duration::from_secs(u64::MAX / 2),
            max_delay: Duration::from_secs(3600),
        };
        assert_eq!(schedule.delay_after(40), Duration::from_secs(3600));
        assert_eq!(schedule.delay_after(0), Duration::from_secs(3600));
    }
}
