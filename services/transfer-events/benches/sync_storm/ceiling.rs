//! The ceiling: how fast the sandbox serves the feed's pages to one client that does nothing
//! with them (`/bank_transfer/event/sync`, `count` 25, from 0 until a short page), measured in
//! the same round, on the same sandbox, before the replicas start.

use std::time::Instant;

use penny_plaid::PlaidClient;
use serde::Serialize;

/// One pass over the feed.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Ceiling {
    /// Events read.
    pub events: u64,
    /// Pages read.
    pub pages: u64,
    /// Wall time.
    pub seconds: f64,
    /// Events per second.
    pub events_per_sec: f64,
}

/// Plaid's maximum page of `/bank_transfer/event/sync`, as the service uses.
const COUNT: u32 = 25;

/// Pages the whole feed once.
pub async fn measure(plaid: &PlaidClient) -> anyhow::Result<Ceiling> {
    let started = Instant::now();
    let (mut after, mut events, mut pages) = (0u64, 0u64, 0u64);
    loop {
        let page = plaid.bank_transfer_event_sync(after, Some(COUNT)).await?;
        pages += 1;
        let n = page.bank_transfer_events.len();
        events += n as u64;
        if let Some(last) = page.bank_transfer_events.iter().map(|e| e.event_id).max() {
            after = last;
        }
        if n < COUNT as usize {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Ceiling {
        events,
        pages,
        seconds,
        events_per_sec: events as f64 / seconds.max(1e-9),
    })
}
