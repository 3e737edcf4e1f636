//! What the notifier must reach to do its work, checked for `/readyz` and gRPC health: NATS
//! (live), the event consumer's pulls (live), the streams it reads and parks into (created when
//! missing, if allowed), its durable consumer (lag sampled on the way) and the database (the
//! alert backlog, unknown alerts and waiting deposit events sampled on the way).
//!
//! A channel's provider being down does not make the notifier unready: it still records every
//! alert, and sends them when the provider is back.

use std::sync::Arc;

use async_nats::jetstream;
use futures::future::BoxFuture;
use penny_bus::{ConsumerHealth, DEAD_LETTERS, PENNY_EVENTS, Topology};
use penny_runtime::Readiness;

use crate::notifier::Notifier;

type Check = BoxFuture<'static, Result<(), String>>;

/// The streams the notifier needs.
pub const STREAMS: [&str; 2] = [PENNY_EVENTS, DEAD_LETTERS];

/// The readiness of the service (not yet probed).
pub fn checks(
    js: &jetstream::Context,
    topology: Option<Topology>,
    consumer: String,
    pulls: ConsumerHealth,
    notifier: &Notifier,
) -> Arc<Readiness> {
    let streams = penny_bus::streams_probe(js.clone(), topology, &STREAMS);
    let lag = {
        let (js, notifier) = (js.clone(), notifier.clone());
        move || -> Check {
            let (js, notifier, consumer) = (js.clone(), notifier.clone(), consumer.clone());
            Box::pin(async move {
                notifier
                    .metrics()
                    .consumer
                    .sample(&js, PENNY_EVENTS, &consumer)
                    .await
            })
        }
    };
    let database = {
        let notifier = notifier.clone();
        move || -> Check {
            let notifier = notifier.clone();
            Box::pin(async move {
                notifier.ping_db().await?;
                notifier.sample_metrics().await;
                Ok(())
            })
        }
    };
    let pulls = pulls.check();
    Readiness::builder()
        .live(
            "nats",
            Arc::new(penny_bus::connect::connected_check(js.client())),
        )
        .live("consumer pulls", Arc::new(pulls))
        .probe("streams", Arc::new(streams))
        .probe("consumer", Arc::new(lag))
        .probe("database", Arc::new(database))
        .build()
}
