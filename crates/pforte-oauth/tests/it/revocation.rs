//! Tests of `revocation`.
