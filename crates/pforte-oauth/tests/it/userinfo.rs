//! Tests of `userinfo`.
