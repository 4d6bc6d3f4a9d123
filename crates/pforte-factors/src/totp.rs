//! Time-based one-time passwords for authenticator apps (RFC 6238, R-MF-1).
//!
//! The seed is 160 random bits (RFC 4226 §4 recommends 160, requires at least
//! 128). Verification accepts the current time step and one step either side
//! (RFC 6238 §5.2: "at most one time step" of network delay), and refuses any
//! step at or before the last step the account already used, so that a code
//! observed over a shoulder or replayed by a proxy is worthless (RFC 6238 §5.2,
//! "MUST NOT accept the second attempt of the same OTP"; R-MF-3).
//!
//! The caller stores the returned step in `EnrolledFactor::last_totp_step`.

use crate::code::normalise_digits;
use chrono::{DateTime, Utc};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Why a TOTP operation failed. No variant carries the secret or the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// The input is not a code of the expected number of digits.
    #[error("the code must consist of {digits} digits")]
    Malformed { digits: u8 },
    /// Well-formed, but matches no step in the window.
    #[error("the code is wrong or has expired")]
    Invalid,
    /// Matches only a step that was already used (RFC 6238 §5.2, R-MF-3).
    #[error("the code has already been used")]
    Replayed,
    /// The seed is unusable (shorter than 128 bits, or not base32).
    #[error("the TOTP seed is invalid: {0}")]
    Secret(String),
    /// The parameters are outside RFC 4226/6238 (digits 6–8, period > 0).
    #[error("invalid TOTP parameters: {0}")]
    Params(String),
    /// `now` lies before the Unix epoch.
    #[error("the time lies before 1970")]
    BeforeEpoch,
}

/// The hash function of the HMAC (RFC 6238 §1.2 allows SHA-1, SHA-256 and
/// SHA-512). Apps widely ignore anything but SHA-1, so that is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TotpAlgorithm {
    #[default]
    Sha1,
    Sha256,
    Sha512,
}

impl TotpAlgorithm {
    fn to_lib(self) -> Algorithm {
        match self {
            Self::Sha1 => Algorithm::SHA1,
            Self::Sha256 => Algorithm::SHA256,
            Self::Sha512 => Algorithm::SHA512,
        }
    }
}

/// TOTP parameters. The defaults are what every authenticator app supports:
/// SHA-1, 6 digits, 30-second steps, ±1 step (RFC 6238 §4 and §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpParams {
    pub algorithm: TotpAlgorithm,
    /// Digits per code, 6 to 8 (RFC 4226 §5.3).
    pub digits: u8,
    /// Length of a time step in seconds (RFC 6238 §4, X).
    pub period: u64,
    /// Steps accepted before and after the current one (RFC 6238 §5.2).
    pub skew: u8,
}

impl Default for TotpParams {
    fn default() -> Self {
        Self {
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
            period: 30,
            skew: 1,
        }
    }
}

/// A TOTP seed. Its `Debug` output is redacted and the bytes are zeroed on
/// drop (through `totp_rs::Secret`).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret {
    secret: Secret,
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("TotpSecret(<redacted>)")
    }
}

/// RFC 4226 §4: "The length of the shared secret MUST be at least 128 bits."
const MIN_SECRET_BYTES: usize = 16;

impl TotpSecret {
    /// 20 random bytes (160 bits, RFC 4226 §4's recommendation).
    pub fn generate() -> Self {
        Self {
            secret: Secret::from(pforte_crypto::random::random_bytes::<20>()),
        }
    }

