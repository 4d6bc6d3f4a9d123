//! [`ClientStore`] on the `clients` table.

use super::SqlStore;
use crate::entities::clients;
use crate::error::{db_error, from_json, to_json, unknown_value};
use async_trait::async_trait;
use pforte_crypto::SigningAlg;
use pforte_oauth::model::{ApplicationType, Client, ClientAuthMethod, GrantType, LogoutEndpoints};
use pforte_oauth::ports::ClientStore;
use pforte_types::StoreError;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

#[async_trait]
impl ClientStore for SqlStore {
    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        clients::Entity::find_by_id(client_id)
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(client_from_row)
            .transpose()
    }

    async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        clients::Entity::insert(client_to_row(client)?)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        clients::Entity::find()
            .order_by_asc(clients::Column::ClientId)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(client_from_row)
            .collect()
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let result = clients::Entity::update_many()
            .set(client_to_row(client)?)
            .filter(clients::Column::ClientId.eq(client.client_id.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected > 0)
    }

    async fn remove_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let result = clients::Entity::delete_by_id(client_id)
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected > 0)
    }
}

fn client_to_row(client: &Client) -> Result<clients::ActiveModel, StoreError> {
    let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    Ok(clients::ActiveModel {
        client_id: Set(client.client_id.clone()),
        name: Set(client.name.clone()),
        secret_digest: Set(client.secret_digest.clone()),
        auth_method: Set(client.auth_method.as_str().to_owned()),
        jwks: Set(client.jwks.clone()),
        redirect_uris: Set(to_json(&client.redirect_uris, "redirect_uris")?),
        post_logout_redirect_uris: Set(to_json(
            &client.post_logout_redirect_uris,
            "post_logout_redirect_uris",
        )?),
        application_type: Set(client.application_type.as_str().to_owned()),
        require_par: Set(client.require_par),
        require_pkce: Set(client.require_pkce),
        grant_types: Set(to_json(&grant_types, "grant_types")?),
        extra_scopes: Set(to_json(&client.extra_scopes, "extra_scopes")?),
        id_token_alg: Set(alg_to_text(&client.id_token_alg)?),
        default_acr_values: Set(to_json(&client.default_acr_values, "default_acr_values")?),
        minimum_acr: Set(client.minimum_acr.clone()),
        brand: Set(client.brand.clone()),
        backchannel_logout_uri: Set(client.logout.backchannel_uri.clone()),
        backchannel_logout_session_required: Set(client.logout.backchannel_session_required),
        frontchannel_logout_uri: Set(client.logout.frontchannel_uri.clone()),
        frontchannel_logout_session_required: Set(client.logout.frontchannel_session_required),
        created_at: Set(client.created_at),
    })
}

fn client_from_row(row: clients::Model) -> Result<Client, StoreError> {
    let grant_names: Vec<String> = from_json(row.grant_types, "grant_types")?;
    let grant_types = grant_names
        .iter()
        .map(|name| GrantType::parse(name).ok_or_else(|| unknown_value("grant_types", name)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Client {
        auth_method: ClientAuthMethod::parse(&row.auth_method)
            .ok_or_else(|| unknown_value("auth_method", &row.auth_method))?,
        application_type: ApplicationType::parse(&row.application_type)
            .ok_or_else(|| unknown_value("application_type", &row.application_type))?,
        id_token_alg: alg_from_text(&row.id_token_alg)?,
        redirect_uris: from_json(row.redirect_uris, "redirect_uris")?,
        post_logout_redirect_uris: from_json(
            row.post_logout_redirect_uris,
            "post_logout_redirect_uris",
        )?,
        extra_scopes: from_json(row.extra_scopes, "extra_scopes")?,
        default_acr_values: from_json(row.default_acr_values, "default_acr_values")?,
        minimum_acr: row.minimum_acr,
        brand: row.brand,
        logout: LogoutEndpoints {
            backchannel_uri: row.backchannel_logout_uri,
            backchannel_session_required: row.backchannel_logout_session_required,
            frontchannel_uri: row.frontchannel_logout_uri,
            frontchannel_session_required: row.frontchannel_logout_session_required,
        },
        grant_types,
        client_id: row.client_id,
        name: row.name,
        secret_digest: row.secret_digest,
        jwks: row.jwks,
        require_par: row.require_par,
        require_pkce: row.require_pkce,
        created_at: row.created_at,
    })
}

/// The JOSE name of an algorithm ("RS256", …), as its serde form defines it.
pub(super) fn alg_to_text(alg: &SigningAlg) -> Result<String, StoreError> {
    match serde_json::to_value(alg) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        _ => Err(StoreError::Corrupt(
            "signing algorithm has no textual name".to_owned(),
        )),
    }
}

pub(super) fn alg_from_text(name: &str) -> Result<SigningAlg, StoreError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|_| unknown_value("alg", name))
}
