//! One round on a fresh stack: the sandbox's feed filled in bulk, the ceiling measured, the
//! replicas started, the pokes sent, and the drain timed until every event is stored and every
//! poke handled (then until every domain event is published). The ledger is checked (events
//! `1..=N`, no gap, no duplicate) so a fast wrong answer cannot pass.

use std::time::{Duration, Instant};

use penny_proto::v1 as pb;
use penny_testkit::{Advance, BulkItems, DbKind, DepositShape, EventFeed, poll_until};
use serde::Serialize;

use crate::ceiling::{self, Ceiling};
use crate::say;
use crate::settings::Settings;
use crate::support::{POKE_CONSUMER, ledger, spawn_on, start_stack};

/// A replica's typed client (what `TestApp::client` returns).
type Client = pb::transfer_events_service_client::TransferEventsServiceClient<
    tonic::service::interceptor::InterceptedService<
        tonic::transport::Channel,
        penny_testkit::Bearer,
    >,
>;

/// The longest a drain may take before the round fails.
const DRAIN_DEADLINE: Duration = Duration::from_secs(1800);

/// What one round measured.
#[derive(Clone, Debug, Serialize)]
pub struct Round {
    /// Filling the sandbox (Items created and their deposits posted).
    pub setup_seconds: f64,
    /// The sandbox serving the feed to one idle client.
    pub ceiling: Ceiling,
    /// From the first poke sent until the last one was in `PLAID_WEBHOOKS` (signed by the
    /// sandbox, verified and published by ingress).
    pub poke_seconds: f64,
    /// From the first poke sent until every event was stored.
    pub recorded_seconds: f64,
    /// From the first poke sent until every event was stored, every poke handled and every
    /// request served (the pokes ingress refused under the burst come back on Plaid's retry
    /// schedule: 30 s, then 2 min).
    pub drain_seconds: f64,
    /// Events stored per second, over `recorded_seconds`.
    pub events_per_sec: f64,
    /// `events_per_sec` over the ceiling's.
    pub ratio_to_ceiling: f64,
    /// From the first poke until every domain event (one `posted` per deposit) was in
    /// `PENNY_EVENTS`.
    pub published_seconds: f64,
    /// Syncs completed.
    pub syncs_run: u64,
    /// Pokes received (redeliveries included) and, of those, coalesced into a waiting request.
    pub pokes_received: u64,
    /// Pokes that joined a waiting request.
    pub pokes_coalesced: u64,
    /// Pages fetched by the syncs.
    pub pages_fetched: u64,
}

