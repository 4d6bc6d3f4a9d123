//! The step-up decision (R-AC-3, RFC 9470 §3): from the authentication facts of
//! a verified access token and what a route needs, either "allow" or the
//! parameters of the challenge that tells the client what to ask for.
//!
//! Pure: no I/O, the current time is passed in, so every rule is covered by the
//! table below.

/// The provider's assurance levels in order, lowest first.
///
/// Pforte lists them in this order in `acr_values_supported` of its discovery
/// document (R-AC-1). OpenID Connect Discovery itself gives the list no
/// meaning, so this order is a property of Pforte that the API relies on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels(Vec<String>);

impl Levels {
    /// Levels as listed by discovery, lowest first.
    pub fn new(ordered_low_to_high: Vec<String>) -> Self {
        Self(ordered_low_to_high)
    }

    /// Position of a level; `None` for a value the provider does not list.
    pub fn rank(&self, acr: &str) -> Option<usize> {
        self.0.iter().position(|level| level == acr)
    }

    /// The names, lowest first.
    pub fn names(&self) -> &[String] {
        &self.0
    }
}

/// What a route needs beyond a valid access token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requirement {
    /// The lowest acceptable `acr`; higher levels satisfy it too.
    pub acr: Option<String>,
    /// How many seconds may have passed since `auth_time`.
    pub max_age: Option<u64>,
}

/// The facts about the user's authentication that a token carries
/// (RFC 9068 §2.2.1). Both are absent in client-credentials tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Authentication<'a> {
    pub acr: Option<&'a str>,
    pub auth_time: Option<i64>,
}

/// The outcome for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    StepUp(StepUp),
}

/// The parameters of an `insufficient_user_authentication` challenge
/// (RFC 9470 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUp {
    /// The route's level, sent whenever the route has one so the client knows
    /// which `acr_values` to put into the new authorization request.
    pub acr_values: Option<String>,
    /// Sent only when the authentication is too old (or its time unknown):
    /// then the client must pass it on as `max_age`, or the provider would
    /// hand out a token with the same old `auth_time`.
    pub max_age: Option<u64>,
    /// Whether the level (and not only the age) was the problem.
    pub level_too_low: bool,
}

impl StepUp {
    /// A human-readable `error_description` (RFC 6750 §3); it names what is
    /// missing and nothing about the token itself.
    pub fn description(&self) -> String {
        let level = self.acr_values.as_deref().unwrap_or("a higher level");
        match (self.level_too_low, self.max_age) {
            (true, Some(max_age)) => format!(
                "authentication at level {level} within the last {max_age} seconds is required"
            ),
            (true, None) => format!("authentication at level {level} is required"),
            (false, Some(max_age)) => {
                format!("a new authentication within the last {max_age} seconds is required")
            }
            (false, None) => "a new authentication is required".to_owned(),
        }
    }
}

