//! Block list of guessable passwords (R-PW-2; NIST 800-63B §3.1.1.2 requires
//! one). Two parts: a list of commonly used passwords shipped with the crate
//! (`data/common-passwords.txt`), matched exactly, and the tenant's own terms
//! (brand, service and product names), matched as substrings. Both ignore case.

use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The shipped list: one password per line, `#` starts a comment line.
const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// Which part of the block list matched. The UI may say so; the term itself
/// is not repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlocklistSource {
    Common,
    Tenant,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blocklist {
    use_common: bool,
    /// Lower-cased tenant terms.
    terms: Vec<String>,
}

fn common_passwords() -> &'static BTreeSet<String> {
    static LIST: OnceLock<BTreeSet<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_lowercase)
            .collect()
    })
}

impl Blocklist {
    /// Only the shipped common-password list.
    pub fn common() -> Self {
        Self {
            use_common: true,
            terms: Vec::new(),
        }
    }

    /// An empty block list (only sensible in tests).
    pub fn none() -> Self {
        Self::default()
    }

    pub fn new(use_common: bool, terms: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        let mut terms: Vec<String> = terms
            .into_iter()
            .map(|term| term.as_ref().trim().to_lowercase())
            .filter(|term| !term.is_empty())
            .collect();
        terms.sort();
        terms.dedup();
        Self { use_common, terms }
    }

    pub fn uses_common_list(&self) -> bool {
        self.use_common
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Number of entries in the shipped list.
    pub fn common_list_len() -> usize {
        common_passwords().len()
    }

    /// Finds a match for an already lower-cased password.
    pub fn find(&self, lowered_password: &str) -> Option<BlocklistSource> {
        if self.use_common && common_passwords().contains(lowered_password) {
            return Some(BlocklistSource::Common);
        }
        if self
            .terms
            .iter()
            .any(|term| lowered_password.contains(term.as_str()))
        {
            return Some(BlocklistSource::Tenant);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_pw_2_common_list_is_loaded_and_matches_case_insensitively() {
        assert!(Blocklist::common_list_len() >= 150);
        let list = Blocklist::common();
        assert_eq!(list.find("passwort"), Some(BlocklistSource::Common));
        assert_eq!(
            list.find(&"PassWord1".to_lowercase()),
            Some(BlocklistSource::Common)
        );
        assert_eq!(list.find("123456"), Some(BlocklistSource::Common));
        assert_eq!(list.find("korrekt-pferd-batterie-klammer"), None);
    }

    #[test]
    fn r_pw_2_common_list_has_no_comments_or_blank_entries() {
        assert!(
            common_passwords()
                .iter()
                .all(|entry| !entry.is_empty() && !entry.starts_with('#'))
        );
        assert!(
            common_passwords()
                .iter()
                .all(|entry| entry == &entry.to_lowercase())
        );
    }

    #[test]
    fn r_pw_2_tenant_terms_match_as_substrings() {
        let list = Blocklist::new(false, [" Pforte ", "Versicherung", ""]);
        assert_eq!(list.terms(), ["pforte", "versicherung"]);
        assert_eq!(list.find("meinepforte2024!"), Some(BlocklistSource::Tenant));
        assert_eq!(list.find("passwort"), None);
    }
}
