//! Integration tests of the admin console and admin API on the real router.
