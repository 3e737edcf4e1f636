//! One page of a feed from Plaid: `/bank_transfer/event/sync` (no `has_more`: a page shorter
//! than `count` is the last) or `/transfer/event/sync` (`has_more`). The shared client retries
//! 429/5xx/timeouts with its backoff; what still fails is the caller's.

use penny_plaid::{PlaidClient, PlaidError};

use crate::domain::{AchEvent, Feed};

/// A fetched page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// Its events, ascending, each after the cursor it was fetched from.
    pub events: Vec<AchEvent>,
    /// Whether it is the last page for now.
    pub last: bool,
}

/// Up to `count` events of `feed` after `after`.
pub async fn fetch(
    plaid: &PlaidClient,
    feed: Feed,
    after: u64,
    count: u32,
) -> Result<Fetched, PlaidError> {
    let (mut events, last) = match feed {
        Feed::BankTransfer => {
            let page = plaid.bank_transfer_event_sync(after, Some(count)).await?;
            let n = page.bank_transfer_events.len();
            let events: Vec<_> = page
                .bank_transfer_events
                .iter()
                .map(AchEvent::from_bank_transfer)
                .collect();
            (events, n < count as usize)
        }
        Feed::Transfer => {
            let page = plaid.transfer_event_sync(after, Some(count)).await?;
            let last = !page.has_more || page.transfer_events.is_empty();
            let events: Vec<_> = page
                .transfer_events
                .iter()
                .map(AchEvent::from_transfer)
                .collect();
            (events, last)
        }
    };
    let before = events.len();
    // Plaid pages after `after`, in order; anything else would already be stored.
    events.retain(|e| e.event_id > after);
    events.sort_by_key(|e| e.event_id);
    events.dedup_by_key(|e| e.event_id);
    if events.len() != before {
        tracing::warn!(
            after,
            dropped = before - events.len(),
            "Plaid returned events at or before the cursor, or twice; kept one of each after it"
        );
    }
    Ok(Fetched { events, last })
}
