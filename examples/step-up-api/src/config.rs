//! Configuration from the environment, with defaults that fit a local
//! `pforte serve` with the demo client.

use std::net::SocketAddr;

/// The issuer of a local `pforte serve` with the example configuration.
pub const DEFAULT_ISSUER: &str = "http://127.0.0.1:8080";
/// The demo client that `pforte serve` creates on first start; Pforte puts the
/// client id into `aud` of the access tokens it issues to that client.
pub const DEFAULT_AUDIENCE: &str = "demo-portal";
/// 9470 as in RFC 9470.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9470";
/// Five minutes: opening health documents needs a recent second factor.
pub const DEFAULT_MAX_AGE_SECS: u64 = 300;
/// The level the health-documents route needs (R-AC-3).
pub const DEFAULT_REQUIRED_ACR: &str = "loa-substantial";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `PFORTE_ISSUER`: the provider's issuer identifier.
    pub issuer: String,
    /// `EXAMPLE_AUDIENCE`: the value that must be in `aud`.
    pub audience: String,
    /// `EXAMPLE_LISTEN`: the socket address to serve on.
    pub listen: SocketAddr,
    /// `EXAMPLE_MAX_AGE_SECS`: how old the authentication behind a token may be
    /// for health documents.
    pub max_age_secs: u64,
    /// `EXAMPLE_REQUIRED_ACR`: the level for health documents, e.g.
    /// `gematik-ehealth-loa-substantial` with the gematik preset.
    pub required_acr: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{name} is not valid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup` (the environment in production, a
    /// table in tests). Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str, default: &str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let issuer = get("PFORTE_ISSUER", DEFAULT_ISSUER)
            .trim_end_matches('/')
            .to_owned();
        if !issuer.starts_with("https://") && !issuer.starts_with("http://") {
            return Err(ConfigError {
                name: "PFORTE_ISSUER",
                reason: format!("{issuer:?} is not an http(s) URL"),
            });
        }
        let listen_text = get("EXAMPLE_LISTEN", DEFAULT_LISTEN);
        let listen = listen_text.parse().map_err(|_| ConfigError {
            name: "EXAMPLE_LISTEN",
            reason: format!("{listen_text:?} is not a socket address such as {DEFAULT_LISTEN}"),
        })?;
        let max_age_text = get("EXAMPLE_MAX_AGE_SECS", &DEFAULT_MAX_AGE_SECS.to_string());
        let max_age_secs = max_age_text.parse().map_err(|_| ConfigError {
            name: "EXAMPLE_MAX_AGE_SECS",
            reason: format!("{max_age_text:?} is not a number of seconds"),
        })?;
        Ok(Self {
            issuer,
            audience: get("EXAMPLE_AUDIENCE", DEFAULT_AUDIENCE),
            listen,
            max_age_secs,
            required_acr: get("EXAMPLE_REQUIRED_ACR", DEFAULT_REQUIRED_ACR),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn r_ac_3_defaults_fit_a_local_pforte_with_the_demo_client() {
        let config = config(&[]).unwrap();
        assert_eq!(config.issuer, DEFAULT_ISSUER);
        assert_eq!(config.audience, "demo-portal");
        assert_eq!(config.listen.to_string(), "127.0.0.1:9470");
        assert_eq!(config.max_age_secs, 300);
        assert_eq!(config.required_acr, "loa-substantial");
    }

    #[test]
    fn r_ac_3_environment_overrides_and_errors() {
        let config = config(&[
            ("PFORTE_ISSUER", "https://login.example/"),
            ("EXAMPLE_AUDIENCE", "portal"),
            ("EXAMPLE_MAX_AGE_SECS", "60"),
            ("EXAMPLE_LISTEN", "0.0.0.0:9000"),
        ])
        .unwrap();
        assert_eq!(config.issuer, "https://login.example");
        assert_eq!(config.audience, "portal");
        assert_eq!(config.max_age_secs, 60);
        assert_eq!(config.listen.port(), 9000);

        for (name, value) in [
            ("EXAMPLE_MAX_AGE_SECS", "five minutes"),
            ("EXAMPLE_LISTEN", "localhost"),
            ("PFORTE_ISSUER", "login.example"),
        ] {
            assert_eq!(self::config(&[(name, value)]).unwrap_err().name, name);
        }
    }
}
