//! The mechanics of second factors (R-MF-1 … R-MF-4), without storage and
//! without I/O.
//!
//! Owns:
//! - [`totp`]: TOTP seeds, the `otpauth://` enrolment URL and verification with
//!   a ±1 step window and replay protection (RFC 6238, R-MF-3).
//! - [`qr`]: the enrolment URL drawn as an accessible SVG QR code.
//! - [`code`]: numeric one-time codes for SMS and e-mail, and the keyed
//!   [`CodeDigester`] under which codes are stored (R-MF-3).
//! - [`recovery`]: recovery codes from an unambiguous alphabet.
//! - [`activation`]: activation codes for letters by post (R-RG-4).
//! - [`phone`]: E.164 normalisation of (German) phone input and masking of
//!   phone numbers and e-mail addresses for display (R-MF-4).
//! - [`webauthn`]: a thin wrapper over `webauthn-rs` that speaks JSON at its
//!   boundary, so callers need not depend on it.
//!
//! Time is always an argument (`now`), never read here, so tests move a
//! `ManualClock` instead of sleeping. This crate must not depend on storage,
//! HTTP or templates (DESIGN.md §2): the flow engine in `pforte-identity`
//! stores what these functions return and renders what they report. Errors
//! are plain enums per module; turning them into pages or OAuth errors is the
//! caller's job.

pub mod activation;
pub mod code;
pub mod phone;
pub mod qr;
pub mod recovery;
pub mod totp;
pub mod webauthn;

pub use code::{CodeDigester, CodeError, generate_numeric, normalise_digits};
pub use phone::{E164, PhoneError, mask_email, normalise_phone};
pub use qr::{QrError, qr_svg};
pub use recovery::RecoveryError;
pub use totp::{TotpAlgorithm, TotpError, TotpParams, TotpSecret};
pub use webauthn::{
    AuthenticationOutcome, RegisteredCredential, UserVerification, WebauthnFactor,
    WebauthnFactorError,
};
