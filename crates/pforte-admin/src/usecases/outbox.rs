//! The dev outbox (R-OP-1): messages kept instead of sent. Only offered when
//! `[admin] show_outbox` is on, i.e. in test and development installations
//! whose messages go to the outbox: it holds codes in clear.

use chrono::{DateTime, Utc};
use pforte_identity::operator_roles::Permission;
use pforte_identity::ports::OutboxQuery;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::error::AdminError;
use crate::operator::Operator;
use crate::state::AdminState;

/// At most this many messages are shown.
pub const OUTBOX_LIMIT: u64 = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub created_at: DateTime<Utc>,
    pub channel: &'static str,
    pub to: String,
    pub template: String,
    pub params: BTreeMap<String, String>,
}

/// The newest messages of the outbox; `NotFound` when the outbox is not
/// shown in this installation.
pub async fn outbox_messages(
    state: &AdminState,
    operator: &Operator,
) -> Result<Vec<OutboxEntry>, AdminError> {
    operator.require(Permission::ViewOutbox)?;
    if !state.console.show_outbox {
        return Err(AdminError::NotFound("outbox".to_owned()));
    }
    let messages = state
        .outbox
        .outbox(&OutboxQuery {
            limit: Some(OUTBOX_LIMIT),
            ..OutboxQuery::default()
        })
        .await?;
    Ok(messages
        .iter()
        .map(|message| OutboxEntry {
            created_at: message.created_at,
            channel: message.channel.as_str(),
            to: message.to.clone(),
            template: message.template.clone(),
            params: message.params.clone(),
        })
        .collect())
}
