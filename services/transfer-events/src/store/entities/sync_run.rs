//! `sync_runs`: every sync, for operators and tests: who ran it under which lease token, from
//! which cursor to which, and how it ended. Written in the sync's own fenced transactions.

use sea_orm::entity::prelude::*;

/// One sync.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub feed: String,
    /// The lease token (fencing token) it ran under.
    pub token: i64,
    /// The replica.
    pub holder: String,
    /// The request generation it serves.
    pub generation: i64,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub from_cursor: i64,
    pub to_cursor: i64,
    pub pages: i64,
    pub events: i64,
    /// `running`, `completed`, `failed`.
    pub outcome: String,
    pub error: Option<String>,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
