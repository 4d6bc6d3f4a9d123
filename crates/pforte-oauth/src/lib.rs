//! pforte-oauth
