//! Requested assurance levels and the level a login must reach (R-AC-2; OIDC
//! Core 3.1.2.1 `acr_values`, 5.5.1.1 essential `acr` claim; OIDC Registration
//! 2 `default_acr_values`).
//!
//! The levels are ordered (`ProviderConfig::acr_levels`, lowest first), so a
//! higher level satisfies every lower one. The *required level* is the highest
//! of:
//!
//! * the first known value of `acr_values`: the values come "in order of
//!   preference" (OIDC Core 3.1.2.1), so the client's preferred level is the
//!   one asked for; unknown values are ignored (the parameter is voluntary).
//!   A client that needs a level sends that one value (as an RFC 9470
//!   challenge's `acr_values` does) or an essential `acr` claim;
//! * the lowest known value of an essential `acr` claim: any of its values
//!   satisfies the client. When none of them is a known level the request
//!   cannot be met and is answered `unmet_authentication_requirements`;
//! * the highest known value of the client's `default_acr_values`, only when
//!   the request itself names no known level;
//! * the client's minimum and the tenant's minimum.
//!
//! A minimum the configuration does not know fails closed (`server_error`):
//! guessing a level would either weaken or block the client silently.
//!
//! `acr_values` keeps the list as the client sent it (`acr_values` first,
//! then the essential values) for the login page.

use super::super::pipeline::{AuthorizationRequest, CheckContext};
use super::claims::essential_acr_values;
use crate::error::{ErrorCode, OAuthError};

pub(crate) const UNKNOWN_ESSENTIAL: &str = "PF-OAUTH-125";

/// Where the required level comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AcrSources<'a> {
    /// The configured levels, lowest first.
    pub levels: &'a [String],
    pub acr_values: &'a [String],
    /// The values of an essential `acr` claim (empty when there is none).
    pub essential: &'a [String],
    pub client_default: &'a [String],
    pub client_minimum: Option<&'a str>,
    pub tenant_minimum: Option<&'a str>,
}

/// The level a login must reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AcrRequirement {
    /// `None`: no source asks for a level; the lowest one is enough.
    pub required: Option<String>,
    /// An essential `acr` claim takes part (OIDC Core 5.5.1.1).
    pub essential: bool,
}

fn rank(levels: &[String], name: &str) -> Option<usize> {
    levels.iter().position(|level| level == name)
}

fn highest_known(levels: &[String], values: &[String]) -> Option<usize> {
    values.iter().filter_map(|value| rank(levels, value)).max()
}

fn known_minimum(
    levels: &[String],
    minimum: Option<&str>,
    whose: &str,
) -> Result<Option<usize>, OAuthError> {
    match minimum {
        None => Ok(None),
        Some(name) => rank(levels, name).map(Some).ok_or_else(|| {
            OAuthError::server_error(format!(
                "the {whose} minimum assurance level {name} is not a configured level"
            ))
        }),
    }
}

/// Computes the required level (pure; see the module documentation).
pub(crate) fn required_level(sources: &AcrSources<'_>) -> Result<AcrRequirement, OAuthError> {
    let levels = sources.levels;
    let requested = sources
        .acr_values
        .iter()
        .find_map(|value| rank(levels, value));
    let essential = if sources.essential.is_empty() {
        None
    } else {
        let lowest = sources
            .essential
            .iter()
            .filter_map(|value| rank(levels, value))
            .min();
        match lowest {
            Some(lowest) => Some(lowest),
            None => {
                return Err(OAuthError::new(
                    ErrorCode::UnmetAuthenticationRequirements,
                    UNKNOWN_ESSENTIAL,
                    "none of the essential acr values is an assurance level of this provider",
                ));
            }
        }
    };
    let default = if requested.is_none() && essential.is_none() {
        highest_known(levels, sources.client_default)
    } else {
        None
    };
    let client_minimum = known_minimum(levels, sources.client_minimum, "client's")?;
    let tenant_minimum = known_minimum(levels, sources.tenant_minimum, "tenant's")?;
    let required = [
        requested,
        essential,
        default,
        client_minimum,
        tenant_minimum,
    ]
    .into_iter()
    .flatten()
    .max()
    .and_then(|index| levels.get(index).cloned());
    Ok(AcrRequirement {
        required,
        essential: essential.is_some(),
    })
}

/// Whether a login at `reached` satisfies `required` (an unknown `reached`
/// satisfies nothing but the absence of a requirement).
pub(crate) fn satisfies(levels: &[String], reached: &str, required: Option<&str>) -> bool {
    match required {
        None => true,
        Some(required) => match (rank(levels, reached), rank(levels, required)) {
            (Some(reached), Some(required)) => reached >= required,
            _ => false,
        },
    }
}

