//! The command line as the issue defines it (issue 2, "Operator CLI"): exactly
//! these commands and flags, each taking `--config FILE`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use pforte_crypto::SigningAlg;
use pforte_identity::factor::Channel;
use pforte_oauth::model::{ApplicationType, ClientAuthMethod, GrantType};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "pforte",
    version,
    about = "Pforte, an OpenID Connect provider",
    propagate_version = true
)]
pub struct Cli {
    /// The configuration file (TOML). Without it the built-in defaults apply;
    /// PFORTE_* environment variables override either.
    #[arg(long, global = true, env = "PFORTE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the provider until SIGINT or SIGTERM.
    Serve,
    /// Bring the database schema up to date.
    Migrate,
    /// Work with the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage relying parties (clients).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Read the audit trail (R-OP-3).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Read the dev outbox (messages stored instead of sent).
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// List and end provider sessions (R-SE-3; needs session.store = "redis").
    #[command(subcommand)]
    Session(SessionCommand),
    /// The member registry: the insurer's member data (R-ID-4).
    #[command(subcommand)]
    Members(MembersCommand),
    /// Letters by post: the print batch for the print service (R-RG-4).
    #[command(subcommand)]
    Letters(LettersCommand),
    /// Agents' registration links bound to a member (R-RG-6).
    #[command(subcommand)]
    Invitations(InvitationsCommand),
    /// Roles of the admin console's operators (R-OP-1).
    #[command(subcommand)]
    Operator(OperatorCommand),
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Give an account a role: support, security_admin or auditor.
    Grant {
        #[arg(long, value_name = "USERNAME")]
        username: String,
        #[arg(long, value_name = "ROLE")]
        role: String,
    },
    /// Take a role from an account; it takes effect at the next request.
    Revoke {
        #[arg(long, value_name = "USERNAME")]
        username: String,
        #[arg(long, value_name = "ROLE")]
        role: String,
    },
    /// Print every grant: username, role, granted at, granted by.
    List,
}

#[derive(Debug, Subcommand)]
pub enum LettersCommand {
    /// Print every pending letter into one PDF (one A4 page per letter) with a
    /// CSV manifest in DIR, then mark them exported. Prints nothing new when
    /// no letter is pending.
    Export {
        /// The folder for the batch files (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A brand folder in themes_dir whose letters/ templates replace
        /// those of base.
        #[arg(long, value_name = "THEME")]
        theme: Option<String>,
    },
    /// Print the pending letters, oldest first, one per line: id, template,
    /// language, account, queued at. Addresses and codes stay sealed.
    Pending,
}

