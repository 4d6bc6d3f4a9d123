//! Whether the browser's session satisfies a validated request (OIDC Core
//! 3.1.2.3), decided after every check passed. The core does not log anyone in:
//! it either issues the code from the session, asks the login flow for an
//! interaction, or (with `prompt=none`) answers `login_required`.
//!
//! A session is not enough when there is none, when `prompt=login` or
//! `max_age` demand a fresh authentication, when a valid `id_token_hint`
//! names another account, or when its `acr` ranks below the required level
//! (R-AC-3). The last is a step-up, not a new login: the login flow keeps the
//! session and asks only for what is missing (`AuthTarget::required_acr`), so
//! it does not force re-authentication. With `prompt=none` every one of these
//! is `login_required` (OIDC Core 3.1.2.6: the user must authenticate, which
//! includes authenticating at a higher level; docs/adr/0004). `prompt=consent` asks the consent page even with a
//! good session. First-party clients are pre-approved otherwise, so
//! `prompt=none` never needs consent and `consent_required` never occurs here.

use super::checks::{acr, id_token_hint, max_age};
use super::pipeline::AuthorizationRequest;
use chrono::{DateTime, Utc};
use pforte_types::{AuthResult, Prompt, SessionSnapshot};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionDecision {
    /// Issue the code now, for this (past) login.
    Issue(AuthResult),
    /// Hand over to the login flow.
    Interact {
        force_reauthentication: bool,
        consent_required: bool,
    },
    /// `prompt=none` cannot be satisfied (OIDC Core 3.1.2.6).
    LoginRequired(&'static str),
}

pub(crate) fn decide(
    request: &AuthorizationRequest,
    session: Option<&SessionSnapshot>,
    now: DateTime<Utc>,
    acr_levels: &[String],
) -> SessionDecision {
    let prompt_none = request.prompt.contains(&Prompt::None);
    let prompt_login = request.prompt.contains(&Prompt::Login);
    let prompt_consent = request.prompt.contains(&Prompt::Consent);
    let Some(session) = session else {
        return if prompt_none {
            SessionDecision::LoginRequired("the user is not logged in")
        } else {
            SessionDecision::Interact {
                force_reauthentication: prompt_login,
                consent_required: prompt_consent,
            }
        };
    };
    let too_old = max_age::requires_reauthentication(request.max_age, session.auth_time, now);
    let other_account = request
        .hint
        .as_ref()
        .is_some_and(|hint| id_token_hint::names_another_account(hint, session));
    let too_low = !acr::satisfies(acr_levels, &session.acr, request.required_acr.as_deref());
    if prompt_none {
        return if other_account {
            SessionDecision::LoginRequired("the logged-in user is not the one id_token_hint names")
        } else if too_old {
            SessionDecision::LoginRequired("the login is older than max_age")
        } else if too_low {
            SessionDecision::LoginRequired("the login does not reach the required assurance level")
        } else {
            SessionDecision::Issue(session.as_auth_result())
        };
    }
    let force_reauthentication = prompt_login || too_old || other_account;
    if force_reauthentication || prompt_consent || too_low {
        SessionDecision::Interact {
            force_reauthentication,
            consent_required: prompt_consent,
        }
    } else {
        SessionDecision::Issue(session.as_auth_result())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::id_token_hint::HintedIdToken;
    use chrono::TimeDelta;
    use pforte_types::AccountId;

    fn session(account_id: AccountId, auth_time: DateTime<Utc>) -> SessionSnapshot {
        SessionSnapshot {
            sid: "sid-1".into(),
            evidence: Vec::new(),
            account_id,
            auth_time,
            acr: "loa-low".into(),
            amr: vec!["pwd".into()],
        }
    }

    fn request(
        prompt: &[Prompt],
        max_age: Option<u64>,
        hint: Option<AccountId>,
    ) -> AuthorizationRequest {
        let mut request = AuthorizationRequest::new();
        request.prompt = prompt.to_vec();
        request.max_age = max_age;
        request.hint = hint.map(|subject| HintedIdToken {
            subject,
            audiences: vec!["portal".into()],
            authorized_party: None,
            sid: None,
        });
        request
    }

    fn levels() -> Vec<String> {
        crate::config::DEFAULT_ACR_LEVELS
            .iter()
            .map(|&level| level.to_owned())
            .collect()
    }

    fn interact(force: bool, consent: bool) -> SessionDecision {
        SessionDecision::Interact {
            force_reauthentication: force,
            consent_required: consent,
        }
    }

    #[test]
    fn oidc_core_3_1_2_3_the_session_decides_between_code_login_and_error() {
        let erika = AccountId::new();
        let max = AccountId::new();
        let login_time = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let now = login_time + TimeDelta::seconds(60);
        let fresh = session(erika, login_time);
        let issue = SessionDecision::Issue(fresh.as_auth_result());
        let is_login_required =
            |d: &SessionDecision| matches!(d, SessionDecision::LoginRequired(_));

        use Prompt::{Consent, Login, None as PromptNone};
        let cases: Vec<(
            &str,
            AuthorizationRequest,
            Option<&SessionSnapshot>,
            Option<SessionDecision>,
        )> = vec![
            (
                "no session",
                request(&[], None, None),
                None,
                Some(interact(false, false)),
            ),
            (
                "session",
                request(&[], None, None),
                Some(&fresh),
                Some(issue.clone()),
            ),
            (
                "prompt=login",
                request(&[Login], None, None),
                Some(&fresh),
                Some(interact(true, false)),
            ),
            (
                "prompt=login, no session",
                request(&[Login], None, None),
                None,
                Some(interact(true, false)),
            ),
            (
                "prompt=consent",
                request(&[Consent], None, None),
                Some(&fresh),
                Some(interact(false, true)),
            ),
            (
                "prompt=consent, no session",
                request(&[Consent], None, None),
                None,
                Some(interact(false, true)),
            ),
            (
                "prompt=login consent",
                request(&[Login, Consent], None, None),
                Some(&fresh),
                Some(interact(true, true)),
            ),
            (
                "max_age not passed",
                request(&[], Some(60), None),
                Some(&fresh),
                Some(issue.clone()),
            ),
            (
                "max_age passed",
                request(&[], Some(59), None),
                Some(&fresh),
                Some(interact(true, false)),
            ),
            (
                "max_age=0",
                request(&[], Some(0), None),
                Some(&fresh),
                Some(interact(true, false)),
            ),
            (
                "hint for this user",
                request(&[], None, Some(erika)),
                Some(&fresh),
                Some(issue.clone()),
            ),
            (
                "hint for another user",
                request(&[], None, Some(max)),
                Some(&fresh),
                Some(interact(true, false)),
            ),
            (
                "hint, no session",
                request(&[], None, Some(max)),
                None,
                Some(interact(false, false)),
            ),
            (
                "prompt=none with session",
                request(&[PromptNone], None, None),
                Some(&fresh),
                Some(issue.clone()),
            ),
            (
                "prompt=none, hint for this user",
                request(&[PromptNone], None, Some(erika)),
                Some(&fresh),
                Some(issue.clone()),
            ),
            (
                "prompt=none without session",
                request(&[PromptNone], None, None),
                None,
                None,
            ),
            (
                "prompt=none, max_age passed",
                request(&[PromptNone], Some(10), None),
                Some(&fresh),
                None,
            ),
            (
                "prompt=none, max_age=0",
                request(&[PromptNone], Some(0), None),
                Some(&fresh),
                None,
            ),
            (
                "prompt=none, hint for another user",
                request(&[PromptNone], None, Some(max)),
                Some(&fresh),
                None,
            ),
        ];
        for (what, request, session, expected) in cases {
            let decision = decide(&request, session, now, &levels());
            match expected {
                Some(expected) => assert_eq!(decision, expected, "{what}"),
                None => assert!(is_login_required(&decision), "{what}: {decision:?}"),
            }
        }
    }

    #[test]
    fn r_ac_3_a_session_below_the_required_level_steps_up() {
        let erika = AccountId::new();
        let login_time = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let now = login_time + TimeDelta::seconds(60);
        let mut at_low = session(erika, login_time);
        at_low.acr = "loa-low".into();
        let mut at_high = session(erika, login_time);
        at_high.acr = "loa-high".into();
        let mut at_unknown = session(erika, login_time);
        at_unknown.acr = "urn:legacy".into();
        let requiring = |prompt: &[Prompt], required: Option<&str>| {
            let mut request = request(prompt, None, None);
            request.required_acr = required.map(str::to_owned);
            request
        };
        let levels = levels();
        let decide_for = |request: &AuthorizationRequest, session: &SessionSnapshot| {
            decide(request, Some(session), now, &levels)
        };

        // Step-up keeps the session: no forced re-authentication.
        assert_eq!(
            decide_for(&requiring(&[], Some("loa-substantial")), &at_low),
            interact(false, false)
        );
        assert_eq!(
            decide_for(&requiring(&[Prompt::Consent], Some("loa-high")), &at_low),
            interact(false, true)
        );
        assert_eq!(
            decide_for(&requiring(&[Prompt::Login], Some("loa-high")), &at_low),
            interact(true, false)
        );
        // A higher or equal session is enough.
        assert_eq!(
            decide_for(&requiring(&[], Some("loa-substantial")), &at_high),
            SessionDecision::Issue(at_high.as_auth_result())
        );
        assert_eq!(
            decide_for(&requiring(&[], Some("loa-low")), &at_low),
            SessionDecision::Issue(at_low.as_auth_result())
        );
        // A session level the configuration does not know satisfies no
        // requirement.
        assert_eq!(
            decide_for(&requiring(&[], Some("loa-low")), &at_unknown),
            interact(false, false)
        );
        assert_eq!(
            decide_for(&requiring(&[], None), &at_unknown),
            SessionDecision::Issue(at_unknown.as_auth_result())
        );
    }

    #[test]
    fn oidc_core_3_1_2_6_prompt_none_below_the_required_level_is_login_required() {
        let erika = AccountId::new();
        let login_time = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let now = login_time + TimeDelta::seconds(60);
        let at_low = session(erika, login_time);
        let mut request = request(&[Prompt::None], None, None);
        request.required_acr = Some("loa-substantial".into());
        assert!(matches!(
            decide(&request, Some(&at_low), now, &levels()),
            SessionDecision::LoginRequired(why) if why.contains("assurance level")
        ));
        request.required_acr = Some("loa-low".into());
        assert_eq!(
            decide(&request, Some(&at_low), now, &levels()),
            SessionDecision::Issue(at_low.as_auth_result())
        );
    }
}
