//! The domain-event consumer: one durable JetStream pull consumer on `penny.event.>`, shared
//! by every replica. [`EventHandler::handle`] is one step (tests call it directly);
//! `penny_bus::run_consumer` is the loop, acking only after the handler returns
//! [`Outcome::Ack`], i.e. after the transaction committed. Each delivery runs in the runner's
//! `consume` span (continuing the publisher's trace); the alerts it creates keep that span's
//! context, so their sends are spans of the same trace ([`crate::dispatch::trace`]).
//!
//! Before ingesting, a handler waits (up to [`ROOM_PATIENCE`]) while the dispatcher has its
//! backlog of alerts queued or being sent ([`DispatchHandle::wait_for_room`]).
//!
//! Outcomes:
//! - processed (alerts created, nothing to alert, no contact), already processed, or not an
//!   event the notifier handles → `Ack`; alerts due now go to the local dispatcher after the
//!   commit;
//! - a deposit event whose account no account event named yet → `Retry` (jittered backoff by
//!   delivery count); on its last delivery it is parked with that reason, never dropped and
//!   never guessed; the waiting count is kept in the database for the metric;
//! - a database failure → `Retry`;
//! - a body that does not decode → `Park`.

pub mod route;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound as _, Utc};
use penny_bus::{Delivery, HDR_TRACEPARENT, Handler, Outcome};

use crate::dispatch::{DispatchHandle, trace};
use crate::notifier::ingest::Received;
use crate::notifier::{Notifier, NotifierError};
use route::Decoded;

/// The longest a handler waits for the dispatcher's backlog to shrink before ingesting anyway
/// (the runner keeps the message's ack deadline alive meanwhile).
pub const ROOM_PATIENCE: Duration = Duration::from_secs(30);

/// Handles domain events.
#[derive(Clone, Debug)]
pub struct EventHandler {
    notifier: Notifier,
    dispatch: DispatchHandle,
    max_deliveries: u64,
}

impl EventHandler {
    /// A handler ingesting through `notifier`, offering due alerts to `dispatch`; a deposit
    /// event still waiting for its account on delivery `max_deliveries` is parked.
    pub fn new(notifier: Notifier, dispatch: DispatchHandle, max_deliveries: u64) -> Arc<Self> {
        Arc::new(Self {
            notifier,
            dispatch,
            max_deliveries,
        })
    }

    async fn decide(&self, delivery: &Delivery) -> Outcome {
        let event = match route::decode(delivery.subject(), delivery.payload()) {
            Ok(Decoded::Event(event)) => event,
            Ok(Decoded::Ignored(why)) => {
                tracing::debug!(%why, "event ignored");
                return Outcome::Ack;
            }
            Err(why) => return Outcome::park(why),
        };
        self.dispatch.wait_for_room(ROOM_PATIENCE).await;
        let received = Received {
            stream_sequence: (delivery.stream_sequence() > 0).then_some(delivery.stream_sequence()),
            received_at: received_at(delivery),
            traceparent: trace::context_of(delivery.span(), delivery.header(HDR_TRACEPARENT)),
        };
        match self.notifier.ingest(&event, received).await {
            Ok(ingested) => {
                for alert in ingested.due_now {
                    self.dispatch.offer_prefetched(alert);
                }
                Outcome::Ack
            }
            Err(NotifierError::AccountUnknown { account_id, .. }) => {
                let last = delivery.delivered() >= self.max_deliveries;
                let reason = NotifierError::AccountUnknown {
                    account_id: account_id.clone(),
                    event_id: event.event_id().to_owned(),
                }
                .to_string();
                if let Err(error) = self.notifier.note_waiting(&event, &account_id, last).await {
                    return Outcome::retry(format!("{reason} (and noting it failed: {error})"));
                }
                if last {
                    Outcome::park(format!(
                        "{reason}; gave up after {} deliveries",
                        delivery.delivered()
                    ))
                } else {
                    Outcome::retry(reason)
                }
            }
            Err(error) => outcome_of(error),
        }
    }
}

impl Handler for EventHandler {
    #[tracing::instrument(
        name = "notifier.event",
        skip_all,
        fields(subject = %delivery.subject(), seq = delivery.stream_sequence(), delivered = delivery.delivered(), outcome = tracing::field::Empty)
    )]
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        let outcome = self.decide(delivery).await;
        tracing::Span::current().record("outcome", outcome.label());
        match &outcome {
            Outcome::Ack => {}
            Outcome::Retry { reason } | Outcome::RetryAfter { reason, .. } => {
                tracing::info!(%reason, "event will be retried");
            }
            Outcome::Park { reason } => tracing::warn!(%reason, "event parked"),
        }
        outcome
    }
}

/// The outcome for a failed ingest.
pub fn outcome_of(error: NotifierError) -> Outcome {
    match error {
        NotifierError::Duplicate => Outcome::Ack,
        NotifierError::AccountUnknown { .. } | NotifierError::Internal(_) => {
            Outcome::retry(format!("{error:#}"))
        }
        NotifierError::Invalid(_) | NotifierError::ContactNotFound(_) => {
            Outcome::park(error.to_string())
        }
    }
}

/// When the event was received: when the stream stored it (stable across redeliveries), else
/// now (a direct call).
fn received_at(delivery: &Delivery) -> DateTime<Utc> {
    delivery
        .published()
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(Utc::now)
        .trunc_subsecs(6)
}
