//! pforte-oauth
pub mod model;
pub mod ports;
