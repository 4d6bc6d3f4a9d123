//! The error every storage port returns.

/// Failure of a storage port (database, Redis, in-process store).
///
/// The domain crates map these onto their own public errors; the detail string is
/// internal and only logged, never shown to users.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already exists (e.g. a client id or username taken).
    #[error("already exists: {0}")]
    Conflict(String),
    /// The store could not be reached or the operation failed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}
