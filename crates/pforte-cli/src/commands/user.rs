//! `pforte user add | list | set-password | factors remove`; `user add
//! --member KVNR --letter` is in `user_letter`.
//!
//! Passwords must satisfy the password policy (R-PW-2; every broken rule is
//! printed) and are hashed with Argon2id under the configured parameters
//! (R-PW-1); `--initial` marks one for change at first login (R-PW-3). A TOTP
//! seed becomes a confirmed authenticator-app factor labelled "CLI", sealed
//! with the master key bound to the factor (R-OP-4) and audited as
//! `factor_enrolled`. Neither is ever printed.

use crate::args::UserAddArgs;
use crate::rules::{base32, fields};
use anyhow::{Context, bail};
use pforte_identity::IdentityError;
use pforte_identity::account::Account;
use pforte_identity::factor::FactorId;
use pforte_identity::ports::{AccountStore, BirthdateStore, CredentialStore, FactorStore};
use pforte_policy::Language;
use pforte_types::{AccountId, Method, StoreError};
use std::path::Path;

pub async fn add(config: Option<&Path>, args: UserAddArgs) -> anyhow::Result<()> {
    if args.letter {
        return super::user_letter::add_with_letter(config, &args).await;
    }
    fields::username(&args.username).map_err(anyhow::Error::msg)?;
    let Some(password) = args.password.clone() else {
        bail!("--password is required (or --member KVNR --letter)");
    };
    fields::password(&password).map_err(anyhow::Error::msg)?;
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
    let birthdate = args
        .birthdate
        .as_deref()
        .map(|text| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| anyhow::anyhow!("--birthdate: a date as YYYY-MM-DD (got {text:?})"))
        })
        .transpose()?;
    // Checked before anything is opened, so a bad seed changes nothing.
    let totp_seed = args
        .totp_secret
        .as_deref()
        .map(base32::decode_totp_secret)
        .transpose()
        .map_err(anyhow::Error::msg)?;

    let app = super::open_app(config).await?;
    let id = AccountId::new();
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
        // The legacy column stays empty: seeds are factors now.
        totp_secret_encrypted: None,
        created_at: now,
        updated_at: now,
    };
    // Checked before anything is stored; the account has no hash yet, so the
    // history holds nothing to compare.
    app.identity
        .check_new_password(&account, &password)
        .await
        .map_err(policy_error)?;
    account.password_hash = app
        .hasher
        .hash(&password)
        .await
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
    if let Some(date) = birthdate {
        app.store
            .set_birthdate(id, date, now)
            .await
            .context("cannot store the date of birth")?;
    }
    if let Some(seed) = totp_seed {
        app.identity
            .provision_totp(id, &seed, &super::lockout::operator_context("user-add"))
            .await
            .context("cannot store the TOTP factor")?;
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
        let has_totp = app
            .store
            .factors(account.id)
            .await?
            .iter()
            .any(|factor| factor.confirmed && factor.method == Method::Totp);
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
            if has_totp { "yes" } else { "no" },
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

/// `pforte user delete` (R-RC-4).
pub async fn delete(config: Option<&Path>, username: &str) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    let context = super::lockout::operator_context("delete");
    match app.identity.delete_account_named(username, &context).await {
        Ok(()) => {
            println!("user {username} deleted; audit events kept pseudonymised");
            Ok(())
        }
        Err(IdentityError::DeletionBlocked(blockers)) => {
            let names: Vec<&str> = blockers.iter().map(|blocker| blocker.as_str()).collect();
            bail!(
                "user {username} cannot be deleted now: blocked while {}",
                names.join(", ")
            )
        }
        Err(error) => Err(anyhow::Error::new(error)),
    }
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

/// `pforte user factors remove`: an operator removes a factor (a lost
/// phone), audited as `factor_removed` (R-OP-1). The last second factor may
/// go; a mandatory policy then asks the user to enrol a new one at login.
pub async fn remove_factor(
    config: Option<&Path>,
    username: &str,
    factor_id: &str,
) -> anyhow::Result<()> {
    let Some(id) = FactorId::parse(factor_id.trim()) else {
        bail!("FACTOR_ID: not a factor id (see `pforte user show {username}`)");
    };
    let app = super::open_app(config).await?;
    let context = super::lockout::operator_context("factor-remove");
    match app
        .identity
        .remove_factor_by_operator(username, id, &context)
        .await
    {
        Ok(factor) => {
            println!(
                "factor {id} ({} {:?}) of {username} removed",
                factor.method, factor.label
            );
            Ok(())
        }
        Err(IdentityError::NoSuchFactor) => bail!("user {username} has no factor {id}"),
        Err(error) => Err(error.into()),
    }
}
