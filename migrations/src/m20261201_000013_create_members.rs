//! The member registry (R-ID-4, R-RG-1, R-FA-1): one row per insured person of
//! the insurer, written by `pforte members import`.
//!
//! Personal data is sealed with the master key (R-OP-4): the KVNR appears only
//! as a keyed digest (the primary key, so registration finds a member by the
//! number typed in), the rest is one sealed blob bound to that digest. The
//! membership dates stay in clear for the job that ends accounts with the
//! membership, and a co-insured person points at the main member's digest.
//! `content_digest` tells an unchanged row apart without opening it, which
//! makes a repeated import a no-op.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Members {
    Table,
    KvnrDigest,
    Sealed,
    ContentDigest,
    MembershipStart,
    MembershipEnd,
    MainMemberDigest,
    CreatedAt,
    UpdatedAt,
}

const MAIN_MEMBER_INDEX: &str = "ix_members_main_member_digest";
const MEMBERSHIP_END_INDEX: &str = "ix_members_membership_end";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(string(Members::KvnrDigest).primary_key())
                    .col(blob(Members::Sealed))
                    .col(string(Members::ContentDigest))
                    .col(date(Members::MembershipStart))
                    .col(date_null(Members::MembershipEnd))
                    .col(string_null(Members::MainMemberDigest))
                    .col(timestamp_with_time_zone(Members::CreatedAt))
                    .col(timestamp_with_time_zone(Members::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(MAIN_MEMBER_INDEX)
                    .table(Members::Table)
                    .col(Members::MainMemberDigest)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(MEMBERSHIP_END_INDEX)
                    .table(Members::Table)
                    .col(Members::MembershipEnd)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Members::Table).to_owned())
            .await
    }
}
