//! pforte-store
