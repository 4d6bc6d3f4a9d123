//! [`OutboxStore`] on `outbox_messages`: the dev outbox that the outbox
//! adapter of pforte-notify writes and the CLI, the admin console and tests
//! read. Newest first means `created_at` descending and, for messages of the
//! same instant (a test clock), the UUIDv7 `id` descending.

use super::SqlStore;
use crate::entities::outbox_messages;
use crate::error::{db_error, from_json, to_json, unknown_value};
use async_trait::async_trait;
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_identity::ports::{OutboxQuery, OutboxStore};
use pforte_types::{AccountId, StoreError};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

fn row_of(message: &OutboundMessage) -> Result<outbox_messages::ActiveModel, StoreError> {
    Ok(outbox_messages::ActiveModel {
        id: Set(message.id),
        channel: Set(message.channel.as_str().to_owned()),
        recipient: Set(message.to.clone()),
        template: Set(message.template.clone()),
        language: Set(message.language.clone()),
        params: Set(to_json(&message.params, "params")?),
        account_id: Set(message.account_id.map(|id| id.0)),
        created_at: Set(message.created_at),
    })
}

fn message_of(row: outbox_messages::Model) -> Result<OutboundMessage, StoreError> {
    Ok(OutboundMessage {
        id: row.id,
        channel: Channel::parse(&row.channel)
            .ok_or_else(|| unknown_value("channel", &row.channel))?,
        to: row.recipient,
        template: row.template,
        language: row.language,
        params: from_json(row.params, "params")?,
        account_id: row.account_id.map(AccountId),
        created_at: row.created_at,
    })
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn append_outbox(&self, message: &OutboundMessage) -> Result<(), StoreError> {
        outbox_messages::Entity::insert(row_of(message)?)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn outbox(&self, query: &OutboxQuery) -> Result<Vec<OutboundMessage>, StoreError> {
        let mut select = outbox_messages::Entity::find()
            .order_by_desc(outbox_messages::Column::CreatedAt)
            .order_by_desc(outbox_messages::Column::Id);
        if let Some(channel) = query.channel {
            select = select.filter(outbox_messages::Column::Channel.eq(channel.as_str()));
        }
        if let Some(to) = &query.to {
            select = select.filter(outbox_messages::Column::Recipient.eq(to.as_str()));
        }
        if let Some(account) = query.account {
            select = select.filter(outbox_messages::Column::AccountId.eq(account.0));
        }
        if let Some(limit) = query.limit {
            select = select.limit(limit);
        }
        let rows = select.all(&self.db).await.map_err(db_error)?;
        rows.into_iter().map(message_of).collect()
    }
}
