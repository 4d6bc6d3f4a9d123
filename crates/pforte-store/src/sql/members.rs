//! [`MemberStore`] on the `members` table (R-ID-4, R-OP-4).
//!
//! An import is one transaction: the existing content digests of each chunk
//! are read, new members inserted, changed ones replaced and unchanged ones
//! left alone, and the audit event with the counts is written last. A failure
//! anywhere rolls everything back, so a file is imported completely or not
//! at all.

use super::SqlStore;
use super::lockout::insert_events;
use crate::entities::members;
use crate::error::db_error;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_identity::audit::AuditEvent;
use pforte_identity::ports::{MemberStore, StoredMember, UpsertCounts};
use pforte_types::StoreError;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};
use std::collections::HashMap;

/// Rows per statement: well below the bind-parameter limits of SQLite (32766)
/// and PostgreSQL (65535) for eight columns per row.
const CHUNK: usize = 500;

fn stored(row: members::Model) -> StoredMember {
    StoredMember {
        kvnr_digest: row.kvnr_digest,
        sealed: row.sealed,
        content_digest: row.content_digest,
        membership_start: row.membership_start,
        membership_end: row.membership_end,
        main_member_digest: row.main_member_digest,
    }
}

fn active(
    member: &StoredMember,
    created_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> members::ActiveModel {
    members::ActiveModel {
        kvnr_digest: Set(member.kvnr_digest.clone()),
        sealed: Set(member.sealed.clone()),
        content_digest: Set(member.content_digest.clone()),
        membership_start: Set(member.membership_start),
        membership_end: Set(member.membership_end),
        main_member_digest: Set(member.main_member_digest.clone()),
        created_at: Set(created_at),
        updated_at: Set(at),
    }
}

#[async_trait]
impl MemberStore for SqlStore {
    async fn upsert_members(
        &self,
        members_to_write: &[StoredMember],
        at: DateTime<Utc>,
        event: AuditEvent,
    ) -> Result<UpsertCounts, StoreError> {
        let txn = self.db.begin().await.map_err(db_error)?;
        let mut counts = UpsertCounts::default();
        for chunk in members_to_write.chunks(CHUNK) {
            let digests: Vec<&str> = chunk.iter().map(|m| m.kvnr_digest.as_str()).collect();
            let existing: HashMap<String, (String, DateTime<Utc>)> = members::Entity::find()
                .select_only()
                .column(members::Column::KvnrDigest)
                .column(members::Column::ContentDigest)
                .column(members::Column::CreatedAt)
                .filter(members::Column::KvnrDigest.is_in(digests))
                .into_tuple::<(String, String, DateTime<Utc>)>()
                .all(&txn)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(|(digest, content, created)| (digest, (content, created)))
                .collect();
            let mut new_rows = Vec::new();
            for member in chunk {
                match existing.get(&member.kvnr_digest) {
                    None => {
                        counts.inserted += 1;
                        new_rows.push(active(member, at, at));
                    }
                    Some((content, _)) if *content == member.content_digest => {
                        counts.unchanged += 1;
                    }
                    Some((_, created_at)) => {
                        counts.updated += 1;
                        active(member, *created_at, at)
                            .update(&txn)
                            .await
                            .map_err(db_error)?;
                    }
                }
            }
            if !new_rows.is_empty() {
                members::Entity::insert_many(new_rows)
                    .exec_without_returning(&txn)
                    .await
                    .map_err(db_error)?;
            }
        }
        let event = event.with_detail(format!(
            "inserted={} updated={} unchanged={}",
            counts.inserted, counts.updated, counts.unchanged
        ));
        insert_events(&txn, &[event]).await?;
        txn.commit().await.map_err(db_error)?;
        Ok(counts)
    }

    async fn member(&self, kvnr_digest: &str) -> Result<Option<StoredMember>, StoreError> {
        Ok(members::Entity::find_by_id(kvnr_digest.to_owned())
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(stored))
    }

    async fn count_members(&self) -> Result<u64, StoreError> {
        members::Entity::find()
            .count(&self.db)
            .await
            .map_err(db_error)
    }
}