/// Decides whether a token's authentication satisfies a route.
///
/// An `acr` the provider does not list, or no `acr` at all, ranks below every
/// level: an API never assumes more assurance than it can prove. A requirement
/// naming an unlisted level can never be met (the server refuses to start with
/// one, see `config`), so it fails closed here as well.
pub fn decide(
    levels: &Levels,
    requirement: &Requirement,
    authentication: Authentication<'_>,
    now: i64,
) -> Decision {
    let level_ok = match requirement.acr.as_deref() {
        None => true,
        Some(required) => match (
            levels.rank(required),
            authentication.acr.and_then(|acr| levels.rank(acr)),
        ) {
            (Some(required), Some(reached)) => reached >= required,
            _ => false,
        },
    };
    let fresh = match requirement.max_age {
        None => true,
        Some(max_age) => authentication.auth_time.is_some_and(|auth_time| {
            now.saturating_sub(auth_time) <= i64::try_from(max_age).unwrap_or(i64::MAX)
        }),
    };
    if level_ok && fresh {
        return Decision::Allow;
    }
    Decision::StepUp(StepUp {
        acr_values: requirement.acr.clone(),
        max_age: if fresh { None } else { requirement.max_age },
        level_too_low: !level_ok,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn pforte_levels() -> Levels {
        Levels::new(vec![
            "loa-low".into(),
            "loa-substantial".into(),
            "loa-high".into(),
        ])
    }

    fn health_documents() -> Requirement {
        Requirement {
            acr: Some("loa-substantial".into()),
            max_age: Some(300),
        }
    }

    fn step_up(acr: &str, max_age: Option<u64>, level_too_low: bool) -> Decision {
        Decision::StepUp(StepUp {
            acr_values: Some(acr.into()),
            max_age,
            level_too_low,
        })
    }

    /// (name, acr, seconds since auth_time, expected) for the health-documents
    /// route: level `loa-substantial`, max age 300 s.
    #[test]
    fn r_ac_3_rfc_9470_health_documents_decision_table() {
        let table: [(&str, Option<&str>, Option<i64>, Decision); 10] = [
            (
                "substantial, fresh",
                Some("loa-substantial"),
                Some(60),
                Decision::Allow,
            ),
            (
                "high satisfies substantial",
                Some("loa-high"),
                Some(0),
                Decision::Allow,
            ),
            (
                "exactly max_age old is still fresh",
                Some("loa-substantial"),
                Some(300),
                Decision::Allow,
            ),
            (
                "auth_time slightly ahead of our clock",
                Some("loa-substantial"),
                Some(-5),
                Decision::Allow,
            ),
            (
                "low level: ask for the level only",
                Some("loa-low"),
                Some(10),
                step_up("loa-substantial", None, true),
            ),
            (
                "one second too old: ask for max_age as well",
                Some("loa-substantial"),
                Some(301),
                step_up("loa-substantial", Some(300), false),
            ),
            (
                "low and old: both",
                Some("loa-low"),
                Some(3600),
                step_up("loa-substantial", Some(300), true),
            ),
            (
                "unknown acr ranks below every level",
                Some("urn:example:very-high"),
                Some(10),
                step_up("loa-substantial", None, true),
            ),
            (
                "no acr (client credentials)",
                None,
                Some(10),
                step_up("loa-substantial", None, true),
            ),
            (
                "no auth_time counts as too old",
                Some("loa-high"),
                None,
                step_up("loa-substantial", Some(300), false),
            ),
        ];
        for (name, acr, age, expected) in table {
            let authentication = Authentication {
                acr,
                auth_time: age.map(|age| NOW - age),
            };
            assert_eq!(
                decide(&pforte_levels(), &health_documents(), authentication, NOW),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn r_ac_3_route_without_requirement_allows_every_valid_token() {
        for acr in [None, Some("loa-low"), Some("unknown")] {
            let authentication = Authentication {
                acr,
                auth_time: None,
            };
            assert_eq!(
                decide(
                    &pforte_levels(),
                    &Requirement::default(),
                    authentication,
                    NOW
                ),
                Decision::Allow
            );
        }
    }

    #[test]
    fn r_ac_3_level_order_comes_from_the_discovery_list() {
        let gematik = Levels::new(vec![
            "gematik-ehealth-loa-substantial".into(),
            "gematik-ehealth-loa-high".into(),
        ]);
        let requirement = Requirement {
            acr: Some("gematik-ehealth-loa-substantial".into()),
            max_age: None,
        };
        let high = Authentication {
            acr: Some("gematik-ehealth-loa-high"),
            auth_time: Some(NOW),
        };
        assert_eq!(decide(&gematik, &requirement, high, NOW), Decision::Allow);
        // The same names listed the other way round mean the other order.
        let reversed = Levels::new(gematik.names().iter().rev().cloned().collect());
        assert!(matches!(
            decide(&reversed, &requirement, high, NOW),
            Decision::StepUp(_)
        ));
    }

    #[test]
    fn rfc_9470_requirement_naming_an_unlisted_level_fails_closed() {
        let requirement = Requirement {
            acr: Some("loa-extreme".into()),
            max_age: None,
        };
        let high = Authentication {
            acr: Some("loa-high"),
            auth_time: Some(NOW),
        };
        assert_eq!(
            decide(&pforte_levels(), &requirement, high, NOW),
            step_up("loa-extreme", None, true)
        );
    }

    #[test]
    fn rfc_9470_max_age_only_route_sends_no_acr_values() {
        let requirement = Requirement {
            acr: None,
            max_age: Some(0),
        };
        let authentication = Authentication {
            acr: Some("loa-high"),
            auth_time: Some(NOW - 1),
        };
        assert_eq!(
            decide(&pforte_levels(), &requirement, authentication, NOW),
            Decision::StepUp(StepUp {
                acr_values: None,
                max_age: Some(0),
                level_too_low: false,
            })
        );
    }

    #[test]
    fn rfc_9470_descriptions_name_what_is_missing() {
        let cases = [
            (
                StepUp {
                    acr_values: Some("loa-substantial".into()),
                    max_age: None,
                    level_too_low: true,
                },
                "authentication at level loa-substantial is required",
            ),
            (
                StepUp {
                    acr_values: Some("loa-substantial".into()),
                    max_age: Some(300),
                    level_too_low: false,
                },
                "a new authentication within the last 300 seconds is required",
            ),
            (
                StepUp {
                    acr_values: Some("loa-substantial".into()),
                    max_age: Some(300),
                    level_too_low: true,
                },
                "authentication at level loa-substantial within the last 300 seconds is required",
            ),
        ];
        for (step_up, expected) in cases {
            assert_eq!(step_up.description(), expected);
        }
    }
}
