//! pforte-testkit
