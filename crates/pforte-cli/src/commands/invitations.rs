//! `pforte invitations create KVNR [--valid-days N]`: an agent's single-use
//! registration link for a member (R-RG-6). The link is printed once; only a
//! digest of its token is stored. Opening it shows the registration form with
//! the member data filled in, and the account is active once its e-mail
//! address is confirmed (no letter).

use super::lockout::operator_context;
use anyhow::Context;
use std::path::Path;

pub async fn create(config: Option<&Path>, kvnr: &str, valid_days: u32) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    let (token, expires_at) = app
        .registrar()
        .create_invitation(kvnr, valid_days, &operator_context("invitations-create"))
        .await
        .context("no invitation created")?;
    println!(
        "{}/register/invite/{token}",
        app.settings.issuer.trim_end_matches('/')
    );
    println!("valid until {}", expires_at.to_rfc3339());
    Ok(())
}
