//! Choosing the language of a page (R-OP-2): the language the user chose with
//! the switch on a page (remembered in a cookie) first, then the client's
//! `ui_locales` (OIDC Core 3.1.2.1), then the browser's `Accept-Language`
//! (RFC 9110 12.5.4), German by default (the provider's home market).
//!
//! The switch ranks first because it is the only explicit choice of the user
//! in this browser; `ui_locales` and `Accept-Language` are hints (OIDC Core
//! 3.1.2.1 "preferred languages"). Ranked below `ui_locales`, the switch would
//! do nothing on every page of an interaction whose client sent them.

/// The languages the base theme has message catalogs for.
pub const SUPPORTED: [&str; 2] = ["de", "en"];

/// The language used when nothing else matches.
pub const DEFAULT_LOCALE: &str = "de";

/// The primary language subtag of a BCP 47 tag, lower-cased (`en-GB` → `en`).
fn primary_subtag(tag: &str) -> String {
    tag.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn supported(tag: &str) -> Option<&'static str> {
    let primary = primary_subtag(tag);
    SUPPORTED.iter().copied().find(|known| *known == primary)
}

/// Languages from an `Accept-Language` value, best first; entries with `q=0`
/// are refused and dropped.
fn accept_language_preferences(header: &str) -> Vec<String> {
    let mut ranked: Vec<(u16, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(position, entry)| {
            let mut parts = entry.split(';');
            let tag = parts.next()?.trim();
            if tag.is_empty() || tag == "*" {
                return None;
            }
            let mut quality = 1000u16;
            for parameter in parts {
                let parameter = parameter.trim();
                if let Some(value) = parameter
                    .strip_prefix("q=")
                    .or_else(|| parameter.strip_prefix("Q="))
                {
                    let parsed = value.trim().parse::<f32>().unwrap_or(0.0);
                    quality = (parsed.clamp(0.0, 1.0) * 1000.0).round() as u16;
                }
            }
            (quality > 0).then(|| (quality, position, tag.to_owned()))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.into_iter().map(|(_, _, tag)| tag).collect()
}

/// A supported language code as it arrives from the switch or its cookie.
pub fn chosen(code: &str) -> Option<&'static str> {
    SUPPORTED.iter().copied().find(|known| *known == code)
}

/// The page language: the language chosen with the switch, else the first
/// supported entry of `ui_locales`, else the best supported
/// `Accept-Language` entry, else [`DEFAULT_LOCALE`].
pub fn negotiate(
    switch: Option<&str>,
    ui_locales: &[String],
    accept_language: Option<&str>,
) -> &'static str {
    switch
        .and_then(chosen)
        .or_else(|| ui_locales.iter().find_map(|tag| supported(tag)))
        .or_else(|| {
            accept_language
                .map(accept_language_preferences)
                .unwrap_or_default()
                .iter()
                .find_map(|tag| supported(tag))
        })
        .unwrap_or(DEFAULT_LOCALE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locales(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|tag| tag.to_string()).collect()
    }

    #[test]
    fn oidc_core_3_1_2_1_ui_locales_win_over_accept_language() {
        assert_eq!(
            negotiate(None, &locales(&["en-GB", "de"]), Some("de-DE")),
            "en"
        );
        assert_eq!(negotiate(None, &locales(&["fr", "de"]), Some("en")), "de");
    }

    #[test]
    fn unsupported_ui_locales_fall_back_to_accept_language() {
        assert_eq!(
            negotiate(None, &locales(&["fr-CA"]), Some("fr, en;q=0.5")),
            "en"
        );
    }

    #[test]
    fn rfc9110_accept_language_quality_values_are_honoured() {
        assert_eq!(negotiate(None, &[], Some("de;q=0.4, en;q=0.9")), "en");
        assert_eq!(negotiate(None, &[], Some("en;q=0, de;q=0.1")), "de");
        assert_eq!(negotiate(None, &[], Some("EN-us")), "en");
    }

    #[test]
    fn r_op_2_the_remembered_switch_wins_over_ui_locales_and_accept_language() {
        assert_eq!(negotiate(Some("en"), &locales(&["de"]), Some("de")), "en");
        assert_eq!(negotiate(Some("de"), &[], Some("en")), "de");
        // A cookie with a language we do not offer counts as no choice.
        assert_eq!(negotiate(Some("fr"), &locales(&["en"]), Some("de")), "en");
        assert_eq!(negotiate(Some("xx"), &[], None), "de");
    }

    #[test]
    fn german_is_the_default() {
        assert_eq!(negotiate(None, &[], None), "de");
        assert_eq!(negotiate(None, &[], Some("fr, *")), "de");
        assert_eq!(negotiate(None, &[], Some("")), "de");
    }
}
