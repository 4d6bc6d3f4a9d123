//! `ui_locales` (OIDC Core 3.1.2.1): the user's preferred languages for the
//! login pages, as BCP 47 tags in order of preference. Tags that cannot be
//! language tags are dropped rather than failing the request: the parameter is
//! a preference and an unsupported locale is not an error.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use crate::error::OAuthError;

/// Longest tag we keep (BCP 47 tags in practice stay far below).
const MAX_TAG_LEN: usize = 35;

fn looks_like_language_tag(tag: &str) -> bool {
    tag.len() <= MAX_TAG_LEN
        && tag.split('-').all(|subtag| {
            (1..=8).contains(&subtag.len()) && subtag.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    request.ui_locales = context
        .params
        .list("ui_locales")?
        .into_iter()
        .filter(|tag| looks_like_language_tag(tag))
        .collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{run, web_client};
    use super::*;

    #[test]
    fn oidc_core_3_1_2_1_ui_locales_keep_their_order() {
        let request = run(check, &web_client(), &[("ui_locales", "de-DE en fr-CA")]).unwrap();
        assert_eq!(request.ui_locales, ["de-DE", "en", "fr-CA"]);
    }

    #[test]
    fn ui_locales_that_are_no_language_tags_are_dropped() {
        let request = run(
            check,
            &web_client(),
            &[("ui_locales", "<script> de en--x toolongsubtag")],
        )
        .unwrap();
        assert_eq!(request.ui_locales, ["de"]);
    }
}