#[derive(Debug, Subcommand)]
pub enum InvitationsCommand {
    /// Create a single-use registration link for the member with this KVNR
    /// and print it.
    Create {
        /// The member's KVNR (ten characters).
        kvnr: String,
        /// Days the link stays valid.
        #[arg(long, default_value_t = 14)]
        valid_days: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Print the live sessions of a user, one per line.
    List {
        #[arg(long, value_name = "USERNAME")]
        username: String,
    },
    /// End sessions; their relying parties are notified.
    End {
        /// The session: its id (the `sid` of an ID token) or, with
        /// --username, the handle `session list` prints. A sid may start
        /// with `-` (it is base64url), so hyphen values are taken as values.
        #[arg(long, value_name = "SID", allow_hyphen_values = true)]
        sid: Option<String>,
        /// Every session of this user (or, with --sid, the one of theirs).
        #[arg(long, value_name = "USERNAME", required_unless_present = "sid")]
        username: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Import member data from a CSV file (columns: docs/members.md). A file
    /// with a rejected row changes nothing unless --skip-rejected is given.
    Import {
        /// The CSV file (UTF-8, `;` or `,` separated, header line first).
        file: PathBuf,
        /// Write the accepted rows even when others are rejected.
        #[arg(long)]
        skip_rejected: bool,
        /// Check the file and print the report without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print what the registry holds for one insurance number.
    Show {
        /// The KVNR (ten characters).
        kvnr: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Print messages, newest first, one per line.
    List(OutboxListArgs),
}

#[derive(Debug, Clone, Args)]
pub struct OutboxListArgs {
    /// Only messages to this recipient (exact e-mail address or number).
    #[arg(long, value_name = "RECIPIENT")]
    pub to: Option<String>,
    /// Only messages of this channel.
    #[arg(long, value_enum)]
    pub channel: Option<ChannelArg>,
    /// At most this many messages.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// One JSON object per line, with the rendered text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChannelArg {
    Email,
    Sms,
    Letter,
    Push,
}

impl From<ChannelArg> for Channel {
    fn from(arg: ChannelArg) -> Self {
        match arg {
            ChannelArg::Email => Self::Email,
            ChannelArg::Sms => Self::Sms,
            ChannelArg::Letter => Self::Letter,
            ChannelArg::Push => Self::Push,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print events, oldest first, one per line.
    List {
        /// Only events of this user (or of this unknown login name).
        #[arg(long = "user", value_name = "USERNAME")]
        user: Option<String>,
        /// Only events at or after this time (RFC 3339).
        #[arg(long, value_name = "RFC3339")]
        since: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration; prints OK or every problem.
    Check {
        /// Validate only this policy file (see docs/policies.md).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum ClientCommand {
    /// Register a client. A generated secret is printed once.
    Add(ClientAddArgs),
    /// List the registered clients (never their secrets).
    List,
    /// Remove a client.
    Remove {
        /// The client_id to remove.
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ClientAddArgs {
    /// The client_id (letters, digits, '.', '_', '-', '~').
    #[arg(long, value_name = "ID")]
    pub id: String,
    /// A client secret of at least 32 characters; generated when omitted.
    #[arg(long, value_name = "S")]
    pub secret: Option<String>,
    /// A redirect URI, exactly as the client will send it (repeatable).
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// A post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// How the client authenticates; `none` makes a public client (PKCE
    /// mandatory).
    #[arg(long, value_enum, default_value_t = AuthMethodArg::ClientSecretBasic)]
    pub auth_method: AuthMethodArg,
    /// The client's public keys (a JWK Set) for private_key_jwt.
    #[arg(long, value_name = "FILE")]
    pub jwks_file: Option<PathBuf>,
    /// `native` allows loopback ports and private-use URI schemes (RFC 8252).
    #[arg(long, value_enum, default_value_t = ApplicationTypeArg::Web)]
    pub application_type: ApplicationTypeArg,
    /// Require pushed authorization requests (RFC 9126).
    #[arg(long)]
    pub require_par: bool,
    /// A display name for consent and logs.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// A grant type the client may use (repeatable); default
    /// authorization_code and refresh_token.
    #[arg(long = "grant-type", value_enum, value_name = "GRANT")]
    pub grant_types: Vec<GrantTypeArg>,
    /// An API scope the client may request beyond the OpenID ones (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// The ID token signing algorithm (default RS256, OIDC Registration 2).
    #[arg(long, value_enum, default_value_t = IdTokenAlgArg::RS256)]
    pub id_token_alg: IdTokenAlgArg,
    /// An assurance level asked for when a request names none (repeatable;
    /// OIDC Registration `default_acr_values`, R-AC-2).
    #[arg(long = "default-acr", value_name = "LEVEL")]
    pub default_acr_values: Vec<String>,
    /// No code is issued to this client for a login below this level (R-AC-2).
    #[arg(long = "minimum-acr", value_name = "LEVEL")]
    pub minimum_acr: Option<String>,
    /// The brand (a folder of themes_dir) the login pages of this client
    /// take (R-OP-2); without it the `[ui] default_brand` applies.
    #[arg(long, value_name = "NAME")]
    pub brand: Option<String>,
    /// Where logout tokens are POSTed when a session of this client ends
    /// (OpenID Back-Channel Logout 1.0 `backchannel_logout_uri`).
    #[arg(long = "backchannel-logout-uri", value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in logout tokens
    /// (`backchannel_logout_session_required`; Pforte always sends it).
    #[arg(long = "backchannel-logout-session-required")]
    pub backchannel_logout_session_required: bool,
    /// A page of the client the logout page loads in a hidden iframe (OpenID
    /// Front-Channel Logout 1.0 `frontchannel_logout_uri`); same scheme, host
    /// and port as a redirect URI.
    #[arg(long = "frontchannel-logout-uri", value_name = "URI")]
    pub frontchannel_logout_uri: Option<String>,
    /// Add `iss` and `sid` to the front-channel logout URI
    /// (`frontchannel_logout_session_required`).
    #[arg(long = "frontchannel-logout-session-required")]
    pub frontchannel_logout_session_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum AuthMethodArg {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

impl From<AuthMethodArg> for ClientAuthMethod {
    fn from(arg: AuthMethodArg) -> Self {
        match arg {
            AuthMethodArg::ClientSecretBasic => Self::ClientSecretBasic,
            AuthMethodArg::ClientSecretPost => Self::ClientSecretPost,
            AuthMethodArg::PrivateKeyJwt => Self::PrivateKeyJwt,
            AuthMethodArg::None => Self::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ApplicationTypeArg {
    Web,
    Native,
}

impl From<ApplicationTypeArg> for ApplicationType {
    fn from(arg: ApplicationTypeArg) -> Self {
        match arg {
            ApplicationTypeArg::Web => Self::Web,
            ApplicationTypeArg::Native => Self::Native,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum GrantTypeArg {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl From<GrantTypeArg> for GrantType {
    fn from(arg: GrantTypeArg) -> Self {
        match arg {
            GrantTypeArg::AuthorizationCode => Self::AuthorizationCode,
            GrantTypeArg::RefreshToken => Self::RefreshToken,
            GrantTypeArg::ClientCredentials => Self::ClientCredentials,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(clippy::upper_case_acronyms)]
pub enum IdTokenAlgArg {
    #[value(name = "RS256")]
    RS256,
    #[value(name = "ES256")]
    ES256,
    #[value(name = "PS256")]
    PS256,
    #[value(name = "EdDSA")]
    EdDSA,
}

impl From<IdTokenAlgArg> for SigningAlg {
    fn from(arg: IdTokenAlgArg) -> Self {
        match arg {
            IdTokenAlgArg::RS256 => Self::RS256,
            IdTokenAlgArg::ES256 => Self::ES256,
            IdTokenAlgArg::PS256 => Self::PS256,
            IdTokenAlgArg::EdDSA => Self::EdDSA,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add(UserAddArgs),
    /// List the accounts (never their password hashes).
    List,
    /// Replace an account's password (under the password policy); lifts a
    /// lock or deactivation.
    SetPassword {
        #[arg(long, value_name = "U")]
        username: String,
        #[arg(long, value_name = "P")]
        password: String,
    },
    /// Lift a running lock.
    Unlock {
        #[arg(value_name = "USERNAME")]
        username: String,
    },
    /// Lift a deactivation (R-LO-2).
    Reactivate {
        #[arg(value_name = "USERNAME")]
        username: String,
    },
    /// Delete an account (R-RC-4): a confirmation to its verified address,
    /// all sessions ended, credentials and personal data erased, its audit
    /// events kept under a pseudonym. Refused while a configured blocker
    /// holds (`deletion.blocked_while`).
    Delete {
        #[arg(value_name = "USERNAME")]
        username: String,
    },
    /// Print state, failures and lock end of an account, its second
    /// factors and the number of unused recovery codes.
    Show {
        #[arg(value_name = "USERNAME")]
        username: String,
    },
    /// Manage an account's second factors (R-OP-1).
    #[command(subcommand)]
    Factors(UserFactorsCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserFactorsCommand {
    /// Remove a factor (e.g. a lost phone); audited. The id is shown by
    /// `pforte user show`.
    Remove {
        #[arg(value_name = "USERNAME")]
        username: String,
        #[arg(value_name = "FACTOR_ID")]
        factor_id: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct UserAddArgs {
    #[arg(long, value_name = "U")]
    pub username: String,
    /// Must satisfy the password policy; hashed with Argon2id (R-PW-1).
    /// Not with --letter, which generates the password.
    #[arg(
        long,
        value_name = "P",
        required_unless_present = "letter",
        conflicts_with = "letter"
    )]
    pub password: Option<String>,
    /// The member (KVNR) the account belongs to: names, address and e-mail
    /// come from the member registry, and the account is linked to the
    /// member (R-PW-3; needs --letter).
    #[arg(long, value_name = "KVNR", requires = "letter")]
    pub member: Option<String>,
    /// Generate a policy-conformant initial password and queue it with the
    /// username in an initial-password letter to the member's address, for
    /// the next `pforte letters export` (R-PW-3). The password is never
    /// printed.
    #[arg(
        long,
        requires = "member",
        conflicts_with_all = ["given_name", "family_name", "email", "totp_secret"]
    )]
    pub letter: bool,
    /// The language of the letter: de (default) or en.
    #[arg(long, value_name = "LANG", default_value = "de", requires = "letter")]
    pub language: String,
    /// The password is an initial one: it must be changed at first login
    /// (R-PW-3).
    #[arg(long)]
    pub initial: bool,
    #[arg(long, value_name = "E")]
    pub email: Option<String>,
    /// Mark the e-mail address as verified.
    #[arg(long)]
    pub email_verified: bool,
    #[arg(long, value_name = "G")]
    pub given_name: Option<String>,
    #[arg(long, value_name = "F")]
    pub family_name: Option<String>,
    /// A phone number in E.164 form, e.g. +4915112345678.
    #[arg(long, value_name = "P")]
    pub phone: Option<String>,
    /// The date of birth, `YYYY-MM-DD`, released as the `birthdate` claim
    /// with the `profile` scope (OIDC Core 5.1).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub birthdate: Option<String>,
    /// A TOTP seed in base32 (at least 128 bits, RFC 4226 4), stored as a
    /// confirmed authenticator-app factor labelled "CLI", sealed with the
    /// master key (R-OP-4).
    #[arg(long, value_name = "BASE32")]
    pub totp_secret: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key per algorithm active; the previous keys stay in
    /// the JWKS until the tokens they signed have expired.
    Rotate,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn r_se_3_a_session_id_starting_with_a_hyphen_is_a_value() {
        let cli = Cli::try_parse_from(["pforte", "session", "end", "--sid", "-r4Xy_Q"]).unwrap();
        match cli.command {
            Command::Session(SessionCommand::End { sid, username }) => {
                assert_eq!(sid.as_deref(), Some("-r4Xy_Q"));
                assert_eq!(username, None);
            }
            other => panic!("parsed as {other:?}"),
        }
    }
}
