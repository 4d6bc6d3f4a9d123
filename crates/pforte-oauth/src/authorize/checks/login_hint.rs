//! `login_hint` (OIDC Core 3.1.2.1): a hint for the login page (the username to
//! prefill). Taken as is; it never decides who logs in.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::OAuthError;

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    request.login_hint = context.params.get("login_hint")?.map(str::to_owned);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{run, web_client};
    use super::*;

    #[test]
    fn oidc_core_3_1_2_1_login_hint_is_passed_to_the_login() {
        let request = run(check, &web_client(), &[("login_hint", "erika")]).unwrap();
        assert_eq!(request.login_hint.as_deref(), Some("erika"));
        assert_eq!(run(check, &web_client(), &[]).unwrap().login_hint, None);
    }
}