    /// A seed from stored bytes (after unsealing it with the master key).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TotpError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(TotpError::Secret(format!(
                "{} bits, at least 128 are required",
                bytes.len() * 8
            )));
        }
        Ok(Self {
            secret: Secret::from(bytes),
        })
    }

    /// Parses base32 as users type it: case-insensitive, spaces and dashes
    /// ignored, padding optional.
    pub fn from_base32(text: &str) -> Result<Self, TotpError> {
        let cleaned: String = text
            .chars()
            .filter(|character| !character.is_whitespace() && *character != '-')
            .map(|character| character.to_ascii_uppercase())
            .collect();
        let cleaned = cleaned.trim_end_matches('=');
        let secret = Secret::try_from_base32(cleaned)
            .map_err(|_| TotpError::Secret("not base32".to_owned()))?;
        Self::from_bytes(secret.as_bytes())
    }

    /// The raw bytes, to be sealed with the master key before storing (R-OP-4).
    pub fn as_bytes(&self) -> &[u8] {
        self.secret.as_bytes()
    }

    /// RFC 4648 base32 without padding, as the `secret` parameter of the
    /// `otpauth://` URL expects it.
    pub fn to_base32(&self) -> String {
        self.secret.to_base32()
    }

    /// Base32 in groups of four ("JBSW Y3DP EHPK 3PXP"), for users who type
    /// the seed into their app instead of scanning the QR code.
    pub fn to_base32_grouped(&self) -> String {
        let plain = self.to_base32();
        let characters: Vec<char> = plain.chars().collect();
        characters
            .chunks(4)
            .map(|chunk| chunk.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The enrolment URL with the default parameters; see
    /// [`TotpParams::otpauth_url`].
    pub fn otpauth_url(&self, issuer: &str, account_label: &str) -> Result<String, TotpError> {
        TotpParams::default().otpauth_url(self, issuer, account_label)
    }
}

impl TotpParams {
    fn totp(&self, secret: &TotpSecret) -> Result<Totp, TotpError> {
        self.totp_labelled(secret, None, "")
    }

    fn totp_labelled(
        &self,
        secret: &TotpSecret,
        issuer: Option<&str>,
        account: &str,
    ) -> Result<Totp, TotpError> {
        Builder::new()
            .with_algorithm(self.algorithm.to_lib())
            .with_digits(self.digits)
            .with_step_duration(self.period)
            // The window is walked step by step in `verify`.
            .with_skew(0)
            .with_secret(secret.secret.clone())
            .with_issuer(issuer.map(label_part))
            .with_account_name(label_part(account))
            .build()
            .map_err(|error| match error {
                totp_rs::TotpError::SecretTooShort { .. } => TotpError::Secret(error.to_string()),
                other => TotpError::Params(other.to_string()),
            })
    }

    /// The `otpauth://totp/…` URL (the de-facto Key URI Format of authenticator
    /// apps) that the enrolment page shows as a QR code. `issuer` is what the app
    /// shows as the service name, `account_label` the user's login name.
    pub fn otpauth_url(
        &self,
        secret: &TotpSecret,
        issuer: &str,
        account_label: &str,
    ) -> Result<String, TotpError> {
        if account_label.trim().is_empty() {
            return Err(TotpError::Params("the account label is empty".to_owned()));
        }
        self.totp_labelled(secret, Some(issuer), account_label)?
            .to_url()
            .map_err(|error| TotpError::Params(error.to_string()))
    }

    /// The code for `now`; used by tests and by nothing in production.
    pub fn code_at(&self, secret: &TotpSecret, now: DateTime<Utc>) -> Result<String, TotpError> {
        let seconds = unix_seconds(now)?;
        Ok(self.totp(secret)?.generate(seconds).to_string())
    }

    /// Checks `code` at `now` and returns the matched time step, which the
    /// caller must store as the new `last_step`.
    ///
    /// Every step of the window is computed, whatever matches first, so the
    /// time taken does not tell which step matched. Steps at or before
    /// `last_step` never match (replay, R-MF-3); if the code matched only such
    /// a step the error says so, so that the audit log can tell a replay from a
    /// typo.
    pub fn verify(
        &self,
        secret: &TotpSecret,
        code: &str,
        now: DateTime<Utc>,
        last_step: Option<u64>,
    ) -> Result<u64, TotpError> {
        let code = normalise_digits(code, Some(self.digits)).map_err(|_| TotpError::Malformed {
            digits: self.digits,
        })?;
        let seconds = unix_seconds(now)?;
        let totp = self.totp(secret)?;
        let current = seconds / self.period;
        let skew = u64::from(self.skew);
        let mut accepted = None;
        let mut replayed = false;
        for step in current.saturating_sub(skew)..=current.saturating_add(skew) {
            let Some(at) = step.checked_mul(self.period) else {
                continue;
            };
            if totp.check(&code, at).is_none() {
                continue;
            }
            if last_step.is_some_and(|last| step <= last) {
                replayed = true;
            } else if accepted.is_none() {
                accepted = Some(step);
            }
        }
        match (accepted, replayed) {
            (Some(step), _) => Ok(step),
            (None, true) => Err(TotpError::Replayed),
            (None, false) => Err(TotpError::Invalid),
        }
    }
}

/// [`TotpParams::verify`] with the default parameters.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now: DateTime<Utc>,
    last_step: Option<u64>,
) -> Result<u64, TotpError> {
    TotpParams::default().verify(secret, code, now, last_step)
}

