//! Shapes of the simple values an operator types: client ids, scopes, secrets,
//! usernames, passwords, e-mail addresses and phone numbers.

/// ADR 0002: an operator-supplied client secret has at least 32 characters.
pub const MIN_CLIENT_SECRET_CHARS: usize = 32;
const MAX_CLIENT_ID_CHARS: usize = 128;
const MAX_USERNAME_CHARS: usize = 256;

/// Client ids travel in URLs, form bodies and the Basic scheme, so they are
/// kept to unreserved characters (RFC 3986 2.3).
pub fn client_id(id: &str) -> Result<(), String> {
    let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '~');
    if id.is_empty() || id.chars().count() > MAX_CLIENT_ID_CHARS || !id.chars().all(unreserved) {
        return Err(format!(
            "--id: {id:?} must be 1 to {MAX_CLIENT_ID_CHARS} letters, digits, '.', '_', '-' or '~'"
        ));
    }
    Ok(())
}

/// RFC 6749 3.3: a scope token is one or more of %x21 / %x23-5B / %x5D-7E.
pub fn scope(scope: &str) -> Result<(), String> {
    let allowed = |c: char| matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e');
    if scope.is_empty() || !scope.chars().all(allowed) {
        return Err(format!(
            "--scope: {scope:?} is not a scope token (RFC 6749 3.3: no spaces, quotes or backslashes)"
        ));
    }
    Ok(())
}

const MAX_ACR_CHARS: usize = 256;

/// The shape of an assurance level name (`acr`, OIDC Core 2): a short name or
/// a URI, without spaces, since `acr_values` is space-separated. Whether the
/// level exists is checked against the policy once it is loaded.
pub fn acr(flag: &str, level: &str) -> Result<(), String> {
    let visible = |c: char| c.is_ascii_graphic() && c != '"' && c != '\\';
    if level.is_empty() || level.chars().count() > MAX_ACR_CHARS || !level.chars().all(visible) {
        return Err(format!(
            "{flag}: {level:?} is not an assurance level name (1 to {MAX_ACR_CHARS} visible characters, no spaces, quotes or backslashes)"
        ));
    }
    Ok(())
}

const MAX_BRAND_CHARS: usize = 64;

/// A brand names a folder of `themes_dir` and appears in asset URLs
/// (R-OP-2), so it is kept to lower-case letters, digits, `-` and `_`,
/// starting with a letter.
pub fn brand(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_');
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if !starts_with_letter || name.chars().count() > MAX_BRAND_CHARS || !name.chars().all(allowed) {
        return Err(format!(
            "--brand: {name:?} must be 1 to {MAX_BRAND_CHARS} lower-case letters, digits, '-' or '_', starting with a letter"
        ));
    }
    Ok(())
}

/// ADR 0002: secrets are high-entropy; never echoes the value.
pub fn client_secret(secret: &str) -> Result<(), String> {
    let length = secret.chars().count();
    if length < MIN_CLIENT_SECRET_CHARS {
        return Err(format!(
            "--secret: must have at least {MIN_CLIENT_SECRET_CHARS} characters (got {length}); omit it to have one generated"
        ));
    }
    if secret.chars().any(char::is_control) {
        return Err("--secret: must not contain control characters".to_owned());
    }
    Ok(())
}

pub fn username(username: &str) -> Result<(), String> {
    if username.is_empty()
        || username.chars().count() > MAX_USERNAME_CHARS
        || username.trim() != username
        || username.chars().any(char::is_control)
    {
        return Err(format!(
            "--username: {username:?} must be 1 to {MAX_USERNAME_CHARS} characters without leading or trailing spaces"
        ));
    }
    Ok(())
}

/// The shape of a password on the command line; its length and every other
/// rule are the password policy's (R-PW-2), checked once the configuration is
/// loaded. Never echoes the value.
pub fn password(password: &str) -> Result<(), String> {
    if password.is_empty() {
        return Err("--password: must not be empty".to_owned());
    }
    if password.chars().any(char::is_control) {
        return Err("--password: must not contain control characters".to_owned());
    }
    Ok(())
}

/// A plausible address (local part, `@`, a domain with a dot); deliverability
/// is proven by verification, not by syntax.
pub fn email(email: &str) -> Result<(), String> {
    let valid = match email.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(format!("--email: {email:?} is not an e-mail address"))
    }
}

/// OIDC Core 5.1 `phone_number`: E.164 is RECOMMENDED; we require it so that
/// SMS gateways can use the number as is.
pub fn phone(phone: &str) -> Result<(), String> {
    let digits = phone.strip_prefix('+').unwrap_or_default();
    if (6..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "--phone: {phone:?} must be in E.164 form, e.g. +4915112345678"
        ))
    }
}

/// Display names are shown on consent pages.
pub fn display_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.chars().any(char::is_control) || name.chars().count() > 200 {
        return Err("--name: must be 1 to 200 printable characters".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_unreserved_characters() {
        assert!(client_id("portal-1.web_app~x").is_ok());
        for bad in ["", "a b", "a:b", "a/b", "ä", &"x".repeat(129)] {
            assert!(client_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc6749_3_3_scope_tokens_have_no_spaces_quotes_or_backslashes() {
        assert!(scope("api:read").is_ok());
        assert!(scope("https://api.example/claims").is_ok());
        for bad in ["", "a b", "a\"b", "a\\b"] {
            assert!(scope(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn adr_0002_given_client_secrets_have_32_characters_and_are_not_echoed() {
        assert!(client_secret(&"s".repeat(32)).is_ok());
        let short = "tooShortSecret";
        let error = client_secret(short).unwrap_err();
        assert!(!error.contains(short), "{error}");
    }

    #[test]
    fn passwords_are_not_empty_or_control_characters_and_not_echoed() {
        assert!(password("correct horse").is_ok());
        assert!(password("").is_err());
        let error = password("bell\u{7}").unwrap_err();
        assert!(!error.contains("bell"), "{error}");
    }

    #[test]
    fn usernames_emails_and_phones_have_their_shapes() {
        assert!(username("erika.mustermann").is_ok());
        assert!(username(" erika").is_err());
        assert!(username("").is_err());
        assert!(email("erika@example.org").is_ok());
        for bad in [
            "erika",
            "@example.org",
            "erika@example",
            "erika @example.org",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert!(phone("+4915112345678").is_ok());
        for bad in ["015112345678", "+49 151 1234", "+12345", "+4915a"] {
            assert!(phone(bad).is_err(), "{bad}");
        }
        assert!(display_name("Kundenportal").is_ok());
        assert!(display_name(" ").is_err());
    }
}
