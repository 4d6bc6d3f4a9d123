//! webauthn