/// [`TotpParams::otpauth_url`] with the default parameters.
pub fn otpauth_url(
    secret: &TotpSecret,
    issuer: &str,
    account_label: &str,
) -> Result<String, TotpError> {
    TotpParams::default().otpauth_url(secret, issuer, account_label)
}

/// The Key URI Format separates issuer and account with a colon, so neither
/// may contain one; an issuer like `localhost:8080` would otherwise make
/// enrolment fail.
fn label_part(text: &str) -> String {
    text.trim().replace(':', " ")
}

fn unix_seconds(now: DateTime<Utc>) -> Result<u64, TotpError> {
    u64::try_from(now.timestamp()).map_err(|_| TotpError::BeforeEpoch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
    }

    fn rfc_params(algorithm: TotpAlgorithm) -> TotpParams {
        TotpParams {
            algorithm,
            digits: 8,
            ..TotpParams::default()
        }
    }

    /// RFC 6238 Appendix B: the seeds are the ASCII strings of the reference
    /// implementation, 20, 32 and 64 bytes long.
    #[test]
    fn r_mf_1_totp_matches_rfc_6238_appendix_b() {
        let sha1 = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let sha256 = TotpSecret::from_bytes(b"12345678901234567890123456789012").unwrap();
        let sha512 = TotpSecret::from_bytes(
            b"1234567890123456789012345678901234567890123456789012345678901234",
        )
        .unwrap();
        let table: [(i64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_111_111_111, "14050471", "67062674", "99943326"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (2_000_000_000, "69279037", "90698825", "38618901"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ];
        for (seconds, code_sha1, code_sha256, code_sha512) in table {
            for (algorithm, secret, code) in [
                (TotpAlgorithm::Sha1, &sha1, code_sha1),
                (TotpAlgorithm::Sha256, &sha256, code_sha256),
                (TotpAlgorithm::Sha512, &sha512, code_sha512),
            ] {
                let params = rfc_params(algorithm);
                assert_eq!(params.code_at(secret, at(seconds)).unwrap(), code);
                let step = params.verify(secret, code, at(seconds), None).unwrap();
                assert_eq!(step, seconds as u64 / 30, "{algorithm:?} at {seconds}");
            }
        }
    }

    #[test]
    fn r_mf_1_totp_accepts_one_step_either_side_and_no_more() {
        let secret = TotpSecret::generate();
        let params = TotpParams::default();
        let issued = at(1_700_000_010);
        let code = params.code_at(&secret, issued).unwrap();
        let step = 1_700_000_010 / 30;
        // (offset in seconds from the issuing time, expected outcome)
        let table: [(i64, Result<u64, TotpError>); 6] = [
            (0, Ok(step)),
            (29, Ok(step)),
            (-30, Ok(step)),
            (30, Ok(step)),
            (60, Err(TotpError::Invalid)),
            (-60, Err(TotpError::Invalid)),
        ];
        for (offset, expected) in table {
            let now = issued + chrono::Duration::seconds(offset);
            assert_eq!(
                params.verify(&secret, &code, now, None),
                expected,
                "offset {offset}"
            );
        }
    }

    #[test]
    fn r_mf_3_totp_code_is_single_use() {
        let secret = TotpSecret::generate();
        let now = at(1_700_000_000);
        let code = TotpParams::default().code_at(&secret, now).unwrap();
        let step = verify(&secret, &code, now, None).unwrap();
        // The same code again, even a few seconds later in the same step.
        assert_eq!(
            verify(
                &secret,
                &code,
                now + chrono::Duration::seconds(5),
                Some(step)
            ),
            Err(TotpError::Replayed)
        );
        // An older code (previous step) after a newer one was used.
        let older = TotpParams::default()
            .code_at(&secret, now - chrono::Duration::seconds(30))
            .unwrap();
        assert_eq!(
            verify(&secret, &older, now, Some(step)),
            Err(TotpError::Replayed)
        );
        // The next step's code is fine.
        let later = now + chrono::Duration::seconds(30);
        let next = TotpParams::default().code_at(&secret, later).unwrap();
        assert_eq!(verify(&secret, &next, later, Some(step)), Ok(step + 1));
    }

    #[test]
    fn r_mf_3_totp_input_is_normalised_and_checked() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let now = at(59);
        // Default params: 6 digits, so the RFC code's last six digits.
        let table: [(&str, Result<u64, TotpError>); 6] = [
            ("287082", Ok(1)),
            ("287 082", Ok(1)),
            (" 287-082 ", Ok(1)),
            ("28708", Err(TotpError::Malformed { digits: 6 })),
            ("28708a", Err(TotpError::Malformed { digits: 6 })),
            ("287083", Err(TotpError::Invalid)),
        ];
        for (input, expected) in table {
            assert_eq!(verify(&secret, input, now, None), expected, "{input:?}");
        }
    }

    #[test]
    fn r_mf_1_totp_secret_is_160_bits_and_round_trips_base32() {
        let secret = TotpSecret::generate();
        assert_eq!(secret.as_bytes().len(), 20);
        assert_ne!(secret, TotpSecret::generate());
        let base32 = secret.to_base32();
        assert_eq!(base32.len(), 32);
        let grouped = secret.to_base32_grouped();
        assert_eq!(grouped.split(' ').count(), 8);
        assert!(grouped.split(' ').all(|group| group.len() == 4));
        assert_eq!(TotpSecret::from_base32(&grouped).unwrap(), secret);
        assert_eq!(
            TotpSecret::from_base32(&grouped.to_lowercase()).unwrap(),
            secret
        );
        assert!(!format!("{secret:?}").contains(&base32));
    }

    #[test]
    fn r_mf_1_totp_rejects_short_or_broken_seeds() {
        let table: [&str; 3] = ["JBSWY3DP", "not base32!", ""];
        for input in table {
            assert!(
                matches!(TotpSecret::from_base32(input), Err(TotpError::Secret(_))),
                "{input:?}"
            );
        }
        assert!(TotpSecret::from_bytes(&[0u8; 15]).is_err());
        assert!(TotpSecret::from_bytes(&[0u8; 16]).is_ok());
    }

    #[test]
    fn r_mf_1_otpauth_url_names_issuer_and_account() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let url = otpauth_url(&secret, "Pforte Kasse", "erika@example.de").unwrap();
        assert!(url.starts_with("otpauth://totp/Pforte%20Kasse:erika%40example.de?"));
        assert!(url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
        assert!(url.contains("issuer=Pforte%20Kasse"));
        // Defaults are implied, so they are left out for old apps.
        assert!(!url.contains("digits="));
        assert!(!url.contains("period="));
        // A colon would break the label; it is replaced.
        let url = otpauth_url(&secret, "localhost:8080", "erika").unwrap();
        assert!(url.starts_with("otpauth://totp/localhost%208080:erika?"));
        assert!(otpauth_url(&secret, "Pforte", " ").is_err());
        let eight = rfc_params(TotpAlgorithm::Sha256)
            .otpauth_url(&secret, "Pforte", "erika")
            .unwrap();
        assert!(eight.contains("digits=8"));
        assert!(eight.contains("algorithm=SHA256"));
    }

    #[test]
    fn r_mf_1_totp_refuses_invalid_parameters_and_times() {
        let secret = TotpSecret::generate();
        let bad_digits = TotpParams {
            digits: 9,
            ..TotpParams::default()
        };
        assert!(matches!(
            bad_digits.code_at(&secret, at(0)),
            Err(TotpError::Params(_))
        ));
        let zero_period = TotpParams {
            period: 0,
            ..TotpParams::default()
        };
        assert!(matches!(
            zero_period.code_at(&secret, at(0)),
            Err(TotpError::Params(_))
        ));
        assert_eq!(
            verify(&secret, "123456", at(-1), None),
            Err(TotpError::BeforeEpoch)
        );
    }
}
