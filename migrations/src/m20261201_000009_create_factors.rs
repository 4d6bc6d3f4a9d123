//! Second factors, recovery codes, one-time code challenges and terms
//! acceptance (R-MF-1 … R-MF-3, R-RG-7).
//!
//! * `account_factors`: one row per enrolled (or being enrolled) factor.
//!   Secrets are sealed by the caller (R-OP-4); `last_totp_step` is moved
//!   only forward by one conditional update, so a TOTP code is never accepted
//!   twice, also across nodes (R-MF-3).
//! * `recovery_codes`: keyed digests of the one-time recovery codes; the
//!   primary key (account, digest) makes a code exist once per account, and
//!   `used_at` is set by one conditional update.
//! * `code_challenges`: the code sent by SMS or e-mail, as a digest, with its
//!   remaining tries. At most one per account and purpose (unique index), so a
//!   resent code replaces the old one. No foreign key to `accounts`: a
//!   challenge is short-lived, purged by time, and must not make an account
//!   deletion wait for it.
//! * `terms_acceptances`: which terms version an account accepted and when, a
//!   table of its own rather than two columns on `accounts`: every accepted
//!   version stays on record (the operator can show which text a user agreed
//!   to and when), and the account record the other ports read and write is
//!   left unchanged.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AccountFactors {
    Table,
    Id,
    AccountId,
    Method,
    Label,
    SecretSealed,
    PublicData,
    Confirmed,
    LastTotpStep,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    AccountId,
    Digest,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CodeChallenges {
    Table,
    Id,
    AccountId,
    Purpose,
    Method,
    FactorId,
    CodeDigest,
    SentAt,
    ExpiresAt,
    AttemptsLeft,
}

#[derive(DeriveIden)]
enum TermsAcceptances {
    Table,
    Id,
    AccountId,
    Version,
    AcceptedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountFactors::Table)
                    .col(uuid(AccountFactors::Id).primary_key())
                    .col(uuid(AccountFactors::AccountId))
                    .col(string(AccountFactors::Method))
                    .col(string(AccountFactors::Label))
                    .col(blob_null(AccountFactors::SecretSealed))
                    .col(text_null(AccountFactors::PublicData))
                    .col(boolean(AccountFactors::Confirmed).default(false))
                    .col(big_integer_null(AccountFactors::LastTotpStep))
                    .col(timestamp_with_time_zone(AccountFactors::CreatedAt))
                    .col(timestamp_with_time_zone_null(AccountFactors::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_factors_account")
                            .from(AccountFactors::Table, AccountFactors::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_account_factors_account")
                    .table(AccountFactors::Table)
                    .col(AccountFactors::AccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(uuid(RecoveryCodes::AccountId))
                    .col(string(RecoveryCodes::Digest))
                    .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                    .col(timestamp_with_time_zone(RecoveryCodes::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_recovery_codes")
                            .col(RecoveryCodes::AccountId)
                            .col(RecoveryCodes::Digest),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_recovery_codes_account")
                            .from(RecoveryCodes::Table, RecoveryCodes::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CodeChallenges::Table)
                    .col(string(CodeChallenges::Id).primary_key())
                    .col(uuid(CodeChallenges::AccountId))
                    .col(string(CodeChallenges::Purpose))
                    .col(string(CodeChallenges::Method))
                    .col(uuid_null(CodeChallenges::FactorId))
                    .col(string(CodeChallenges::CodeDigest))
                    .col(timestamp_with_time_zone(CodeChallenges::SentAt))
                    .col(timestamp_with_time_zone(CodeChallenges::ExpiresAt))
                    .col(integer(CodeChallenges::AttemptsLeft))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_code_challenges_account_purpose")
                    .table(CodeChallenges::Table)
                    .col(CodeChallenges::AccountId)
                    .col(CodeChallenges::Purpose)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_code_challenges_expires_at")
                    .table(CodeChallenges::Table)
                    .col(CodeChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TermsAcceptances::Table)
                    .col(
                        big_integer(TermsAcceptances::Id)
                            .primary_key()
                            .auto_increment(),
                    )
                    .col(uuid(TermsAcceptances::AccountId))
                    .col(string(TermsAcceptances::Version))
                    .col(timestamp_with_time_zone(TermsAcceptances::AcceptedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_terms_acceptances_account")
                            .from(TermsAcceptances::Table, TermsAcceptances::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_terms_acceptances_account")
                    .table(TermsAcceptances::Table)
                    .col(TermsAcceptances::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TermsAcceptances::Table.into_iden(),
            CodeChallenges::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            AccountFactors::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
