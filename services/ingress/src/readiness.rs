//! Readiness of the ingress: NATS connected (read live) and the `PLAID_WEBHOOKS` stream
//! present (a server round trip, probed every interval by `penny_runtime::Readiness`). A stream
//! that vanished (an operator mistake, a NATS restart without storage) is created again when
//! that is allowed (`PENNY_INGRESS_CREATE_MISSING_STREAMS`, the local default), with the
//! ingress's stream settings; an existing stream is never changed.

use std::sync::Arc;

use async_nats::jetstream;
use futures::future::BoxFuture;
use penny_bus::{PLAID_WEBHOOKS, StreamSettings, Topology};
use penny_runtime::Readiness;

use crate::metrics::Metrics;

/// The ingress's readiness, not yet probed.
pub(crate) fn readiness(
    client: &async_nats::Client,
    js: &jetstream::Context,
    stream: StreamSettings,
    create_missing: bool,
    metrics: Arc<Metrics>,
) -> Arc<Readiness> {
    let connected = penny_bus::connect::connected_check(client.clone());
    let probe = {
        let js = js.clone();
        let client = client.clone();
        let topology = Topology {
            plaid_webhooks: stream,
            ..Topology::default()
        };
        move || {
            let (js, client, topology, metrics) = (
                js.clone(),
                client.clone(),
                topology.clone(),
                Arc::clone(&metrics),
            );
            Box::pin(async move {
                if create_missing {
                    let created = topology
                        .create_missing(&js, &[PLAID_WEBHOOKS])
                        .await
                        .map_err(|e| e.to_string());
                    if let Ok(names) = &created
                        && !names.is_empty()
                    {
                        tracing::warn!("stream {PLAID_WEBHOOKS} was missing; created it again");
                    }
                }
                let result = Topology::check(&js, &[PLAID_WEBHOOKS]).await;
                let connected =
                    client.connection_state() == async_nats::connection::State::Connected;
                metrics.set_nats_ready(result.is_ok() && connected);
                result
            }) as BoxFuture<'static, Result<(), String>>
        }
    };
    Readiness::builder()
        .live("nats", Arc::new(connected))
        .probe("stream", Arc::new(probe))
        .build()
}
