//! Tests of `end_session`.
