//! Request parameters as they arrive (query string or form body), with the
//! RFC 6749 3.1/3.2 rule that a parameter must not appear more than once.

use crate::error::OAuthError;

/// The parameters of one request, in arrival order. Parameters sent without a
/// value are treated as omitted (RFC 6749 3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self {
            pairs: pairs
                .into_iter()
                .filter(|(_, value)| !value.is_empty())
                .collect(),
        }
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The single value of `name`; a repeated parameter is an `invalid_request`.
    pub fn get(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut values = self.pairs.iter().filter(|(key, _)| key == name);
        let first = values.next().map(|(_, value)| value.as_str());
        if values.next().is_some() {
            return Err(OAuthError::invalid_request(format!(
                "parameter {name} is repeated"
            )));
        }
        Ok(first)
    }

    /// Like [`Self::get`] but the parameter must be present.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)?
            .ok_or_else(|| OAuthError::invalid_request(format!("parameter {name} is missing")))
    }

    /// A space-separated list parameter (`scope`, `prompt`, `acr_values`,
    /// `ui_locales`), empty when absent.
    pub fn list(&self, name: &str) -> Result<Vec<String>, OAuthError> {
        Ok(self
            .get(name)?
            .map(|value| {
                value
                    .split(' ')
                    .filter(|part| !part.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(key, _)| key == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn rfc6749_3_1_repeated_parameters_are_invalid() {
        let p = params(&[("scope", "openid"), ("scope", "email")]);
        assert_eq!(
            p.get("scope").unwrap_err().code,
            crate::error::ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn rfc6749_3_1_empty_values_count_as_omitted() {
        let p = params(&[("state", ""), ("scope", "openid  email")]);
        assert_eq!(p.get("state").unwrap(), None);
        assert_eq!(p.list("scope").unwrap(), ["openid", "email"]);
        assert!(p.require("state").is_err());
    }
}