/// Runs one round on `kind`.
pub async fn run(settings: &Settings, kind: DbKind) -> anyhow::Result<Round> {
    let stack = start_stack(kind).await?;
    let started = Instant::now();
    stack
        .control
        .create_items(&BulkItems {
            count: usize::try_from(settings.events / 2)?,
            deposit_shape: Some(DepositShape::Single),
            feed: Some(EventFeed::BankTransfer),
            ids: Some(false),
            ..BulkItems::default()
        })
        .await?;
    stack
        .control
        .advance_transfers(&Advance::to("posted"))
        .await?;
    let setup_seconds = started.elapsed().as_secs_f64();
    let total = stack.control.transfer_counts().await?.bank_transfer.events;
    anyhow::ensure!(total == settings.events, "the sandbox holds {total} events");

    let ceiling = ceiling::measure(&stack.plaid).await?;
    anyhow::ensure!(ceiling.events == total, "the ceiling pass read {ceiling:?}");
    say(format!(
        "  sandbox filled in {setup_seconds:.1} s; ceiling {:.0} events/s ({} pages in {:.2} s)",
        ceiling.events_per_sec, ceiling.pages, ceiling.seconds
    ));

    let mut replicas = Vec::with_capacity(settings.replicas);
    for _ in 0..settings.replicas {
        replicas.push(spawn_on(&stack, |_| {}).await?);
    }
    let client = replicas[0].client().await?;
    let js = stack.jetstream().await?;

    let t0 = Instant::now();
    let sent = stack
        .control
        .poke(EventFeed::BankTransfer, settings.pokes)
        .await?;
    anyhow::ensure!(sent == settings.pokes, "the sandbox sent {sent} pokes");
    let pokes = u64::from(settings.pokes);
    // The sandbox delivers the pokes by itself: note when the last one reached the stream,
    // while waiting for the drain.
    let arrived = async {
        poll_until(DRAIN_DEADLINE, || {
            let js = js.clone();
            async move {
                let mut stream = js.get_stream(penny_bus::PLAID_WEBHOOKS).await.ok()?;
                let info = stream.info().await.ok()?;
                (info.state.messages >= pokes).then_some(())
            }
        })
        .await
        .map(|()| t0.elapsed().as_secs_f64())
    };
    // When the last event was stored: the sync's throughput, whatever the pokes still do.
    let recorded = async {
        poll_until(DRAIN_DEADLINE, || {
            let client = client.clone();
            async move { (sync_state(client).await?.cursor == total).then_some(()) }
        })
        .await
        .map(|()| t0.elapsed().as_secs_f64())
    };
    let drained = poll_until(DRAIN_DEADLINE, || {
        let client = client.clone();
        async move {
            let s = sync_state(client).await?;
            (s.cursor == total
                && s.served_generation == s.requested_generation
                && s.pokes_received >= pokes)
                .then_some(s)
        }
    });
    let (poke_seconds, recorded_seconds, state) = tokio::join!(arrived, recorded, drained);
    let (poke_seconds, recorded_seconds, state) = (poke_seconds?, recorded_seconds?, state?);
    let drain_seconds = t0.elapsed().as_secs_f64();
    let deposits = total / 2;
    poll_until(DRAIN_DEADLINE, || {
        let js = js.clone();
        async move {
            let mut stream = js.get_stream(penny_bus::PENNY_EVENTS).await.ok()?;
            let info = stream.info().await.ok()?;
            (info.state.messages >= deposits).then_some(())
        }
    })
    .await?;
    let published_seconds = t0.elapsed().as_secs_f64();
    stack
        .wait_consumer_drained(penny_bus::PLAID_WEBHOOKS, POKE_CONSUMER)
        .await?;
    // A fresh read: pokes still in flight at the drain's end are counted too.
    let state = sync_state(client.clone()).await.unwrap_or(state);
    ledger::assert_exactly(&replicas[0].db, "bank_transfer", total).await?;

    let events_per_sec = total as f64 / recorded_seconds.max(1e-9);
    let round = Round {
        setup_seconds,
        ceiling,
        poke_seconds,
        recorded_seconds,
        drain_seconds,
        events_per_sec,
        ratio_to_ceiling: events_per_sec / ceiling.events_per_sec.max(1e-9),
        published_seconds,
        syncs_run: state.syncs_run,
        pokes_received: state.pokes_received,
        pokes_coalesced: state.pokes_coalesced,
        pages_fetched: state.pages_fetched,
    };
    say(format!(
        "  recorded in {recorded_seconds:.2} s ({events_per_sec:.0} events/s, {:.3} of the \
         ceiling), drained in {drain_seconds:.2} s, {} syncs for {} pokes (in the stream after \
         {poke_seconds:.2} s), published in {published_seconds:.2} s",
        round.ratio_to_ceiling, round.syncs_run, round.pokes_received
    ));
    for replica in replicas {
        replica.stop().await?;
    }
    drop(client);
    // The replicas are stopped, so this is the last handle; otherwise dropping it stops it.
    if let Ok(stack) = std::sync::Arc::try_unwrap(stack) {
        stack.stop().await?;
    }
    Ok(round)
}

/// `GetSyncState` (`None` when the call fails: polls try again).
async fn sync_state(mut client: Client) -> Option<pb::SyncState> {
    Some(
        client
            .get_sync_state(pb::GetSyncStateRequest {})
            .await
            .ok()?
            .into_inner(),
    )
}
