//! The one error type of this crate. Details are internal: callers map them onto
//! their own public errors and never show them to users.

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A key could not be generated, parsed or used.
    #[error("key error: {0}")]
    Key(String),
    /// A JWS could not be produced.
    #[error("signing failed: {0}")]
    Signing(String),
    /// A JWS is malformed, uses a forbidden algorithm, names no known key or its
    /// signature does not verify.
    #[error("invalid signature or token: {0}")]
    InvalidToken(String),
    /// Sealed data could not be decrypted (wrong key, wrong context or tampering).
    #[error("decryption failed")]
    Decryption,
    /// The master key is not 32 bytes of base64.
    #[error("invalid master key: {0}")]
    MasterKey(String),
    /// Password hashing parameters or a stored hash are unusable.
    #[error("password hashing: {0}")]
    PasswordHash(String),
    /// Every hashing worker is busy and the queue is full (R-OP-3): the caller
    /// answers "temporarily unavailable, try again".
    #[error("password hashing is busy")]
    Busy,
}
