//! qr
