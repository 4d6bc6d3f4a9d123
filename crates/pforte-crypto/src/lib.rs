//! pforte-crypto
