//! `pforte session list | end` (R-SE-3): an operator looks at a user's
//! provider sessions and ends them. Ending goes through the login service
//! with the reason `operator`, so the relying parties of each session are
//! notified and each end is an audit event `session_ended`.
//!
//! Sessions live where `session.store` says. With `redis` the command sees
//! what the servers see; with `memory` they live inside the server process,
//! and the command refuses rather than report an empty list.

use anyhow::bail;
use chrono::SecondsFormat;
use pforte_identity::session::{ProviderSession, SessionEndReason};
use pforte_server::App;
use std::path::Path;

use super::lockout::operator_context;

async fn open(config: Option<&Path>) -> anyhow::Result<App> {
    let app = super::open_app(config).await?;
    if app.settings.session.store != "redis" {
        bail!(
            "sessions live inside the server process (session.store = \"{}\"); \
             the command can list and end them only with session.store = \"redis\"",
            app.settings.session.store
        );
    }
    Ok(app)
}

fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub async fn list(config: Option<&Path>, username: &str) -> anyhow::Result<()> {
    let app = open(config).await?;
    let (account, sessions) = app.identity.sessions_of_username(username).await?;
    println!(
        "user {}: {} live session(s)",
        account.username,
        sessions.len()
    );
    if sessions.is_empty() {
        return Ok(());
    }
    println!("SESSION\tSTARTED\tLAST_ACTIVE\tENDS\tACR\tCLIENTS");
    for session in &sessions {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            session.handle(),
            time(session.created_at),
            time(session.last_seen()),
            time(session.ends_at()),
            session.acr,
            if session.clients.is_empty() {
                "-".to_owned()
            } else {
                session.clients.join(",")
            },
        );
    }
    Ok(())
}

pub async fn end(
    config: Option<&Path>,
    sid: Option<&str>,
    username: Option<&str>,
) -> anyhow::Result<()> {
    let app = open(config).await?;
    let context = operator_context("session-end");
    let ended: Vec<ProviderSession> = match (sid, username) {
        (Some(sid), None) => app
            .identity
            .end_session_by(sid, SessionEndReason::Operator, &context)
            .await?
            .into_iter()
            .collect(),
        (Some(sid), Some(username)) => {
            let (_, sessions) = app.identity.sessions_of_username(username).await?;
            let Some(target) = sessions
                .into_iter()
                .find(|session| session.sid == sid || session.handle() == sid)
            else {
                bail!("user {username} has no live session {sid}");
            };
            app.identity
                .end_session_by(&target.sid, SessionEndReason::Operator, &context)
                .await?
                .into_iter()
                .collect()
        }
        (None, Some(username)) => {
            let (account, _) = app.identity.sessions_of_username(username).await?;
            app.identity
                .end_sessions_of(account.id, None, SessionEndReason::Operator, &context)
                .await?
        }
        (None, None) => bail!("name a session with --sid or a user with --username"),
    };
    if ended.is_empty() {
        println!("no live session ended");
    }
    for session in &ended {
        println!(
            "ended session {} (started {}, relying parties: {})",
            session.handle(),
            time(session.created_at),
            if session.clients.is_empty() {
                "-".to_owned()
            } else {
                session.clients.join(",")
            },
        );
    }
    Ok(())
}
