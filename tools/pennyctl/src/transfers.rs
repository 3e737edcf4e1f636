//! `pennyctl transfers resync [--after-id N]`: has transfer-events sync its ACH events again
//! and waits until the sync has run. The ledger stays duplicate-free: transfer-events records
//! each event once (unique event id), so re-reading events it has changes nothing.
//!
//! Without `--after-id` it asks for a sync from the service's own cursor (`SyncNow`). With it,
//! `Resync` re-reads every event after `N`, which may be below the cursor (restoring any event
//! missing from the ledger); the service refuses an `N` above its cursor (`INVALID_ARGUMENT`,
//! exit 4: a sync never skips events).

use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use penny_proto::v1 as pb;
use serde_json::json;
use tokio::time::Instant;

use crate::exit::{Exit, Failure};
use crate::output::Output;
use crate::progress;
use crate::services::ServiceArgs;

/// Transfer actions.
#[derive(Subcommand, Debug)]
pub enum TransfersAction {
    /// Sync ACH events from a cursor (Plaid's event_id) and wait for the sync to finish.
    Resync(ResyncArgs),
}

/// The cursor and how long to wait.
#[derive(Args, Debug)]
pub struct ResyncArgs {
    /// Sync events after this event_id, which may be below the service's cursor (default: the
    /// service's own cursor).
    #[arg(long)]
    pub after_id: Option<u64>,
    /// Longest wait for the sync to finish.
    #[arg(long, value_parser = penny_config::parse_duration, default_value = "2m")]
    pub timeout: Duration,
    #[command(flatten)]
    pub services: ServiceArgs,
}

/// Runs `action`.
pub async fn run(action: TransfersAction, out: &mut Output<'_>) -> anyhow::Result<()> {
    let TransfersAction::Resync(args) = action;
    let mut client = args.services.transfer_events().await?;
    let before = client
        .get_sync_state(pb::GetSyncStateRequest {})
        .await?
        .into_inner();
    let (generation, coalesced) = match args.after_id {
        None => {
            let asked = client.sync_now(pb::SyncNowRequest {}).await?.into_inner();
            (asked.generation, asked.coalesced)
        }
        Some(after_id) => {
            let asked = client
                .resync(pb::ResyncRequest { after_id })
                .await
                .context("transfer-events refused the resync")?
                .into_inner();
            (asked.generation, asked.coalesced)
        }
    };
    let after_id = args.after_id.unwrap_or(before.cursor);
    let bar = progress::bar(None, "waiting for the sync", out.json);
    let deadline = Instant::now() + args.timeout;
    let mut delay = Duration::from_millis(50);
    let after = loop {
        let state = client
            .get_sync_state(pb::GetSyncStateRequest {})
            .await?
            .into_inner();
        if state.served_generation >= generation {
            break state;
        }
        if Instant::now() >= deadline {
            return Err(Failure::error(
                Exit::Unavailable,
                format!(
                    "the sync did not finish within {:?} (served generation {}, asked {}; last error: {})",
                    args.timeout, state.served_generation, generation, state.last_error
                ),
            ));
        }
        bar.tick();
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(1));
    };
    bar.finish_and_clear();
    let recorded = after.events_recorded.saturating_sub(before.events_recorded);
    let value = json!({
        "after_id": after_id,
        "generation": generation,
        "coalesced": coalesced,
        "cursor_before": before.cursor,
        "cursor_after": after.cursor,
        "events_recorded": recorded,
        "last_error": after.last_error,
    });
    out.emit(&value, |w| {
        writeln!(
            w,
            "synced after event {after_id}: cursor {} → {}, {} event(s) recorded (events already recorded are never recorded twice)",
            before.cursor, after.cursor, recorded
        )
    })
    .context("writing the result")
}
