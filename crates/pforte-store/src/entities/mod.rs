//! sea-orm entities: the only place that names Pforte's tables (DESIGN.md §2).
//!
//! They mirror the migrations in `pforte-migrations` one to one; the conversion to
//! and from the domain records lives next to the port implementations.

pub mod account_factors;
pub mod accounts;
pub mod activation_codes;
pub mod assertion_jtis;
pub mod audit_events;
pub mod authorization_codes;
pub mod backchannel_logout_deliveries;
pub mod clients;
pub mod code_challenges;
pub mod grants;
pub mod invitations;
pub mod letters;
pub mod lockout_counters;
pub mod member_data;
pub mod member_links;
pub mod members;
pub mod operator_roles;
pub mod outbox_messages;
pub mod password_history;
pub mod pushed_requests;
pub mod recovery_codes;
pub mod refresh_tokens;
pub mod revoked_access_tokens;
pub mod signing_keys;
pub mod terms_acceptances;