/// The `acr` to put into the tokens for a login at `reached`. An essential
/// `acr` claim with values must be answered with one of them (OIDC Core
/// 5.5.1.1), so a higher login reports the highest requested value it covers;
/// that is never more than was reached (R-AC-4). Otherwise the level reached.
pub(crate) fn reported_acr(levels: &[String], reached: &str, essential: &[String]) -> String {
    let Some(reached_rank) = rank(levels, reached) else {
        return reached.to_owned();
    };
    essential
        .iter()
        .filter_map(|value| rank(levels, value).map(|r| (r, value)))
        .filter(|(r, _)| *r <= reached_rank)
        .max_by_key(|(r, _)| *r)
        .map_or_else(|| reached.to_owned(), |(_, value)| value.clone())
}

pub(crate) fn check(
    context: &CheckContext<'_>,
    request: &mut AuthorizationRequest,
) -> Result<(), OAuthError> {
    let acr_values = context.params.list("acr_values")?;
    let essential = request
        .claims
        .as_ref()
        .map(essential_acr_values)
        .unwrap_or_default();
    let requirement = required_level(&AcrSources {
        levels: context.acr_levels,
        acr_values: &acr_values,
        essential: &essential,
        client_default: &context.client.default_acr_values,
        client_minimum: context.client.minimum_acr.as_deref(),
        tenant_minimum: context.minimum_acr,
    })?;
    let mut listed = acr_values;
    for level in essential {
        if !listed.contains(&level) {
            listed.push(level);
        }
    }
    request.acr_values = listed;
    request.required_acr = requirement.required;
    request.essential_acr = requirement.essential;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::test_support::{run, web_client};
    use super::*;
    use crate::config::DEFAULT_ACR_LEVELS;
    use serde_json::json;

    fn levels() -> Vec<String> {
        DEFAULT_ACR_LEVELS.iter().map(|&l| l.to_owned()).collect()
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|&v| v.to_owned()).collect()
    }

    struct Case {
        name: &'static str,
        acr_values: &'static [&'static str],
        essential: &'static [&'static str],
        client_default: &'static [&'static str],
        client_minimum: Option<&'static str>,
        tenant_minimum: Option<&'static str>,
        /// `Ok((required, essential))` or the error code.
        expected: Result<(Option<&'static str>, bool), ErrorCode>,
    }

    const NONE: &[&str] = &[];

    #[test]
    fn r_ac_2_highest_of_acr_values_client_minimum_and_tenant_minimum() {
        let case = |name| Case {
            name,
            acr_values: NONE,
            essential: NONE,
            client_default: NONE,
            client_minimum: None,
            tenant_minimum: None,
            expected: Ok((None, false)),
        };
        let cases = [
            case("nothing asked: the lowest level is enough"),
            Case {
                acr_values: &["loa-substantial"],
                expected: Ok((Some("loa-substantial"), false)),
                ..case("acr_values alone")
            },
            Case {
                acr_values: &["loa-low", "loa-high", "loa-substantial"],
                expected: Ok((Some("loa-low"), false)),
                ..case("acr_values in order of preference: the first known one")
            },
            Case {
                acr_values: &["loa-high", "loa-low"],
                expected: Ok((Some("loa-high"), false)),
                ..case("the preferred level first")
            },
            Case {
                acr_values: &["urn:other", "loa-substantial"],
                expected: Ok((Some("loa-substantial"), false)),
                ..case("unknown acr_values are ignored")
            },
            Case {
                acr_values: &["urn:other"],
                expected: Ok((None, false)),
                ..case("only unknown acr_values")
            },
            Case {
                acr_values: &["loa-substantial"],
                client_minimum: Some("loa-high"),
                expected: Ok((Some("loa-high"), false)),
                ..case("client minimum above the request")
            },
            Case {
                acr_values: &["loa-high"],
                client_minimum: Some("loa-substantial"),
                tenant_minimum: Some("loa-low"),
                expected: Ok((Some("loa-high"), false)),
                ..case("request above both minimums")
            },
            Case {
                acr_values: &["loa-low"],
                client_minimum: Some("loa-low"),
                tenant_minimum: Some("loa-substantial"),
                expected: Ok((Some("loa-substantial"), false)),
                ..case("tenant minimum above the rest")
            },
            Case {
                client_default: &["loa-substantial"],
                expected: Ok((Some("loa-substantial"), false)),
                ..case("client default when the request names no level")
            },
            Case {
                acr_values: &["urn:other"],
                client_default: &["loa-substantial"],
                expected: Ok((Some("loa-substantial"), false)),
                ..case("client default when the request names no known level")
            },
            Case {
                acr_values: &["loa-low"],
                client_default: &["loa-high"],
                expected: Ok((Some("loa-low"), false)),
                ..case("a named level replaces the client default")
            },
            Case {
                essential: &["loa-substantial", "loa-high"],
                expected: Ok((Some("loa-substantial"), true)),
                ..case("essential: the lowest acceptable value")
            },
            Case {
                essential: &["urn:other", "loa-high"],
                expected: Ok((Some("loa-high"), true)),
                ..case("essential: unknown values are skipped")
            },
            Case {
                essential: &["loa-low"],
                client_default: &["loa-high"],
                expected: Ok((Some("loa-low"), true)),
                ..case("essential replaces the client default")
            },
            Case {
                essential: &["loa-low", "loa-high"],
                tenant_minimum: Some("loa-substantial"),
                expected: Ok((Some("loa-substantial"), true)),
                ..case("essential never below the tenant minimum")
            },
            Case {
                acr_values: &["loa-high"],
                essential: &["loa-low", "loa-substantial"],
                expected: Ok((Some("loa-high"), true)),
                ..case("essential never below acr_values")
            },
            Case {
                essential: &["urn:other"],
                expected: Err(ErrorCode::UnmetAuthenticationRequirements),
                ..case("essential with no known value cannot be met")
            },
            Case {
                client_minimum: Some("loa-unheard-of"),
                expected: Err(ErrorCode::ServerError),
                ..case("an unknown client minimum fails closed")
            },
            Case {
                tenant_minimum: Some("loa-unheard-of"),
                expected: Err(ErrorCode::ServerError),
                ..case("an unknown tenant minimum fails closed")
            },
        ];
        let levels = levels();
        for case in cases {
            let (acr_values, essential, client_default) = (
                strings(case.acr_values),
                strings(case.essential),
                strings(case.client_default),
            );
            let result = required_level(&AcrSources {
                levels: &levels,
                acr_values: &acr_values,
                essential: &essential,
                client_default: &client_default,
                client_minimum: case.client_minimum,
                tenant_minimum: case.tenant_minimum,
            });
            let got = result
                .map(|r| (r.required, r.essential))
                .map_err(|error| error.code);
            let expected = case
                .expected
                .map(|(required, essential)| (required.map(str::to_owned), essential));
            assert_eq!(got, expected, "{}", case.name);
        }
    }

    #[test]
    fn r_ac_2_a_level_satisfies_itself_and_every_lower_one() {
        let levels = levels();
        assert!(satisfies(&levels, "loa-low", None));
        assert!(satisfies(&levels, "urn:other", None));
        assert!(satisfies(&levels, "loa-high", Some("loa-substantial")));
        assert!(satisfies(
            &levels,
            "loa-substantial",
            Some("loa-substantial")
        ));
        assert!(!satisfies(&levels, "loa-low", Some("loa-substantial")));
        assert!(!satisfies(&levels, "urn:other", Some("loa-low")));
    }

    #[test]
    fn oidc_core_5_5_1_1_essential_acr_is_answered_with_a_requested_value() {
        let levels = levels();
        let cases = [
            ("loa-high", NONE, "loa-high"),
            ("loa-high", &["loa-substantial"][..], "loa-substantial"),
            ("loa-high", &["loa-substantial", "loa-high"][..], "loa-high"),
            ("loa-substantial", &["loa-low", "loa-high"][..], "loa-low"),
            // Never more than reached: a lower login keeps its own name (the
            // resume check refuses it before any token is made).
            ("loa-low", &["loa-high"][..], "loa-low"),
        ];
        for (reached, essential, expected) in cases {
            assert_eq!(
                reported_acr(&levels, reached, &strings(essential)),
                expected,
                "{reached} {essential:?}"
            );
        }
    }

    #[test]
    fn r_ac_2_the_check_fills_the_list_and_the_required_level() {
        let mut client = web_client();
        client.minimum_acr = Some("loa-substantial".into());
        let claims = json!({"id_token":{"acr":{"essential":true,"values":["loa-low","loa-sub"]}}});
        let request = run(
            check,
            &client,
            &[
                ("acr_values", "loa-high loa-low"),
                ("claims", &claims.to_string()),
            ],
        );
        // `run` runs this check alone, so the claims check did not fill claims.
        let request = request.unwrap();
        assert_eq!(request.acr_values, ["loa-high", "loa-low"]);
        assert_eq!(request.required_acr.as_deref(), Some("loa-high"));
        assert!(!request.essential_acr);

        let mut request = AuthorizationRequest::new();
        request.claims = Some(claims);
        let with_claims = super::super::test_support::run_on(check, &client, &[], request).unwrap();
        assert_eq!(with_claims.acr_values, ["loa-low", "loa-sub"]);
        assert_eq!(with_claims.required_acr.as_deref(), Some("loa-substantial"));
        assert!(with_claims.essential_acr);
    }
}
