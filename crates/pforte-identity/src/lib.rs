//! pforte-identity
