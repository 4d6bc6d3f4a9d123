//! Letters by post waiting for the next print batch (R-RG-4, R-OP-1). The
//! operator sees who a letter is for and when it was queued, never its
//! parameters: an activation code or initial password stays sealed.

use chrono::{DateTime, Utc};
use pforte_identity::operator_roles::Permission;
use serde::Serialize;

use crate::error::AdminError;
use crate::operator::Operator;
use crate::state::AdminState;

/// One pending letter as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingLetter {
    pub id: String,
    pub template: String,
    pub language: String,
    pub recipient: String,
    pub postal_code: String,
    pub created_at: DateTime<Utc>,
}

/// Every letter not yet exported, oldest first.
pub async fn pending_letters(
    state: &AdminState,
    operator: &Operator,
) -> Result<Vec<PendingLetter>, AdminError> {
    operator.require(Permission::ViewLetters)?;
    let letters = state.letters.pending().await.map_err(|error| {
        AdminError::Store(pforte_types::StoreError::Unavailable(error.to_string()))
    })?;
    Ok(letters
        .iter()
        .map(|letter| PendingLetter {
            id: letter.id.to_string(),
            template: letter.template.clone(),
            language: letter.language.clone(),
            recipient: letter.recipient_name().to_owned(),
            postal_code: letter.postal_code().to_owned(),
            created_at: letter.created_at,
        })
        .collect())
}
