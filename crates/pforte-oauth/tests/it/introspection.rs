//! Tests of `introspection`.
