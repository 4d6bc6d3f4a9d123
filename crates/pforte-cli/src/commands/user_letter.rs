//! `pforte user add --username U --member KVNR --letter [--language en]`: an
//! operator creates the account of a member and sends the access data by post
//! (R-PW-3).
//!
//! Name, address and e-mail come from the member registry; the account is
//! linked to the member (proofing `operator`, stage `active`: the operator
//! vouches for the identity, and the letter goes to the address the insurer
//! holds). The initial password is generated to meet the password policy
//! (R-PW-2), must be changed at the first login (R-PW-3), and goes only into
//! the sealed print queue: it is never printed on the terminal. Everything
//! that can be refused (the member, the address, the username, the policy)
//! is checked before anything is written.

use crate::args::UserAddArgs;
use crate::rules::fields;
use anyhow::{Context, bail};
use pforte_identity::account::Account;
use pforte_identity::audit::{AuditEvent, AuditKind};
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_identity::initial_password;
use pforte_identity::letters::address_lines;
use pforte_identity::ports::{AccountStore, CredentialStore, MemberLinkStore, Notifier};
use pforte_identity::registration::{MemberLink, Proofing, Stage};
use pforte_policy::Kvnr;
use pforte_types::{AccountId, StoreError};
use std::collections::BTreeMap;
use std::path::Path;

/// How often a generated password may be refused (block list, username)
/// before giving up; one refusal is already unlikely.
const ATTEMPTS: usize = 10;

pub async fn add_with_letter(config: Option<&Path>, args: &UserAddArgs) -> anyhow::Result<()> {
    fields::username(&args.username).map_err(anyhow::Error::msg)?;
    let Some(kvnr) = args.member.as_deref() else {
        bail!("--letter needs --member KVNR");
    };
    let kvnr = Kvnr::parse(kvnr).map_err(|error| anyhow::anyhow!("--member: {error}"))?;
    let language = match args.language.as_str() {
        "de" | "en" => args.language.clone(),
        other => bail!("--language: de or en (got {other:?})"),
    };
    let app = super::open_app(config).await?;
    let registry = app.member_registry();
    let Some(member) = registry
        .find(&kvnr)
        .await
        .context("cannot read the member registry")?
    else {
        bail!("--member: no member with the insurance number {kvnr}");
    };
    let Some(lines) = member.postal_address_lines() else {
        bail!(
            "--member: the registry holds no street and town for {kvnr}; import them (columns street, city) first"
        );
    };
    let address = lines.join("\n");
    address_lines(&address).map_err(|error| anyhow::anyhow!("--member: {error}"))?;
    let kvnr_digest = registry.kvnr_digest(&kvnr);
    if app
        .store
        .link_of_member(&kvnr_digest)
        .await
        .context("cannot read the account links")?
        .is_some()
    {
        bail!("--member: {kvnr} already has an account");
    }
    if app.store.find_by_username(&args.username).await?.is_some() {
        bail!("a user named {:?} already exists", args.username);
    }

    let id = AccountId::new();
    let now = app.clock.now();
    let mut account = Account {
        id,
        username: args.username.clone(),
        password_hash: String::new(),
        email: member.email.clone(),
        email_verified: false,
        given_name: Some(member.given_name.clone()),
        family_name: Some(member.family_name.clone()),
        phone: None,
        phone_verified: false,
        totp_secret_encrypted: None,
        created_at: now,
        updated_at: now,
    };
    let mut password = None;
    for _ in 0..ATTEMPTS {
        let candidate = initial_password::generate_random(&app.policy.password);
        if app
            .identity
            .check_new_password(&account, &candidate)
            .await
            .is_ok()
        {
            password = Some(candidate);
            break;
        }
    }
    let Some(password) = password else {
        bail!("no generated password met the password policy; check the policy's rules");
    };
    let message = OutboundMessage {
        id: uuid::Uuid::now_v7(),
        channel: Channel::Letter,
        to: address,
        template: "initial_password_letter".to_owned(),
        language,
        params: BTreeMap::from([
            ("username".to_owned(), account.username.clone()),
            ("password".to_owned(), password.clone()),
            ("given_name".to_owned(), member.given_name.clone()),
            ("family_name".to_owned(), member.family_name.clone()),
        ]),
        account_id: Some(id),
        created_at: now,
    };
    // Rendered before anything is stored, so a broken template refuses the
    // command instead of leaving an account without its letter.
    pforte_notify::texts::render(&message).map_err(|error| anyhow::anyhow!("letter: {error}"))?;
    let channels = app.channels()?;

    account.password_hash = app
        .hasher
        .hash(&password)
        .await
        .map_err(|error| anyhow::anyhow!("cannot hash the password: {error}"))?;
    let link = MemberLink {
        account_id: id,
        kvnr_digest,
        stage: Stage::Active,
        proofing: Proofing::Operator,
        registered_at: now,
        activated_at: Some(now),
        updated_at: now,
    };
    let event = AuditEvent::new(
        AuditKind::AccountRegistered,
        now,
        Some(id),
        &account.username,
        &super::lockout::operator_context("user-add"),
    )
    .with_detail("proofing=operator");
    match app
        .store
        .insert_linked_account(&account, &link, &[event])
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            bail!(
                "a user named {:?} or an account of {kvnr} already exists",
                args.username
            )
        }
        Err(error) => return Err(error).context("cannot store the user"),
    }
    app.store
        .set_must_change_password(id, true)
        .await
        .context("cannot mark the password as initial")?;
    channels.send(&message).await.with_context(|| {
        format!(
            "user {} was added but its letter could not be queued; give it a new initial password with `pforte user set-password`",
            account.username
        )
    })?;
    println!(
        "user {} added (id {id}) for member {kvnr}; initial-password letter {} queued for `pforte letters export`",
        account.username, message.id
    );
    Ok(())
}
