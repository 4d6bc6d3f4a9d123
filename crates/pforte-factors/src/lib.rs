//! pforte-factors
