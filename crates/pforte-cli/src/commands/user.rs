//! `pforte user add | list | set-password`.
//!
//! Passwords must satisfy the password policy (R-PW-2; every broken rule is
//! printed) and are hashed with Argon2id under the configured parameters
//! (R-PW-1); `--initial` marks one for change at first login (R-PW-3). A TOTP
//! seed is stored sealed with the master key (R-OP-4). Neither is ever printed.

use crate::args::UserAddArgs;
use crate::rules::{base32, fields};
use anyhow::{Context, bail};
use pforte_crypto::MasterKey;
use pforte_identity::IdentityError;
use pforte_identity::account::Account;
use pforte_identity::ports::{AccountStore, CredentialStore};
use pforte_policy::Language;
use pforte_types::{AccountId, StoreError};
use std::path::Path;

/// The authenticated context a TOTP seed is sealed under: the account id, so
/// that a sealed seed copied to another account does not open.
pub fn totp_seal_context(account: AccountId) -> Vec<u8> {
    format!("pforte totp seed v1:{account}").into_bytes()
}

/// Seals a base32 TOTP seed for `account` (R-OP-4).
pub fn seal_totp_secret(
    master: &MasterKey,
    account: AccountId,
    base32_secret: &str,
) -> Result<Vec<u8>, String> {
    let seed = base32::decode_totp_secret(base32_secret)?;
    master
        .encrypt(&seed, &totp_seal_context(account))
        .map_err(|error| format!("cannot seal the TOTP secret: {error}"))
}

pub async fn add(config: Option<&Path>, args: UserAddArgs) -> anyhow::Result<()> {
    fields::username(&args.username).map_err(anyhow::Error::msg)?;
    fields::password(&args.password).map_err(anyhow::Error::msg)?;
    if let Some(email) = &args.email {
        fields::email(email).map_err(anyhow::Error::msg)?;
    } else if args.email_verified {
        bail!("--email-verified needs --email");
    }
    if let Some(phone) = &args.phone {
        fields::phone(phone).map_err(anyhow::Error::msg)?;
    }
    for (flag, value) in [
        ("--given-name", &args.given_name),
        ("--family-name", &args.family_name),
    ] {
        if value
            .as_deref()
            .is_some_and(|v| v.trim().is_empty() || v.chars().any(char::is_control))
        {
            bail!("{flag}: must not be empty or contain control characters");
        }
    }
    if let Some(secret) = &args.totp_secret {
        // Checked before anything is opened, so a bad seed changes nothing.
        base32::decode_totp_secret(secret).map_err(anyhow::Error::msg)?;
    }

    let app = super::open_app(config).await?;
    let id = AccountId::new();
    let totp_secret_encrypted = match &args.totp_secret {
        Some(secret) => {
            Some(seal_totp_secret(&app.master, id, secret).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let now = app.clock.now();
    let mut account = Account {
        id,
        username: args.username.clone(),
        password_hash: String::new(),
        email: args.email.clone(),
        email_verified: args.email.is_some() && args.email_verified,
        given_name: args.given_name.clone(),
        family_name: args.family_name.clone(),
        phone: args.phone.clone(),
        phone_verified: false,
        totp_secret_encrypted,
        created_at: now,
        updated_at: now,
    };
    // Checked before anything is stored; the account has no hash yet, so the
    // history holds nothing to compare.
    app.identity
        .check_new_password(&account, &args.password)
        .await
        .map_err(policy_error)?;
    account.password_hash = app
        .hasher
        .hash(&args.password)
        .map_err(|error| anyhow::anyhow!("cannot hash the password: {error}"))?;
    match app.store.insert_account(&account).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            bail!("a user named {:?} already exists", args.username)
        }
        Err(error) => return Err(error).context("cannot store the user"),
    }
    if args.initial {
        app.store
            .set_must_change_password(id, true)
            .await
            .context("cannot mark the password as initial")?;
    }
    println!("user {} added (id {id})", account.username);
    Ok(())
}

pub async fn list(config: Option<&Path>) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    let mut accounts = app.store.list_accounts().await?;
    accounts.sort_by(|a, b| a.username.cmp(&b.username));
    println!("USERNAME\tID\tEMAIL\tEMAIL_VERIFIED\tNAME\tPHONE\tTOTP\tCREATED");
    for account in accounts {
        let name = [
            account.given_name.as_deref(),
            account.family_name.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            account.username,
            account.id,
            account.email.as_deref().unwrap_or("-"),
            if account.email_verified { "yes" } else { "no" },
            if name.is_empty() { "-" } else { &name },
            account.phone.as_deref().unwrap_or("-"),
            if account.totp_secret_encrypted.is_some() {
                "yes"
            } else {
                "no"
            },
            account.created_at.format("%Y-%m-%dT%H:%M:%SZ"),
        );
    }
    Ok(())
}

pub async fn set_password(
    config: Option<&Path>,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    fields::password(password).map_err(anyhow::Error::msg)?;
    let app = super::open_app(config).await?;
    let Some(account) = app.store.find_by_username(username).await? else {
        bail!("no user named {username:?}");
    };
    let context = super::lockout::operator_context("set-password");
    app.identity
        .set_password_by_operator(&account, password, false, &context)
        .await
        .map_err(policy_error)?;
    // A password reset lifts a lock and a deactivation (R-LO-2).
    app.identity.unlock(&account.username, &context).await?;
    app.identity.reactivate(&account.username, &context).await?;
    println!("password of {} replaced", account.username);
    Ok(())
}

/// Every rule a refused password breaks, one per line (R-PW-2).
fn policy_error(error: IdentityError) -> anyhow::Error {
    match error {
        IdentityError::PasswordRejected(violations) => {
            let rules: Vec<String> = violations
                .iter()
                .map(|violation| format!("  - {}", violation.render(Language::En)))
                .collect();
            anyhow::anyhow!(
                "--password: the password breaks the password policy:\n{}",
                rules.join("\n")
            )
        }
        other => anyhow::Error::new(other),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn r_op_4_totp_seed_is_sealed_to_its_account() {
        let master = MasterKey::generate();
        let account = AccountId::new();
        let sealed =
            seal_totp_secret(&master, account, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert!(!sealed.windows(20).any(|w| w == b"12345678901234567890"));
        let opened = master
            .decrypt(&sealed, &totp_seal_context(account))
            .unwrap();
        assert_eq!(opened, b"12345678901234567890");
        assert!(
            master
                .decrypt(&sealed, &totp_seal_context(AccountId::new()))
                .is_err()
        );
        assert!(seal_totp_secret(&master, account, "short").is_err());
    }
}
