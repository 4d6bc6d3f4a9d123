//! `max_age` (OIDC Core 3.1.2.1): the allowable elapsed time in seconds since
//! the user last actively authenticated; a non-negative integer. When it has
//! passed the user must authenticate again, and `max_age=0` always demands it
//! (like `prompt=login`). The token endpoint then includes `auth_time`.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::{ErrorCode, OAuthError};
use chrono::{DateTime, Utc};

pub(crate) const INVALID: &str = "PF-OAUTH-122";

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    let Some(value) = context.params.get("max_age")? else {
        return Ok(());
    };
    let parsed = value
        .bytes()
        .all(|byte| byte.is_ascii_digit())
        .then(|| value.parse::<u64>().ok())
        .flatten();
    match parsed {
        Some(seconds) => {
            request.max_age = Some(seconds);
            Ok(())
        }
        None => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            INVALID,
            "max_age must be a non-negative integer",
        )),
    }
}

/// Whether a session authenticated at `auth_time` is too old for `max_age`.
pub(crate) fn requires_reauthentication(
    max_age: Option<u64>,
    auth_time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let Some(max_age) = max_age else {
        return false;
    };
    if max_age == 0 {
        return true;
    }
    let elapsed = now.signed_duration_since(auth_time).num_seconds();
    u64::try_from(elapsed).is_ok_and(|elapsed| elapsed > max_age)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{run, web_client};
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn oidc_core_3_1_2_1_max_age_is_a_non_negative_integer() {
        let cases = [
            ("0", Some(0)),
            ("1", Some(1)),
            ("15000", Some(15_000)),
            ("-1", None),
            ("+5", None),
            ("1.5", None),
            ("ten", None),
            (" 5", None),
            ("99999999999999999999999", None),
        ];
        for (value, expected) in cases {
            let result = run(check, &web_client(), &[("max_age", value)]);
            match expected {
                Some(seconds) => assert_eq!(result.unwrap().max_age, Some(seconds), "{value}"),
                None => assert_eq!(result.unwrap_err().public_code, INVALID, "{value}"),
            }
        }
    }

    #[test]
    fn oidc_core_3_1_2_1_max_age_exceeded_or_zero_forces_reauthentication() {
        let auth_time = DateTime::from_timestamp(1_000, 0).unwrap();
        let after = |seconds| auth_time + TimeDelta::seconds(seconds);
        let cases = [
            (None, 1_000_000, false),
            (Some(0), 0, true),
            (Some(1), 1, false),
            (Some(1), 2, true),
            (Some(10_000), 9_999, false),
            (Some(10_000), 10_000, false),
            (Some(10_000), 10_001, true),
            // A session from the future (clock skew) is not too old.
            (Some(5), -60, false),
        ];
        for (max_age, elapsed, expected) in cases {
            assert_eq!(
                requires_reauthentication(max_age, auth_time, after(elapsed)),
                expected,
                "{max_age:?} after {elapsed}s"
            );
        }
    }
}
