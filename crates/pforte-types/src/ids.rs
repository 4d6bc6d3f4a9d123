//! Identifiers.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The stable, opaque identifier of an account. It is the `sub` claim of every
/// token (OIDC Core 2: "locally unique and never reassigned"), so it is a random
/// UUID and never the username, which users may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub Uuid);

impl AccountId {
    /// A fresh, time-ordered id (UUID v7 keeps index inserts local).
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Parses the textual form used as `sub`.
    pub fn parse(text: &str) -> Option<Self> {
        Uuid::parse_str(text).ok().map(Self)
    }
}

impl Default for AccountId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_round_trips_through_its_text_form() {
        let id = AccountId::new();
        assert_eq!(AccountId::parse(&id.to_string()), Some(id));
        assert_eq!(AccountId::parse("not-a-uuid"), None);
    }
}
