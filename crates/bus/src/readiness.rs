//! A service's NATS readiness in one call: [`lane_checks`] gives the checks every service with
//! [`Lane`]s has (NATS connected, the lanes' pulls working, the streams there, the durable
//! consumers known to the server with their lag sampled on the way); the service adds its own
//! (its database) and builds.

use std::sync::Arc;

use async_nats::jetstream;
use futures::future::BoxFuture;
use penny_runtime::{Readiness, ReadinessBuilder};

use crate::consumer::{ConsumerMetrics, Lane};
use crate::topology::{Topology, streams_probe};

/// The live checks `nats` and `consumer pulls`, and the probes `streams` (created first when
/// `topology` holds settings) and `consumers` (each lane's consumer known, its lag sampled).
pub fn lane_checks<'a>(
    js: &jetstream::Context,
    topology: Option<Topology>,
    streams: &'static [&'static str],
    lanes: impl IntoIterator<Item = &'a Lane>,
) -> ReadinessBuilder {
    let lanes: Vec<&Lane> = lanes.into_iter().collect();
    let pulls: Vec<_> = lanes.iter().map(|lane| lane.pulls_check()).collect();
    let consumers = {
        let js = js.clone();
        let lanes: Vec<(&'static str, String, ConsumerMetrics)> = lanes
            .iter()
            .map(|l| (l.stream, l.name.clone(), l.metrics.clone()))
            .collect();
        move || -> BoxFuture<'static, Result<(), String>> {
            let (js, lanes) = (js.clone(), lanes.clone());
            Box::pin(async move {
                for (stream, name, metrics) in &lanes {
                    metrics.sample(&js, stream, name).await?;
                }
                Ok(())
            })
        }
    };
    Readiness::builder()
        .live(
            "nats",
            Arc::new(crate::connect::connected_check(js.client())),
        )
        .live(
            "consumer pulls",
            Arc::new(move || pulls.iter().try_for_each(|check| check())),
        )
        .probe(
            "streams",
            Arc::new(streams_probe(js.clone(), topology, streams)),
        )
        .probe("consumers", Arc::new(consumers))
}
