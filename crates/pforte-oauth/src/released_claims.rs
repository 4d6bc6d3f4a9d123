//! Which subject claims a token or the userinfo response may carry: the claims
//! of the granted scopes (OIDC Core 5.4) plus those named individually in the
//! `claims` request parameter (OIDC Core 5.5), restricted to the claims this
//! provider knows (OIDC Core 5.1).
//!
//! Pure functions; the caller fetches the [`SubjectClaims`] once and asks here
//! what to put into the ID token or the userinfo response.

use crate::model::SubjectClaims;
use serde_json::{Map, Value};

/// The subject claims this provider can release, in a stable order.
pub const RELEASABLE_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "birthdate",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
];

/// The claims a standard scope stands for (OIDC Core 5.4). `address` is not
/// listed: the provider holds no postal address yet, so it advertises no such
/// scope.
pub fn claims_of_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &[
            "name",
            "given_name",
            "family_name",
            "preferred_username",
            "birthdate",
            "updated_at",
        ],
        "email" => &["email", "email_verified"],
        "phone" => &["phone_number", "phone_number_verified"],
        _ => &[],
    }
}

/// Where requested claims are delivered (the members of the `claims` request
/// parameter, OIDC Core 5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsTarget {
    IdToken,
    Userinfo,
}

impl ClaimsTarget {
    fn member(self) -> &'static str {
        match self {
            Self::IdToken => "id_token",
            Self::Userinfo => "userinfo",
        }
    }
}

/// The releasable claim names requested for `target` through the `claims`
/// request parameter. Names we do not know are ignored (OIDC Core 5.5: a claim
/// that is not available is simply not returned, even when essential).
pub fn requested_claims(claims_request: Option<&Value>, target: ClaimsTarget) -> Vec<&'static str> {
    let Some(member) = claims_request
        .and_then(|request| request.get(target.member()))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    RELEASABLE_CLAIMS
        .iter()
        .copied()
        .filter(|name| member.contains_key(*name))
        .collect()
}

/// The claim names to release for the granted `scopes` plus `extra` names
/// (from the `claims` request), without duplicates, in [`RELEASABLE_CLAIMS`]
/// order.
pub fn released_names<'a>(
    scopes: impl IntoIterator<Item = &'a str>,
    extra: &[&str],
) -> Vec<&'static str> {
    let mut wanted: Vec<&str> = extra.to_vec();
    for scope in scopes {
        wanted.extend_from_slice(claims_of_scope(scope));
    }
    RELEASABLE_CLAIMS
        .iter()
        .copied()
        .filter(|name| wanted.contains(name))
        .collect()
}

/// `name` (OIDC Core 5.1: the full name in displayable form) built from the
/// given and family name; whichever exists when only one does.
pub fn full_name(claims: &SubjectClaims) -> Option<String> {
    match (claims.given_name.as_deref(), claims.family_name.as_deref()) {
        (Some(given), Some(family)) => Some(format!("{given} {family}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// The value of one claim, `None` when the subject has no value for it.
/// `email_verified` and `phone_number_verified` are only released together
/// with the address or number they qualify.
fn claim_value(claims: &SubjectClaims, name: &str) -> Option<Value> {
    match name {
        "name" => full_name(claims).map(Value::from),
        "given_name" => claims.given_name.clone().map(Value::from),
        "family_name" => claims.family_name.clone().map(Value::from),
        "preferred_username" => claims.preferred_username.clone().map(Value::from),
        // OIDC Core 5.1: `YYYY-MM-DD`.
        "birthdate" => claims.birthdate.clone().map(Value::from),
        // OIDC Core 5.1: seconds since the epoch.
        "updated_at" => claims.updated_at.map(|at| Value::from(at.timestamp())),
        "email" => claims.email.clone().map(Value::from),
        "email_verified" => claims
            .email
            .as_ref()
            .map(|_| Value::from(claims.email_verified)),
        "phone_number" => claims.phone_number.clone().map(Value::from),
        "phone_number_verified" => claims
            .phone_number
            .as_ref()
            .map(|_| Value::from(claims.phone_number_verified)),
        _ => None,
    }
}

/// Adds the claims `names` to `target`, skipping those without a value.
pub fn insert_claims(target: &mut Map<String, Value>, claims: &SubjectClaims, names: &[&str]) {
    for name in names {
        if let Some(value) = claim_value(claims, name) {
            target.insert((*name).to_owned(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::DateTime;
    use serde_json::json;

    fn erika() -> SubjectClaims {
        SubjectClaims {
            preferred_username: Some("erika".into()),
            given_name: Some("Erika".into()),
            family_name: Some("Mustermann".into()),
            email: Some("erika@example.test".into()),
            email_verified: true,
            phone_number: None,
            phone_number_verified: true,
            updated_at: DateTime::from_timestamp(1_700_000_000, 0),
            birthdate: Some("1980-04-02".into()),
        }
    }

    #[test]
    fn oidc_core_5_4_profile_scope_releases_profile_claims_with_built_name() {
        let names = released_names(["openid", "profile"], &[]);
        assert_eq!(
            names,
            [
                "name",
                "given_name",
                "family_name",
                "preferred_username",
                "birthdate",
                "updated_at"
            ]
        );
        let mut out = Map::new();
        insert_claims(&mut out, &erika(), &names);
        assert_eq!(
            Value::Object(out),
            json!({
                "name": "Erika Mustermann",
                "given_name": "Erika",
                "family_name": "Mustermann",
                "preferred_username": "erika",
                "birthdate": "1980-04-02",
                "updated_at": 1_700_000_000,
            })
        );
    }

    #[test]
    fn oidc_core_5_4_email_and_phone_scopes_release_only_present_values() {
        let names = released_names(["email", "phone"], &[]);
        let mut out = Map::new();
        insert_claims(&mut out, &erika(), &names);
        // No phone number: neither it nor its verification flag is released.
        assert_eq!(
            Value::Object(out),
            json!({"email": "erika@example.test", "email_verified": true})
        );
    }

    #[test]
    fn oidc_core_5_4_openid_alone_releases_no_profile_claims() {
        assert!(released_names(["openid", "api"], &[]).is_empty());
    }

    #[test]
    fn oidc_core_5_5_claims_request_adds_single_claims_per_target() {
        let request = json!({
            "id_token": {"email": {"essential": true}, "unknown_claim": null},
            "userinfo": {"given_name": null, "acr": {"values": ["loa-high"]}},
        });
        assert_eq!(
            requested_claims(Some(&request), ClaimsTarget::IdToken),
            ["email"]
        );
        assert_eq!(
            requested_claims(Some(&request), ClaimsTarget::Userinfo),
            ["given_name"]
        );
        assert!(requested_claims(None, ClaimsTarget::Userinfo).is_empty());
        assert!(requested_claims(Some(&json!("x")), ClaimsTarget::IdToken).is_empty());
        assert_eq!(
            released_names(["openid", "email"], &["email", "family_name"]),
            ["family_name", "email", "email_verified"]
        );
    }

    #[test]
    fn oidc_core_5_1_name_falls_back_to_the_one_part_known() {
        let mut claims = erika();
        claims.given_name = None;
        assert_eq!(full_name(&claims).unwrap(), "Mustermann");
        claims.family_name = None;
        assert_eq!(full_name(&claims), None);
    }
}
