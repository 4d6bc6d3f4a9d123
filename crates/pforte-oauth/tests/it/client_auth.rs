//! Tests of `client_auth`.
