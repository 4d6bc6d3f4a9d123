//! Base32 (RFC 4648 6) as authenticator apps show TOTP seeds: case-insensitive,
//! spaces and `=` padding allowed.

/// RFC 4226 4 (R6): the shared secret is at least 128 bits.
pub const MIN_TOTP_SECRET_BYTES: usize = 16;

/// Decodes a TOTP seed, or says what is wrong with it (without echoing it).
pub fn decode_totp_secret(text: &str) -> Result<Vec<u8>, String> {
    let bytes = decode(text).ok_or_else(|| {
        "--totp-secret: not base32 (letters A-Z and digits 2-7, RFC 4648)".to_owned()
    })?;
    if bytes.len() < MIN_TOTP_SECRET_BYTES {
        return Err(format!(
            "--totp-secret: must carry at least {} bits (RFC 4226 4), got {}",
            MIN_TOTP_SECRET_BYTES * 8,
            bytes.len() * 8
        ));
    }
    Ok(bytes)
}

/// Plain RFC 4648 base32 decoding; `None` for any character outside the
/// alphabet or padding in the middle.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let cleaned: Vec<u8> = text
        .bytes()
        .filter(|byte| !byte.is_ascii_whitespace())
        .collect();
    let unpadded_len = cleaned
        .iter()
        .rposition(|byte| *byte != b'=')
        .map_or(0, |last| last + 1);
    let (data, padding) = cleaned.split_at(unpadded_len);
    if data.is_empty() || padding.len() > 6 {
        return None;
    }
    let mut output = Vec::with_capacity(data.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for byte in data {
        let value = match byte.to_ascii_uppercase() {
            letter @ b'A'..=b'Z' => letter - b'A',
            digit @ b'2'..=b'7' => digit - b'2' + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            output.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_10_test_vectors_decode() {
        assert_eq!(decode("MY======").as_deref(), Some(&b"f"[..]));
        assert_eq!(decode("MZXQ====").as_deref(), Some(&b"fo"[..]));
        assert_eq!(decode("MZXW6===").as_deref(), Some(&b"foo"[..]));
        assert_eq!(decode("MZXW6YQ=").as_deref(), Some(&b"foob"[..]));
        assert_eq!(decode("MZXW6YTB").as_deref(), Some(&b"fooba"[..]));
        assert_eq!(decode("MZXW6YTBOI======").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(decode("mzxw 6ytb oi").as_deref(), Some(&b"foobar"[..]));
    }

    #[test]
    fn rfc4648_6_characters_outside_the_alphabet_are_rejected() {
        assert_eq!(decode("MZXW1"), None);
        assert_eq!(decode("MZ=XW"), None);
        assert_eq!(decode(""), None);
        assert_eq!(decode("===="), None);
    }

    #[test]
    fn rfc4226_4_totp_secret_needs_128_bits_and_is_never_echoed() {
        // RFC 6238 appendix B seed "12345678901234567890" (160 bits).
        let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(decode_totp_secret(seed).unwrap(), b"12345678901234567890");
        let short = "JBSWY3DPEHPK3PXP";
        let error = decode_totp_secret(short).unwrap_err();
        assert!(
            error.contains("128 bits") && !error.contains(short),
            "{error}"
        );
        let error = decode_totp_secret("not base32!").unwrap_err();
        assert!(!error.contains("not base32!"), "{error}");
    }
}
