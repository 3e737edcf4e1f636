//! What the service must reach to do its work, checked for `/readyz` and gRPC health:
//! NATS (live), the streams (created when missing, if allowed), both durable consumers (their
//! pulls work, and the server knows them; their lag is sampled on the way) and the database
//! (pinged; its gauges are sampled by their own task, see `crate::metrics::Metrics::sample_db_every`).

use std::sync::Arc;

use async_nats::jetstream;
use futures::future::BoxFuture;
use penny_bus::topology::ALL_STREAMS;
use penny_bus::{ConsumerMetrics, PLAID_WEBHOOKS, Topology};
use penny_runtime::Readiness;
use sea_orm::DatabaseConnection;

use penny_bus::Lane;

type Check = BoxFuture<'static, Result<(), String>>;

/// The readiness of the service (not yet probed).
pub fn checks(
    js: &jetstream::Context,
    topology: Option<Topology>,
    db: &DatabaseConnection,
    lanes: &[Lane],
) -> Arc<Readiness> {
    let streams = {
        let js = js.clone();
        move || -> Check {
            let (js, topology) = (js.clone(), topology.clone());
            Box::pin(async move {
                if let Some(topology) = topology {
                    topology
                        .create_missing(&js, &ALL_STREAMS)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Topology::check(&js, &ALL_STREAMS).await
            })
        }
    };
    let consumers = {
        let js = js.clone();
        let lanes: Vec<(String, ConsumerMetrics)> = lanes
            .iter()
            .map(|l| (l.name.clone(), l.metrics.clone()))
            .collect();
        move || -> Check {
            let (js, lanes) = (js.clone(), lanes.clone());
            Box::pin(async move {
                for (name, metrics) in &lanes {
                    metrics.sample(&js, PLAID_WEBHOOKS, name).await?;
                }
                Ok(())
            })
        }
    };
    let database = {
        let db = db.clone();
        move || -> Check {
            let db = db.clone();
            Box::pin(async move { penny_store::readiness::ping(&db).await })
        }
    };
    let pulls: Vec<_> = lanes.iter().map(Lane::pulls_check).collect();
    Readiness::builder()
        .live(
            "nats",
            Arc::new(penny_bus::connect::connected_check(js.client())),
        )
        .live(
            "consumer pulls",
            Arc::new(move || pulls.iter().try_for_each(|check| check())),
        )
        .probe("streams", Arc::new(streams))
        .probe("consumers", Arc::new(consumers))
        .probe("database", Arc::new(database))
        .build()
}
