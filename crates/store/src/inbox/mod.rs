//! The inbox: which consumed messages a service has already processed, so a redelivered or
//! repeated message changes nothing the second time ("recorded once", "never twice").
//!
//! A handler asks [`seen`] before doing work and [`record`]s the message in the same database
//! transaction as the work's effects, so a crash before the commit leaves no record (the
//! message is processed again) and a crash after it leaves one (the redelivery is recognised).
//! Two concurrent deliveries of one stream message collide on the unique key
//! `(consumer, key, stream_sequence)`: the second commit fails with a unique violation
//! ([`crate::is_unique_violation`]) and rolls back.
//!
//! A message is a repeat of a recorded one when they have the same key (a body hash, an event
//! id) and either
//! - the same stream sequence: a redelivery, recognised however late it comes; or
//! - were received within the caller's window of each other (for senders that retry with the
//!   same bytes as new messages, like Plaid's webhook retries). A zero window means only
//!   redeliveries count.
//!
//! Each entry also says what the message was (`kind`), what it concerned (`aggregate_id`,
//! `entity_id`), and the outcome, which makes the inbox the audit log of what a service
//! consumed. [`prune`] deletes entries older than a retention the caller chooses (keep them
//! longer than the stream keeps messages, or a redelivery of an old message would be
//! processed again).

mod entity;
mod migration;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, NotSet, QueryFilter, QueryOrder, Set,
};

pub use entity::{ActiveModel, Column, Entity, Model};
pub use migration::Migration;

/// One processed message, as [`record`] writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxEntry {
    /// Whose inbox: the consumer that processed it (a service may consume several feeds).
    pub consumer: String,
    /// What identifies the message across redeliveries and resends (a body hash, an event id).
    pub key: String,
    /// Its stream sequence (`None` for a direct call).
    pub stream_sequence: Option<u64>,
    /// When it was received (the window is measured between receipt times).
    pub received_at: DateTime<Utc>,
    /// What it was, e.g. `AUTH/AUTOMATICALLY_VERIFIED` or `account.verified`.
    pub kind: String,
    /// The aggregate it concerned (an Item, a user), for audit and timelines.
    pub aggregate_id: Option<String>,
    /// The entity within it (an account), for audit and timelines.
    pub entity_id: Option<String>,
    /// What processing did: `applied`, `ignored`, `unhandled`, ...
    pub outcome: String,
    /// Why, when the outcome needs explaining.
    pub detail: Option<String>,
}

/// What [`seen`] looks for.
#[derive(Clone, Copy, Debug)]
pub struct Lookup<'a> {
    /// Whose inbox.
    pub consumer: &'a str,
    /// The message's key.
    pub key: &'a str,
    /// This delivery's stream sequence (`None` for a direct call).
    pub stream_sequence: Option<u64>,
    /// When this message was received.
    pub received_at: DateTime<Utc>,
    /// Repeats received within this long count (zero: only redeliveries).
    pub window: Duration,
}

/// The recorded entry `lookup` repeats, if any (see the module docs).
pub async fn seen(db: &impl ConnectionTrait, lookup: &Lookup<'_>) -> Result<Option<Model>, DbErr> {
    let window = TimeDelta::from_std(lookup.window).unwrap_or(TimeDelta::MAX);
    let from = lookup
        .received_at
        .checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let to = lookup
        .received_at
        .checked_add_signed(window)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut same = Condition::any();
    if !lookup.window.is_zero() {
        same = same.add(Column::ReceivedAt.between(from, to));
    }
    if let Some(seq) = lookup.stream_sequence.and_then(|s| i64::try_from(s).ok()) {
        same = same.add(Column::StreamSequence.eq(seq));
    }
    if same.is_empty() {
        return Ok(None);
    }
    Entity::find()
        .filter(Column::Consumer.eq(lookup.consumer))
        .filter(Column::Key.eq(lookup.key))
        .filter(same)
        .order_by_desc(Column::ReceivedAt)
        .one(db)
        .await
}

