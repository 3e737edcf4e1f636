//! What the service must reach to do its work, checked for `/readyz` and gRPC health:
//! NATS (live), the streams (created when missing, if allowed), both durable consumers (their
//! pulls work, and the server knows them; their lag is sampled on the way) and the database
//! (pinged; its gauges are sampled by their own task, see `crate::metrics::Metrics::sample_db_every`).

use std::sync::Arc;

use async_nats::jetstream;
use futures::future::BoxFuture;
use penny_bus::topology::ALL_STREAMS;
use penny_bus::{Lane, Topology};
use penny_runtime::Readiness;
use sea_orm::DatabaseConnection;

/// The readiness of the service (not yet probed).
pub fn checks(
    js: &jetstream::Context,
    topology: Option<Topology>,
    db: &DatabaseConnection,
    lanes: &[Lane],
) -> Arc<Readiness> {
    let database = {
        let db = db.clone();
        move || -> BoxFuture<'static, Result<(), String>> {
            let db = db.clone();
            Box::pin(async move { penny_store::readiness::ping(&db).await })
        }
    };
    penny_bus::readiness::lane_checks(js, topology, &ALL_STREAMS, lanes)
        .probe("database", Arc::new(database))
        .build()
}
