//! `sync_feed`: one row per Plaid feed: the cursor, the fence, the sync requests and the
//! counters `GetSyncState` shows. Every change to it is one conditional `UPDATE`.

use sea_orm::entity::prelude::*;

/// The sync state of one feed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_feed")]
pub struct Model {
    /// `bank_transfer` or `transfer`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub feed: String,
    /// The largest `event_id` stored: where the next page starts.
    pub cursor: i64,
    /// The largest lease token the database accepted: writes with a smaller one are refused.
    pub fence: i64,
    /// Sync requests made (pokes, sweeps, SyncNow), as a generation number.
    pub requested: i64,
    /// The generation the latest sync took when it started.
    pub taken: i64,
    /// The generation the latest completed sync served.
    pub served: i64,
    /// When the oldest request not yet served was made.
    pub pending_since: Option<DateTimeUtc>,
    /// When the request after `taken` was made.
    pub bumped_at: Option<DateTimeUtc>,
    pub pokes_received: i64,
    /// Pokes that joined a request already pending.
    pub pokes_coalesced: i64,
    pub last_poke_at: Option<DateTimeUtc>,
    pub syncs_run: i64,
    pub sync_failures: i64,
    pub pages_fetched: i64,
    pub events_recorded: i64,
    /// Events of accounts not linked when recorded.
    pub unknown_account_events: i64,
    pub last_sync_started_at: Option<DateTimeUtc>,
    pub last_sync_finished_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// The earliest cursor a `Resync` asked for that no sync has taken yet (below `cursor`).
    pub resync_after: Option<i64>,
    /// Where the running (or interrupted) resync re-reads from next; `None` when none runs.
    pub replay_at: Option<i64>,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
