//! `pforte user unlock | reactivate | show` (R-LO-2, R-LO-6, R-OP-1): the
//! operator's view of an account's lockout and second factors. Every change
//! is an audit event.

use anyhow::bail;
use chrono::SecondsFormat;
use pforte_identity::RequestContext;
use pforte_identity::operator::OperatorChange;
use std::path::Path;

/// Operator actions carry a request id naming the command, so the audit trail
/// tells them apart from logins.
pub fn operator_context(command: &str) -> RequestContext {
    RequestContext {
        operator: None,
        client_id: None,
        ip: None,
        user_agent: Some(format!("pforte-cli/{}", env!("CARGO_PKG_VERSION"))),
        request_id: Some(format!("cli-{command}-{}", uuid_like())),
    }
}

fn uuid_like() -> String {
    pforte_crypto::random::random_token()
        .chars()
        .take(12)
        .collect()
}

pub async fn unlock(config: Option<&Path>, username: &str) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    match app
        .identity
        .unlock(username, &operator_context("unlock"))
        .await?
    {
        OperatorChange::Changed => println!("user {username} unlocked"),
        OperatorChange::Unchanged => println!("user {username} was not locked"),
        OperatorChange::Deactivated => {
            bail!("user {username} is deactivated; use `pforte user reactivate {username}`")
        }
    }
    Ok(())
}

pub async fn reactivate(config: Option<&Path>, username: &str) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    match app
        .identity
        .reactivate(username, &operator_context("reactivate"))
        .await?
    {
        OperatorChange::Changed => println!("user {username} reactivated"),
        _ => println!("user {username} was not deactivated"),
    }
    Ok(())
}

pub async fn show(config: Option<&Path>, username: &str) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    let status = app.identity.account_status(username).await?;
    println!("username: {}", status.account.username);
    println!("state: {}", status.state.as_str());
    println!("failures: {}", status.failures);
    println!(
        "locked_until: {}",
        status.locked_until.map_or_else(
            || "-".to_owned(),
            |until| until.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    );
    // R-OP-1 "view factors": every factor, an enrolment in progress too.
    let overview = app.identity.factor_overview(username).await?;
    println!("recovery_codes_left: {}", overview.recovery_codes_left);
    println!("factors: {}", overview.factors.len());
    if !overview.factors.is_empty() {
        println!("FACTOR_ID\tMETHOD\tLABEL\tCONFIRMED\tCREATED\tLAST_USED");
    }
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
    for factor in &overview.factors {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            factor.id,
            factor.method,
            factor.label,
            if factor.confirmed { "yes" } else { "no" },
            time(factor.created_at),
            factor.last_used_at.map_or_else(|| "-".to_owned(), time),
        );
    }
    Ok(())
}
