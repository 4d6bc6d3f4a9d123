//! Languages the policy messages are rendered in. The web layer maps the
//! user's language (cookie, `ui_locales`, `Accept-Language`) to one of these.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    De,
    En,
}

impl Language {
    /// Picks a language from a BCP 47 tag such as `de-DE` or `en`; anything
    /// that is not English falls back to German, the portals' main language.
    pub fn from_tag(tag: &str) -> Self {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Self::En
        } else {
            Self::De
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_map_to_supported_languages() {
        assert_eq!(Language::from_tag("en-GB"), Language::En);
        assert_eq!(Language::from_tag("EN"), Language::En);
        assert_eq!(Language::from_tag("de-AT"), Language::De);
        assert_eq!(Language::from_tag("fr"), Language::De);
        assert_eq!(Language::from_tag(""), Language::De);
    }
}
