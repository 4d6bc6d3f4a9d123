//! pforte-web
