//! One sync's trace, exported over OTLP to testkit's receiver: the `transfer_events.sync` span
//! is a root with a span link to every poke it served (the `consume` span of each delivery,
//! each in the trace ingress started for its webhook); the events it recorded carry its trace
//! id; and the `outbox.publish` of each deposit event it announced is its child, so the
//! notifier's consume of `penny.event.deposit.*` continues it.
//!
//! In-process, one database (SQLite): the test installs the global subscriber with the OTLP
//! exporter (nextest runs each test in its own process), then holds the sync lease while the
//! pokes arrive so that they all join one generation and one sync serves them.

use std::collections::BTreeSet;
use std::time::Duration;

use penny_bus::kv::LeaseBucket;
use penny_testkit::{DeliveryOutcome, EventFeed, OtlpReceiver, ReceivedSpan};
use tokio::time::Instant;

use crate::support::{
    DbKind, POKE_CONSUMER, SYNCED_WITHIN, Stack, TestApp, ledger, posted_items, spawn_on,
    start_stack, wait_synced,
};

/// The pokes sent through ingress.
const POKES: u32 = 3;
/// How long the batch exporter may take to hand spans over (it exports every 5 s).
const EXPORTED_WITHIN: Duration = Duration::from_secs(30);

/// Holds `lease` (renewing it) until every BANK_TRANSFERS poke the sandbox sent is delivered
/// and recorded; returns the number recorded.
async fn pokes_recorded_while_held(
    stack: &Stack,
    app: &TestApp,
    lease: &mut penny_bus::kv::Lease,
) -> anyhow::Result<u64> {
    let deadline = Instant::now() + SYNCED_WITHIN;
    loop {
        lease.renew().await?;
        let attempts = stack
            .control
            .webhook_attempts("BANK_TRANSFERS_EVENTS_UPDATE")
            .await?;
        let delivered = attempts
            .iter()
            .filter(|a| a.outcome == DeliveryOutcome::Delivered)
            .count() as u64;
        let state = app.sync_state().await?;
        if delivered >= u64::from(POKES)
            && delivered == attempts.len() as u64
            && state.pokes_received >= delivered
        {
            stack
                .wait_consumer_drained(penny_bus::PLAID_WEBHOOKS, POKE_CONSUMER)
                .await?;
            lease.renew().await?;
            anyhow::ensure!(state.syncs_run == 0, "a sync ran under the test's lease");
            return Ok(app.sync_state().await?.pokes_received);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "pokes not recorded: {delivered} delivered of {} attempts, {} recorded",
            attempts.len(),
            state.pokes_received
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn named<'a>(spans: &'a [ReceivedSpan], name: &str) -> impl Iterator<Item = &'a ReceivedSpan> {
    spans.iter().filter(move |s| s.name == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sync_links_every_poke_it_served_and_its_deposit_events_continue_its_trace()
-> anyhow::Result<()> {
    let receiver = OtlpReceiver::start().await?;
    let _telemetry = penny_telemetry::init(
        "penny-transfer-events",
        &penny_config::TelemetryArgs {
            otlp_endpoint: Some(receiver.endpoint()),
            log_filter: "info,sqlx=warn,sea_orm=warn,h2=warn,hyper=warn,tower=warn".into(),
            ..Default::default()
        },
    )?;
    let stack = start_stack(DbKind::Sqlite).await?;
    let app = spawn_on(&stack, |_| {}).await?;
    let js = stack.jetstream().await?;
    // The replicas' lease (the default bucket, the test config's TTL): while the test holds it,
    // pokes are recorded but no sync starts.
    let leases =
        LeaseBucket::open(&js, penny_bus::kv::LEASE_BUCKET, Duration::from_secs(2), 1).await?;
    let mut lease = leases
        .try_acquire("transfer-events.sync.bank_transfer", "the-test")
        .await?
        .expect("the lease is free");

    let made = posted_items(&stack, 2).await?;
    stack.control.poke(EventFeed::BankTransfer, POKES).await?;
    let recorded = pokes_recorded_while_held(&stack, &app, &mut lease).await?;
    lease.release().await?;
    wait_synced(&stack, &app, 4).await?;
    let state = app.sync_state().await?;
    assert_eq!(state.pokes_received, recorded, "no poke after the release");
    assert_eq!(state.syncs_run, 1, "one sync served every poke");

    // The events carry the sync's trace id.
    let events = app.events_of(&made[0].account_id).await?;
    assert_eq!(events.len(), 2);
    let trace_id = events[0].trace_id.clone();
    assert_eq!(trace_id.len(), 32, "{events:?}");
    assert!(events.iter().all(|e| e.trace_id == trace_id));

    // The sync span: a root in that trace, linked to every poke's consume span.
    let sync = receiver
        .wait_for(EXPORTED_WITHIN, |spans| {
            named(spans, "transfer_events.sync")
                .find(|s| s.trace_id == trace_id)
                .cloned()
        })
        .await?;
    assert_eq!(sync.service, "penny-transfer-events");
    assert!(sync.parent_span_id.is_empty(), "{sync:?}");
    assert_eq!(sync.links.len() as u64, recorded, "{sync:?}");
    let pokes = receiver
        .wait_for(EXPORTED_WITHIN, |spans| {
            let consumed: Vec<&ReceivedSpan> = sync
                .links
                .iter()
                .filter_map(|(trace, span)| {
                    named(spans, "consume").find(|s| &s.trace_id == trace && &s.span_id == span)
                })
                .collect();
            (consumed.len() == sync.links.len())
                .then(|| consumed.into_iter().cloned().collect::<Vec<ReceivedSpan>>())
        })
        .await?;
    let traces: BTreeSet<&str> = pokes.iter().map(|p| p.trace_id.as_str()).collect();
    assert_eq!(traces.len(), pokes.len(), "each poke in its own trace");
    assert!(!traces.contains(trace_id.as_str()));
    for poke in &pokes {
        assert!(
            !poke.parent_span_id.is_empty(),
            "continues ingress: {poke:?}"
        );
    }

    // Each deposit event's outbox.publish is a child of the sync span, and the message carries
    // the sync's trace to its consumers (the notifier's consume continues it).
    let published = receiver
        .wait_for(EXPORTED_WITHIN, |spans| {
            let mine: Vec<ReceivedSpan> = named(spans, "outbox.publish")
                .filter(|s| s.trace_id == trace_id)
                .cloned()
                .collect();
            (mine.len() == made.len()).then_some(mine)
        })
        .await?;
    for span in &published {
        assert_eq!(span.parent_span_id, sync.span_id, "{span:?}");
    }
    let deposit_events = ledger::deposit_events(&js).await?;
    assert_eq!(deposit_events.len(), made.len());
    let mut stream = js.get_stream(penny_bus::PENNY_EVENTS).await?;
    let info = stream.info().await?;
    for seq in info.state.first_sequence..=info.state.last_sequence {
        let message = stream.get_raw_message(seq).await?;
        if message.subject.starts_with("penny.event.deposit.") {
            let traceparent = message
                .headers
                .get(penny_bus::HDR_TRACEPARENT)
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default();
            assert!(traceparent.contains(&trace_id), "{traceparent}");
        }
    }
    app.stop().await
}
