//! CSRF protection for our own forms (login, consent, logout confirmation).
//!
//! Each form carries a random token that is stored server-side with the state
//! the form acts on (the pending interaction, the logout confirmation). A POST
//! is accepted only when the token it carries equals the stored one, compared in
//! constant time. A login form cannot be submitted from another site because the
//! attacker never sees the token of the victim's interaction (login CSRF).

use subtle::ConstantTimeEq;

/// A fresh token (256 bits).
pub fn new_token() -> String {
    pforte_crypto::random::random_token()
}

/// True when `presented` equals `expected`, without an early exit that would
/// reveal how many leading characters matched. An empty expected token never
/// matches.
pub fn tokens_match(expected: &str, presented: Option<&str>) -> bool {
    let Some(presented) = presented else {
        return false;
    };
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        let token = new_token();
        assert!(tokens_match(&token, Some(&token)));
        assert!(!tokens_match(&token, Some(&token[1..])));
        assert!(!tokens_match(&token, Some("")));
        assert!(!tokens_match(&token, None));
        assert!(!tokens_match("", Some("")));
        assert_ne!(new_token(), token);
    }
}
