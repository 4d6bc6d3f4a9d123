//! Registration (R-ID-4, R-RG-1, R-RG-4, R-RG-6): the link of an account to
//! its member, the activation codes sent by post and the agents' invitations.
//!
//! * `member_links`: one row per registered account (the account id is the
//!   key) and at most one per member (`kvnr_digest` is unique), with the
//!   lifecycle stage and how the identity was proven. Deleting the account
//!   deletes its link, which frees the member for a new registration.
//! * `activation_codes`: the keyed digest of the one valid activation code of
//!   an account (R-RG-4). A new code replaces the row; a used one is deleted.
//! * `invitations`: the keyed digest of an agent's invitation token bound to
//!   a member (R-RG-6), single use (`used_at`) and expiring.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MemberLinks {
    Table,
    AccountId,
    KvnrDigest,
    Stage,
    Proofing,
    RegisteredAt,
    ActivatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ActivationCodes {
    Table,
    AccountId,
    CodeDigest,
    IssuedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    TokenDigest,
    KvnrDigest,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    AccountId,
}

const KVNR_DIGEST_INDEX: &str = "ux_member_links_kvnr_digest";
const INVITATION_MEMBER_INDEX: &str = "ix_invitations_kvnr_digest";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MemberLinks::Table)
                    .col(uuid(MemberLinks::AccountId).primary_key())
                    .col(string(MemberLinks::KvnrDigest))
                    .col(string(MemberLinks::Stage))
                    .col(string(MemberLinks::Proofing))
                    .col(timestamp_with_time_zone(MemberLinks::RegisteredAt))
                    .col(timestamp_with_time_zone_null(MemberLinks::ActivatedAt))
                    .col(timestamp_with_time_zone(MemberLinks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_member_links_account")
                            .from(MemberLinks::Table, MemberLinks::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(KVNR_DIGEST_INDEX)
                    .table(MemberLinks::Table)
                    .col(MemberLinks::KvnrDigest)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActivationCodes::Table)
                    .col(uuid(ActivationCodes::AccountId).primary_key())
                    .col(string(ActivationCodes::CodeDigest))
                    .col(timestamp_with_time_zone(ActivationCodes::IssuedAt))
                    .col(timestamp_with_time_zone(ActivationCodes::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_activation_codes_account")
                            .from(ActivationCodes::Table, ActivationCodes::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(string(Invitations::TokenDigest).primary_key())
                    .col(string(Invitations::KvnrDigest))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::UsedAt))
                    .col(uuid_null(Invitations::AccountId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invitations_account")
                            .from(Invitations::Table, Invitations::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INVITATION_MEMBER_INDEX)
                    .table(Invitations::Table)
                    .col(Invitations::KvnrDigest)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Invitations::Table.into_iden(),
            ActivationCodes::Table.into_iden(),
            MemberLinks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