/// For each of `lookups` (all of one consumer), the recorded entry it repeats, if any: one query
/// for all of them (a batch of messages checks its duplicates at once).
pub async fn seen_many(
    db: &impl ConnectionTrait,
    lookups: &[Lookup<'_>],
) -> Result<Vec<Option<Model>>, DbErr> {
    let Some(first) = lookups.first() else {
        return Ok(Vec::new());
    };
    let keys: Vec<&str> = lookups.iter().map(|l| l.key).collect();
    let candidates = Entity::find()
        .filter(Column::Consumer.eq(first.consumer))
        .filter(Column::Key.is_in(keys))
        .order_by_desc(Column::ReceivedAt)
        .all(db)
        .await?;
    Ok(lookups
        .iter()
        .map(|lookup| {
            candidates
                .iter()
                .find(|c| c.key == lookup.key && repeats(c, lookup))
                .cloned()
        })
        .collect())
}

/// Whether recorded entry `c` (with the same key) is repeated by `lookup`: the same stream
/// message, or received within the window.
fn repeats(c: &Model, lookup: &Lookup<'_>) -> bool {
    let same_message = lookup
        .stream_sequence
        .and_then(|s| i64::try_from(s).ok())
        .is_some_and(|seq| c.stream_sequence == Some(seq));
    let window = TimeDelta::from_std(lookup.window).unwrap_or(TimeDelta::MAX);
    let within = !lookup.window.is_zero() && (c.received_at - lookup.received_at).abs() <= window;
    same_message || within
}

/// Records `entries` as processed at `now` through `txn`, in one statement. Fails with a unique
/// violation when one of them was recorded concurrently (the caller's transaction rolls back).
pub async fn record_many(
    txn: &impl ConnectionTrait,
    entries: Vec<InboxEntry>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows = entries.into_iter().map(|entry| active(entry, now));
    Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

fn active(entry: InboxEntry, now: DateTime<Utc>) -> ActiveModel {
    ActiveModel {
        id: NotSet,
        consumer: Set(entry.consumer),
        key: Set(entry.key),
        stream_sequence: Set(entry.stream_sequence.and_then(|s| i64::try_from(s).ok())),
        received_at: Set(entry.received_at),
        processed_at: Set(now),
        kind: Set(entry.kind),
        aggregate_id: Set(entry.aggregate_id),
        entity_id: Set(entry.entity_id),
        outcome: Set(entry.outcome),
        detail: Set(entry.detail),
    }
}

/// Records `entry` as processed at `now` through `txn` (the caller's transaction). Fails with
/// a unique violation when the same stream message was recorded concurrently.
pub async fn record(
    txn: &impl ConnectionTrait,
    entry: InboxEntry,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Entity::insert(active(entry, now))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Deletes `consumer`'s entries received more than `older_than` ago; returns how many.
pub async fn prune(
    db: &impl ConnectionTrait,
    consumer: &str,
    older_than: Duration,
) -> Result<u64, DbErr> {
    let age = TimeDelta::from_std(older_than)
        .map_err(|err| DbErr::Custom(format!("inbox retention out of range: {err}")))?;
    let cutoff = Utc::now() - age;
    let result = Entity::delete_many()
        .filter(Column::Consumer.eq(consumer))
        .filter(Column::ReceivedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Prunes `consumer`'s inbox every `every`, keeping `keep`, until `shutdown` is cancelled. A
/// failure is logged and tried again next time: nothing depends on it but the table's size.
pub async fn prune_periodically(
    db: sea_orm::DatabaseConnection,
    consumer: String,
    keep: Duration,
    every: Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        match prune(&db, &consumer, keep).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, consumer, "pruned old inbox entries"),
            Err(error) => tracing::warn!(%error, consumer, "could not prune the inbox"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
