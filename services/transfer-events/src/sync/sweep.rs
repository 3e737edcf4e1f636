//! The periodic sweep: a sync request every `interval` (and one at start), with no poke,
//! because Plaid can lose webhooks and has no replay. It coalesces like a poke: during a storm
//! it joins the waiting request.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Syncer;
use crate::store::feed::RequestKind;

/// Requests a sync now and every `interval` until `shutdown`.
pub async fn run(syncer: Syncer, interval: Duration, shutdown: CancellationToken) {
    penny_runtime::periodic::every(interval, &shutdown, || async {
        match syncer.request(RequestKind::Sweep).await {
            Ok(r) => tracing::debug!(
                generation = r.generation,
                new = r.new_request,
                "sweep requested a sync"
            ),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "sweep could not request a sync");
            }
        }
    })
    .await;
}
