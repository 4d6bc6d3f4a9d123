//! `pforte operator grant | revoke | list` (R-OP-1): which accounts may use
//! the admin console, and with which role. A grant or revocation is an audit
//! event; a revoked role takes effect at the operator's next console request,
//! because the console reads the roles on every request.

use anyhow::{Context, bail};
use chrono::SecondsFormat;
use pforte_identity::audit::{AuditEvent, AuditKind};
use pforte_identity::operator_roles::{OperatorRoleStore, Role, RoleGrant};
use pforte_identity::ports::{AccountStore, LockoutStore};
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::Path;

use super::lockout::operator_context;

/// Who grants from the command line, as stored in `granted_by`.
const GRANTED_BY_CLI: &str = "cli";

fn role_named(name: &str) -> anyhow::Result<Role> {
    Role::parse(name).with_context(|| {
        let known: Vec<_> = Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("unknown role {name:?}; known roles: {}", known.join(", "))
    })
}

pub async fn grant(config: Option<&Path>, username: &str, role: &str) -> anyhow::Result<()> {
    let role = role_named(role)?;
    let app = super::open_app(config).await?;
    let account = app.identity.account_status(username).await?.account;
    let now = app.clock.now();
    if app.store.roles_of(account.id).await?.contains(&role) {
        println!("user {} already holds {}", account.username, role.as_str());
        return Ok(());
    }
    app.store
        .grant_role(&RoleGrant {
            account: account.id,
            role,
            granted_at: now,
            granted_by: GRANTED_BY_CLI.to_owned(),
        })
        .await?;
    let event = AuditEvent::new(
        AuditKind::OperatorRoleGranted,
        now,
        Some(account.id),
        &account.username,
        &operator_context("operator-grant"),
    )
    .with_detail(format!("role={} by={GRANTED_BY_CLI}", role.as_str()));
    app.store.append_audit(&[event]).await?;
    println!("user {} now holds {}", account.username, role.as_str());
    Ok(())
}

pub async fn revoke(config: Option<&Path>, username: &str, role: &str) -> anyhow::Result<()> {
    let role = role_named(role)?;
    let app = super::open_app(config).await?;
    let account = app.identity.account_status(username).await?.account;
    if !app.store.revoke_role(account.id, role).await? {
        bail!("user {} does not hold {}", account.username, role.as_str());
    }
    let event = AuditEvent::new(
        AuditKind::OperatorRoleRevoked,
        app.clock.now(),
        Some(account.id),
        &account.username,
        &operator_context("operator-revoke"),
    )
    .with_detail(format!("role={} by={GRANTED_BY_CLI}", role.as_str()));
    app.store.append_audit(&[event]).await?;
    println!(
        "user {} no longer holds {}",
        account.username,
        role.as_str()
    );
    Ok(())
}

/// One line per grant: username, role, granted at, granted by.
pub async fn list(config: Option<&Path>) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    let grants = app.store.role_grants().await?;
    let mut names = BTreeMap::new();
    for grant in &grants {
        if let Entry::Vacant(entry) = names.entry(grant.account) {
            let name = app
                .store
                .get_account(grant.account)
                .await?
                .map_or_else(|| grant.account.to_string(), |account| account.username);
            entry.insert(name);
        }
    }
    println!("USERNAME\tROLE\tGRANTED_AT\tGRANTED_BY");
    for grant in &grants {
        println!(
            "{}\t{}\t{}\t{}",
            names.get(&grant.account).map_or("-", String::as_str),
            grant.role.as_str(),
            grant.granted_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            grant.granted_by
        );
    }
    Ok(())
}
