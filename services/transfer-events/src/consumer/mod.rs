//! The consumers:
//!
//! - [`PokeHandler`] on `plaid.webhook.BANK_TRANSFERS.>` and `plaid.webhook.TRANSFER.>`
//!   ([`poke_subjects`]), one durable consumer shared by every replica. A poke carries no data:
//!   a pull's pokes (up to the consumer's concurrency) are recorded as **one** durable sync
//!   request ([`crate::sync::Syncer::request_traced`]) and acked only after it committed, with
//!   the trace context of each poke's `consume` span (the sync serving them links to those).
//!   Pokes are never de-duplicated (their bytes are always the same).
//! - [`accounts::AccountHandler`] on `penny.event.account.linked`: who an account belongs to.
//!
//! Outcomes: recorded → `Ack`; a poke of the feed this mode does not sync → `Ack` (counted);
//! the database down → `Retry` (backoff by delivery count); a body that is not a webhook →
//! `Park`.

pub mod accounts;

use penny_bus::{Delivery, Handler, Outcome};
use penny_plaid::webhook::Webhook;

use crate::crash::{self, CrashPoint};
use crate::domain::Feed;
use crate::metrics::SyncMetrics;
use crate::store::feed::RequestKind;
use crate::sync::Syncer;

/// The subjects the poke consumer receives: both feeds' webhooks (a mode ignores the other's).
pub fn poke_subjects() -> Vec<String> {
    Feed::ALL
        .into_iter()
        .map(|f| penny_bus::webhook_type_filter(f.webhook_type()))
        .collect()
}

/// What one delivery is.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    /// A poke of this mode's feed.
    Poke,
    /// A webhook of the other feed, or another code of ours: nothing to sync.
    Ignored(String),
    /// Not a webhook.
    Malformed(String),
}

/// Records pokes as sync requests.
#[derive(Clone, Debug)]
pub struct PokeHandler {
    syncer: Syncer,
    metrics: SyncMetrics,
    crash_at: Option<crate::crash::CrashPoint>,
}

impl PokeHandler {
    /// A handler recording into `syncer`.
    pub fn new(syncer: Syncer, metrics: SyncMetrics, crash_at: Option<CrashPoint>) -> Self {
        Self {
            syncer,
            metrics,
            crash_at,
        }
    }

    fn kind(&self, delivery: &Delivery) -> Kind {
        let webhook = match Webhook::parse(delivery.payload()) {
            Ok(w) => w,
            Err(e) => return Kind::Malformed(e.to_string()),
        };
        let feed = self.syncer.feed();
        if webhook.webhook_type == feed.webhook_type()
            && webhook.webhook_code == feed.webhook_code()
        {
            Kind::Poke
        } else {
            Kind::Ignored(format!("{}/{}", webhook.webhook_type, webhook.webhook_code))
        }
    }

    #[tracing::instrument(name = "transfer_events.pokes", skip_all, fields(count = deliveries.len(), pokes = tracing::field::Empty, generation = tracing::field::Empty))]
    async fn record(&self, deliveries: &[Delivery]) -> Vec<Outcome> {
        let kinds: Vec<Kind> = deliveries.iter().map(|d| self.kind(d)).collect();
        let pokes = kinds.iter().filter(|k| **k == Kind::Poke).count() as u64;
        let ignored = kinds
            .iter()
            .filter(|k| matches!(k, Kind::Ignored(_)))
            .count() as u64;
        self.metrics.other_feed(ignored);
        tracing::Span::current().record("pokes", pokes);
        let recorded = if pokes == 0 {
            Ok(())
        } else {
            let traces = traceparents(deliveries, &kinds);
            match self
                .syncer
                .request_traced(RequestKind::Pokes(pokes), &traces)
                .await
            {
                Ok(r) => {
                    tracing::Span::current().record("generation", r.generation);
                    crash::maybe_crash(self.crash_at, CrashPoint::AfterPokeRecorded);
                    Ok(())
                }
                Err(e) => Err(format!("recording the sync request: {e:#}")),
            }
        };
        kinds
            .into_iter()
            .map(|kind| match (kind, &recorded) {
                (Kind::Malformed(reason), _) => Outcome::park(reason),
                (Kind::Ignored(what), _) => {
                    tracing::info!(webhook = %what, "not this mode's poke; acked");
                    Outcome::Ack
                }
                (Kind::Poke, Ok(())) => Outcome::Ack,
                (Kind::Poke, Err(reason)) => Outcome::retry(reason.clone()),
            })
            .collect()
    }
}

/// The trace contexts of the pokes' `consume` spans, at most as many as a generation keeps.
fn traceparents(deliveries: &[Delivery], kinds: &[Kind]) -> Vec<String> {
    deliveries
        .iter()
        .zip(kinds)
        .filter(|(_, kind)| **kind == Kind::Poke)
        .take(crate::store::feed::traces::KEPT)
        .filter_map(|(delivery, _)| {
            let mut headers = async_nats::HeaderMap::new();
            penny_bus::trace::inject_of(delivery.span(), &mut headers);
            headers
                .get(penny_bus::HDR_TRACEPARENT)
                .map(|v| v.as_str().to_owned())
        })
        .collect()
}

impl Handler for PokeHandler {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        self.record(std::slice::from_ref(delivery))
            .await
            .pop()
            .unwrap_or_else(|| Outcome::retry("no outcome"))
    }

    async fn handle_batch(&self, deliveries: &[Delivery]) -> Vec<Outcome> {
        self.record(deliveries).await
    }
}
