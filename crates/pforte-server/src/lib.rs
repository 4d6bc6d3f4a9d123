//! pforte-server
