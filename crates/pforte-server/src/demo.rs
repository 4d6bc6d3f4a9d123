//! First-start provisioning of a demo client and a demo user, printed so that a
//! newcomer can log in at once.
