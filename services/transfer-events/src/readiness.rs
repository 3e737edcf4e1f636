//! What the service must reach to do its work, checked for `/readyz` and gRPC health: NATS
//! (live), the streams (created when missing, if allowed), both durable consumers (their pulls
//! work and the server knows them; their lag is sampled on the way) and the database (the
//! outbox backlog, the cursor and the sync lag are sampled on the way).

use std::sync::Arc;

use async_nats::jetstream;
use futures::future::BoxFuture;
use penny_bus::topology::ALL_STREAMS;
use penny_bus::{Lane, Topology};
use penny_runtime::Readiness;
use penny_store::Outbox;
use sea_orm::DatabaseConnection;

use crate::domain::Feed;
use crate::metrics::Metrics;
use crate::store::feed;

type Check = BoxFuture<'static, Result<(), String>>;

/// The readiness of the service (not yet probed).
pub fn checks(
    js: &jetstream::Context,
    topology: Option<Topology>,
    db: &DatabaseConnection,
    outbox: &Outbox,
    feed: Feed,
    lanes: &[&Lane],
    metrics: Metrics,
) -> Arc<Readiness> {
    let database = {
        let (db, outbox) = (db.clone(), outbox.clone());
        move || -> Check {
            let (db, outbox, metrics) = (db.clone(), outbox.clone(), metrics.clone());
            Box::pin(async move {
                penny_store::readiness::ping(&db).await?;
                metrics.sample_outbox(&outbox).await;
                if let Ok(row) = feed::read(&db, feed).await {
                    metrics.sync.sample(&row);
                }
                Ok(())
            })
        }
    };
    penny_bus::readiness::lane_checks(js, topology, &ALL_STREAMS, lanes.iter().copied())
        .probe("database", Arc::new(database))
        .build()
}
