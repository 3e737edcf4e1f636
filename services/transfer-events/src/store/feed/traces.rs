//! The trace contexts of the pokes a generation serves: recorded with the request (in its
//! transaction, under the feed row's lock), read when a sync takes the generation, deleted when
//! it is served.
//!
//! **Bounded.** At most [`KEPT`] (128) `traceparent`s per generation; further pokes are counted
//! in `dropped`. 128 is OpenTelemetry's default limit of links per span (the SDK would drop the
//! rest anyway), and a poke storm (10,000 pokes coalesced into a handful of generations) must not
//! turn into megabytes of rows or a span no backend accepts. The sync span records how many it
//! could not link, so nothing is silently missing.

use anyhow::Context as _;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel as _,
    QueryFilter, QueryOrder, Set,
};

use crate::domain::Feed;
use crate::store::entities::poke_traces;
use crate::store::{from_db, to_db};

/// Most trace contexts kept per generation, and linked per sync.
pub const KEPT: usize = 128;

/// The pokes' trace contexts a sync serves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PokeTraces {
    /// W3C `traceparent`s, at most [`KEPT`], in the order the pokes were recorded.
    pub traceparents: Vec<String>,
    /// Pokes served whose trace context was not kept.
    pub dropped: u64,
}

/// Adds `traceparents` to `generation`'s row (the caller holds the feed row's lock), keeping the
/// first [`KEPT`] and counting the rest.
pub async fn record(
    txn: &impl ConnectionTrait,
    feed: Feed,
    generation: i64,
    traceparents: &[String],
) -> anyhow::Result<()> {
    if traceparents.is_empty() {
        return Ok(());
    }
    let existing = poke_traces::Entity::find_by_id((feed.as_str().to_owned(), generation))
        .one(txn)
        .await
        .context("reading a generation's poke traces")?;
    let (mut kept, dropped) = match &existing {
        Some(row) => (parse(&row.traceparents), from_db(row.dropped)),
        None => (Vec::new(), 0),
    };
    let room = KEPT.saturating_sub(kept.len()).min(traceparents.len());
    kept.extend_from_slice(&traceparents[..room]);
    let dropped = to_db(dropped + (traceparents.len() - room) as u64)?;
    let json = serde_json::to_string(&kept).context("serialising poke traces")?;
    match existing {
        Some(row) => {
            let mut row = row.into_active_model();
            row.traceparents = Set(json);
            row.dropped = Set(dropped);
            row.update(txn).await
        }
        None => {
            poke_traces::ActiveModel {
                feed: Set(feed.as_str().to_owned()),
                generation: Set(generation),
                traceparents: Set(json),
                dropped: Set(dropped),
            }
            .insert(txn)
            .await
        }
    }
    .context("writing a generation's poke traces")?;
    Ok(())
}

/// The trace contexts of generations `after + 1 ..= upto` (a sync serves every generation since
/// the last one served), the first [`KEPT`] of them, the rest counted.
pub async fn of(
    txn: &impl ConnectionTrait,
    feed: Feed,
    after: i64,
    upto: i64,
) -> anyhow::Result<PokeTraces> {
    let rows = poke_traces::Entity::find()
        .filter(poke_traces::Column::Feed.eq(feed.as_str()))
        .filter(poke_traces::Column::Generation.gt(after))
        .filter(poke_traces::Column::Generation.lte(upto))
        .order_by_asc(poke_traces::Column::Generation)
        .all(txn)
        .await
        .context("reading the poke traces of a sync")?;
    let mut out = PokeTraces::default();
    for row in rows {
        out.dropped += from_db(row.dropped);
        for traceparent in parse(&row.traceparents) {
            if out.traceparents.len() < KEPT {
                out.traceparents.push(traceparent);
            } else {
                out.dropped += 1;
            }
        }
    }
    Ok(out)
}

/// Deletes the rows of generations up to `served` (in the transaction that serves it).
pub async fn forget(txn: &impl ConnectionTrait, feed: Feed, served: i64) -> anyhow::Result<()> {
    poke_traces::Entity::delete_many()
        .filter(poke_traces::Column::Feed.eq(feed.as_str()))
        .filter(poke_traces::Column::Generation.lte(served))
        .exec(txn)
        .await
        .context("deleting served poke traces")?;
    Ok(())
}

/// A stored array; a row that does not parse (never written so) links nothing.
fn parse(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}
