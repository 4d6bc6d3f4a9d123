//! Tests of `par`.
