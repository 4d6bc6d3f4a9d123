//! The vocabulary of assurance (R-AC-1, R-MF-1): factor classes, login methods
//! and the evidence a login collects. Levels themselves (which sets of classes
//! make `loa-substantial`) are tenant policy and live in pforte-policy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of proof a factor is (DESIGN.md §4). An ACR level is a set of
/// classes, with alternatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorClass {
    /// Something the user knows: the password.
    Knowledge,
    /// Something the user has: an authenticator app, a phone, a mailbox, a
    /// passkey, a list of recovery codes.
    Possession,
    /// A key bound to a registered device of the insurer's app (R-DV).
    DeviceBound,
    /// A hardware security key (WebAuthn).
    HardwareKey,
}

impl FactorClass {
    pub const ALL: [FactorClass; 4] = [
        Self::Knowledge,
        Self::Possession,
        Self::DeviceBound,
        Self::HardwareKey,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Knowledge => "knowledge",
            Self::Possession => "possession",
            Self::DeviceBound => "device_bound",
            Self::HardwareKey => "hardware_key",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|class| class.as_str() == text)
    }
}

impl fmt::Display for FactorClass {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One way to prove a factor (R-MF-1). Adding a factor is one variant here,
/// one handler file and one template (DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Password,
    /// Time-based one-time password from an authenticator app (RFC 6238).
    Totp,
    /// A one-time code sent by SMS to a verified mobile number (R-MF-4).
    SmsTan,
    /// A one-time code sent to the verified e-mail address.
    EmailCode,
    /// A WebAuthn credential (passkey or security key).
    Webauthn,
    /// The key of a registered device of the insurer's app (R-DV).
    DeviceKey,
    /// One code of the user's one-time recovery list.
    RecoveryCode,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Self::Password,
        Self::Totp,
        Self::SmsTan,
        Self::EmailCode,
        Self::Webauthn,
        Self::DeviceKey,
        Self::RecoveryCode,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Totp => "totp",
            Self::SmsTan => "sms_tan",
            Self::EmailCode => "email_code",
            Self::Webauthn => "webauthn",
            Self::DeviceKey => "device_key",
            Self::RecoveryCode => "recovery_code",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|method| method.as_str() == text)
    }

    /// The RFC 8176 method reference this method contributes to `amr`.
    /// `email` is not registered in RFC 8176 §2; §1 allows other values, and
    /// it keeps an e-mail code apart from an authenticator app's `otp`
    /// (docs/adr/0005).
    pub fn amr(&self) -> &'static str {
        match self {
            Self::Password => "pwd",
            Self::Totp => "otp",
            Self::SmsTan => "sms",
            Self::EmailCode => "email",
            Self::Webauthn => "hwk",
            Self::DeviceKey => "swk",
            Self::RecoveryCode => "kba",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One factor proven during a login or kept in a session: which method, as
/// which class, and when. Step-up compares these against the level asked for
/// and the class's maximum age (R-AC-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub method: Method,
    pub class: FactorClass,
    pub at: DateTime<Utc>,
}

/// The `amr` values (RFC 8176) of a set of evidence, in a stable order, with
/// `mfa` added when factors of two or more classes were proven.
pub fn amr_of(evidence: &[Evidence]) -> Vec<String> {
    let mut values: Vec<&'static str> = evidence.iter().map(|item| item.method.amr()).collect();
    values.sort_unstable();
    values.dedup();
    let mut classes: Vec<FactorClass> = evidence.iter().map(|item| item.class).collect();
    classes.sort_unstable();
    classes.dedup();
    let mut amr: Vec<String> = values.into_iter().map(str::to_owned).collect();
    if classes.len() >= 2 {
        amr.push("mfa".to_owned());
    }
    amr
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_round_trip() {
        for class in FactorClass::ALL {
            assert_eq!(FactorClass::parse(class.as_str()), Some(class));
        }
        for method in Method::ALL {
            assert_eq!(Method::parse(method.as_str()), Some(method));
        }
        assert_eq!(Method::parse("sms"), None);
    }

    #[test]
    fn rfc_8176_amr_adds_mfa_for_two_classes() {
        let at = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let password = Evidence {
            method: Method::Password,
            class: FactorClass::Knowledge,
            at,
        };
        let totp = Evidence {
            method: Method::Totp,
            class: FactorClass::Possession,
            at,
        };
        assert_eq!(amr_of(&[password]), vec!["pwd"]);
        assert_eq!(amr_of(&[password, totp]), vec!["otp", "pwd", "mfa"]);
        assert_eq!(amr_of(&[password, password]), vec!["pwd"]);
    }
}
