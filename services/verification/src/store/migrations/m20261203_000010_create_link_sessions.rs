//! Creates the Link funnel's tables: `link_sessions` (one row per Link session), `link_events`
//! (each forwarded callback once: unique per session and event key) and
//! `link_session_accounts` (the accounts a session's onSuccess listed, for timelines).

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LinkSessions {
    Table,
    LinkSessionId,
    UserId,
    Flow,
    FirstEventAt,
    LastEventAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LinkEvents {
    Table,
    Id,
    LinkSessionId,
    EventKey,
    Callback,
    EventName,
    ViewName,
    OccurredAt,
    InstitutionId,
    MfaType,
    ErrorType,
    ErrorCode,
    ExitStatus,
    RequestId,
    Accounts,
    RecordedAt,
}

#[derive(DeriveIden)]
enum LinkSessionAccounts {
    Table,
    LinkSessionId,
    AccountId,
    VerificationStatus,
    LinkedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LinkSessions::Table)
                    .if_not_exists()
                    .col(string(LinkSessions::LinkSessionId).primary_key())
                    .col(string(LinkSessions::UserId))
                    .col(string_null(LinkSessions::Flow))
                    .col(timestamp_with_time_zone(LinkSessions::FirstEventAt))
                    .col(timestamp_with_time_zone(LinkSessions::LastEventAt))
                    .col(timestamp_with_time_zone(LinkSessions::CreatedAt))
                    .col(timestamp_with_time_zone(LinkSessions::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_link_sessions_first_event_at")
                    .table(LinkSessions::Table)
                    .col(LinkSessions::FirstEventAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LinkEvents::Table)
                    .if_not_exists()
                    .col(big_pk_auto(LinkEvents::Id))
                    .col(string(LinkEvents::LinkSessionId))
                    .col(string(LinkEvents::EventKey))
                    .col(string(LinkEvents::Callback))
                    .col(string(LinkEvents::EventName))
                    .col(string(LinkEvents::ViewName))
                    .col(timestamp_with_time_zone(LinkEvents::OccurredAt))
                    .col(string(LinkEvents::InstitutionId))
                    .col(string(LinkEvents::MfaType))
                    .col(string(LinkEvents::ErrorType))
                    .col(string(LinkEvents::ErrorCode))
                    .col(string(LinkEvents::ExitStatus))
                    .col(string(LinkEvents::RequestId))
                    .col(text_null(LinkEvents::Accounts))
                    .col(timestamp_with_time_zone(LinkEvents::RecordedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("uq_link_events_session_key")
                    .table(LinkEvents::Table)
                    .col(LinkEvents::LinkSessionId)
                    .col(LinkEvents::EventKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LinkSessionAccounts::Table)
                    .if_not_exists()
                    .col(string(LinkSessionAccounts::LinkSessionId))
                    .col(string(LinkSessionAccounts::AccountId))
                    .col(string(LinkSessionAccounts::VerificationStatus))
                    .col(timestamp_with_time_zone(LinkSessionAccounts::LinkedAt))
                    .primary_key(
                        Index::create()
                            .col(LinkSessionAccounts::LinkSessionId)
                            .col(LinkSessionAccounts::AccountId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_link_session_accounts_account_id")
                    .table(LinkSessionAccounts::Table)
                    .col(LinkSessionAccounts::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LinkSessionAccounts::Table.into_iden(),
            LinkEvents::Table.into_iden(),
            LinkSessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
