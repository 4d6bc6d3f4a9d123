//! Tests of `authorize`.
