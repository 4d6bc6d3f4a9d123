//! What the protocol core needs to know from the configuration. pforte-server
//! builds it from the operator's file (DESIGN.md §2: only the server reads files).

use pforte_crypto::SigningAlg;
use std::time::Duration;

/// The levels of the default policy (R-AC-1), lowest first.
pub const DEFAULT_ACR_LEVELS: [&str; 3] = ["loa-low", "loa-substantial", "loa-high"];

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The issuer identifier (OIDC Discovery 3): https URL, no query, no
    /// fragment, no trailing slash. Endpoint URLs are derived from it.
    pub issuer: String,
    /// Authorization code lifetime; at most 60 s (RFC 9700 4.2, issue acceptance).
    pub code_ttl: Duration,
    pub access_token_ttl: Duration,
    pub id_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Lifetime of a PAR `request_uri` (RFC 9126 2.2 suggests 5 to 600 s).
    pub par_ttl: Duration,
    /// Algorithm of JWT access tokens (RFC 9068); ES256 by default.
    pub access_token_alg: SigningAlg,
    /// Tolerated clock difference when checking client assertions' `iat`/`exp`.
    pub clock_skew: Duration,
    /// The assurance levels (`acr` values) from the lowest to the highest
    /// (R-AC-1). The core only compares their ranks; which factors reach a
    /// level is the login flow's business. Discovery lists them as
    /// `acr_values_supported`.
    pub acr_levels: Vec<String>,
    /// The tenant's minimum level: no code is issued for a login below it
    /// (R-AC-2). `None`: the lowest level is enough.
    pub minimum_acr: Option<String>,
    /// Lifetime of a back-channel logout token (BCL 1.0 §2.4: `exp`, "a few
    /// minutes" at most; it is sent the moment it is signed).
    pub logout_token_ttl: Duration,
}

impl ProviderConfig {
    /// Defaults as in `config/pforte.example.toml`, for the given issuer.
    pub fn with_issuer(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            code_ttl: Duration::from_secs(60),
            access_token_ttl: Duration::from_secs(300),
            id_token_ttl: Duration::from_secs(300),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            par_ttl: Duration::from_secs(60),
            access_token_alg: SigningAlg::ES256,
            clock_skew: Duration::from_secs(30),
            acr_levels: DEFAULT_ACR_LEVELS.iter().map(|&l| l.to_owned()).collect(),
            minimum_acr: None,
            logout_token_ttl: Duration::from_secs(120),
        }
    }

    /// The rank of an assurance level, 0 for the lowest; `None` for a name
    /// that is not a configured level.
    pub fn acr_rank(&self, acr: &str) -> Option<usize> {
        self.acr_levels.iter().position(|level| level == acr)
    }

    /// Refuses an assurance configuration the core cannot work with: no
    /// levels, a level named twice, or a minimum that is not a level. Checked
    /// once when the provider is built, so a bad file stops the start.
    pub fn check_acr_levels(&self) -> Result<(), String> {
        if self.acr_levels.is_empty() {
            return Err("at least one assurance level is needed".to_owned());
        }
        for (index, level) in self.acr_levels.iter().enumerate() {
            if self.acr_levels[..index].contains(level) {
                return Err(format!("assurance level {level} is listed twice"));
            }
        }
        match &self.minimum_acr {
            Some(minimum) if self.acr_rank(minimum).is_none() => Err(format!(
                "the minimum assurance level {minimum} is not a configured level"
            )),
            _ => Ok(()),
        }
    }

    /// The absolute URL of an endpoint path such as `/token`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The longest time a token we signed stays valid: retired keys stay in the
    /// JWKS at least this long (issue acceptance: the previous key stays until its
    /// tokens can have expired).
    pub fn longest_signed_token_lifetime(&self) -> Duration {
        self.access_token_ttl
            .max(self.id_token_ttl)
            .max(self.logout_token_ttl)
    }
}

/// Paths of the endpoints, shared by discovery and the router.
pub mod paths {
    pub const AUTHORIZE: &str = "/authorize";
    pub const PAR: &str = "/par";
    pub const TOKEN: &str = "/token";
    pub const USERINFO: &str = "/userinfo";
    pub const JWKS: &str = "/jwks";
    pub const INTROSPECT: &str = "/introspect";
    pub const REVOKE: &str = "/revoke";
    pub const END_SESSION: &str = "/logout";
    /// Pforte's own session status endpoint for relying parties (R-SE-1,
    /// docs/integration/session-status.md).
    pub const SESSION_STATUS: &str = "/session/status";
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_ac_1_assurance_configuration_is_checked_at_start() {
        let mut config = ProviderConfig::with_issuer("https://login.example");
        assert_eq!(config.check_acr_levels(), Ok(()));
        assert_eq!(config.acr_rank("loa-substantial"), Some(1));
        assert_eq!(config.acr_rank("urn:other"), None);
        config.minimum_acr = Some("loa-high".into());
        assert_eq!(config.check_acr_levels(), Ok(()));
        config.minimum_acr = Some("loa-max".into());
        assert!(config.check_acr_levels().is_err());
        config.minimum_acr = None;
        config.acr_levels.push("loa-low".into());
        assert!(config.check_acr_levels().is_err());
        config.acr_levels.clear();
        assert!(config.check_acr_levels().is_err());
    }
}
