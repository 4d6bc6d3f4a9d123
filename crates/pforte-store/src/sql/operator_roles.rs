//! [`OperatorRoleStore`] on the `operator_roles` table (R-OP-1). The account
//! and role are the key: granting a held role again changes nothing.

use super::SqlStore;
use crate::entities::operator_roles;
use crate::error::{db_error, unknown_value};
use async_trait::async_trait;
use pforte_identity::operator_roles::{OperatorRoleStore, Role, RoleGrant};
use pforte_types::{AccountId, StoreError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeSet;

fn grant_from_row(row: operator_roles::Model) -> Result<RoleGrant, StoreError> {
    Ok(RoleGrant {
        account: AccountId(row.account_id),
        role: Role::parse(&row.role).ok_or_else(|| unknown_value("role", &row.role))?,
        granted_at: row.granted_at,
        granted_by: row.granted_by,
    })
}

#[async_trait]
impl OperatorRoleStore for SqlStore {
    async fn grant_role(&self, grant: &RoleGrant) -> Result<(), StoreError> {
        operator_roles::Entity::insert(operator_roles::ActiveModel {
            account_id: Set(grant.account.0),
            role: Set(grant.role.as_str().to_owned()),
            granted_at: Set(grant.granted_at),
            granted_by: Set(grant.granted_by.clone()),
        })
        .on_conflict(
            OnConflict::columns([
                operator_roles::Column::AccountId,
                operator_roles::Column::Role,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn revoke_role(&self, account: AccountId, role: Role) -> Result<bool, StoreError> {
        let result = operator_roles::Entity::delete_many()
            .filter(operator_roles::Column::AccountId.eq(account.0))
            .filter(operator_roles::Column::Role.eq(role.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected > 0)
    }

    async fn roles_of(&self, account: AccountId) -> Result<BTreeSet<Role>, StoreError> {
        operator_roles::Entity::find()
            .filter(operator_roles::Column::AccountId.eq(account.0))
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|row| Role::parse(&row.role).ok_or_else(|| unknown_value("role", &row.role)))
            .collect()
    }

    async fn role_grants(&self) -> Result<Vec<RoleGrant>, StoreError> {
        operator_roles::Entity::find()
            .order_by_asc(operator_roles::Column::GrantedAt)
            .order_by_asc(operator_roles::Column::AccountId)
            .order_by_asc(operator_roles::Column::Role)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(grant_from_row)
            .collect()
    }
}
