//! [`DependantsProbe`] on `member_links` and `members` (R-RC-4, R-FA-1): how
//! many co-insured people of an account's member have accounts of their own.
//! Only digests are compared; no member data is opened.

use super::SqlStore;
use crate::entities::{member_links, members};
use crate::error::db_error;
use async_trait::async_trait;
use pforte_identity::ports::DependantsProbe;
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

#[async_trait]
impl DependantsProbe for SqlStore {
    async fn co_insured_with_accounts(&self, account: AccountId) -> Result<u32, StoreError> {
        let Some(link) = member_links::Entity::find_by_id(account.0)
            .one(&self.db)
            .await
            .map_err(db_error)?
        else {
            // An account without a member has no co-insured people.
            return Ok(0);
        };
        let co_insured = Query::select()
            .column(members::Column::KvnrDigest)
            .from(members::Entity)
            .and_where(members::Column::MainMemberDigest.eq(link.kvnr_digest))
            .to_owned();
        let linked = member_links::Entity::find()
            .filter(member_links::Column::KvnrDigest.in_subquery(co_insured))
            .count(&self.db)
            .await
            .map_err(db_error)?;
        u32::try_from(linked).map_err(|error| StoreError::Corrupt(error.to_string()))
    }
}
