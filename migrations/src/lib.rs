//! Schema of Pforte's durable store, as sea-orm migrations.
//!
//! Owns the table layout behind the storage ports that `pforte-store` implements
//! (DESIGN.md §2: only the store knows table names). One migration per table group;
//! each works on SQLite and PostgreSQL alike: times are `timestamp with time zone`,
//! lists and JSON documents are JSON columns, binary data is blob/bytea.
//!
//! Run it with [`Migrator::up`] (`pforte migrate`, `SqlStore::migrate`, tests).

use sea_orm_migration::prelude::*;

mod m20261201_000001_create_clients;
mod m20261201_000002_create_accounts;
mod m20261201_000003_create_signing_keys;
mod m20261201_000004_create_grants;
mod m20261201_000005_create_one_time_artefacts;
mod m20261201_000006_create_lockout_and_audit;
mod m20261201_000007_create_outbox;
mod m20261201_000008_client_acr;
mod m20261201_000009_create_factors;
mod m20261201_000010_create_member_data;
mod m20261201_000011_webauthn_credential_id;
mod m20261201_000012_logout_notifications;
mod m20261201_000013_create_members;
mod m20261201_000014_create_member_links;
mod m20261201_000015_create_letters;
mod m20261201_000017_member_data_birth_date;
mod m20261201_000018_client_brand;
mod m20261201_000019_create_operator_roles;
mod m20261201_000020_audit_events_operator;

pub use sea_orm_migration::MigratorTrait;

/// All migrations in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261201_000001_create_clients::Migration),
            Box::new(m20261201_000002_create_accounts::Migration),
            Box::new(m20261201_000003_create_signing_keys::Migration),
            Box::new(m20261201_000004_create_grants::Migration),
            Box::new(m20261201_000005_create_one_time_artefacts::Migration),
            Box::new(m20261201_000006_create_lockout_and_audit::Migration),
            Box::new(m20261201_000007_create_outbox::Migration),
            Box::new(m20261201_000008_client_acr::Migration),
            Box::new(m20261201_000009_create_factors::Migration),
            Box::new(m20261201_000010_create_member_data::Migration),
            Box::new(m20261201_000011_webauthn_credential_id::Migration),
            Box::new(m20261201_000012_logout_notifications::Migration),
            Box::new(m20261201_000013_create_members::Migration),
            Box::new(m20261201_000014_create_member_links::Migration),
            Box::new(m20261201_000015_create_letters::Migration),
            Box::new(m20261201_000017_member_data_birth_date::Migration),
            Box::new(m20261201_000018_client_brand::Migration),
            Box::new(m20261201_000019_create_operator_roles::Migration),
            Box::new(m20261201_000020_audit_events_operator::Migration),
        ]
    }
}
