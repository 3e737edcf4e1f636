//! gRPC health that follows [`Readiness`]: every registered service, and the server as a whole
//! (the empty name), is `SERVING` exactly while the service is ready.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::readiness::Readiness;

/// Sets every name's status from `readiness` now and at every change, until `shutdown`; then
/// `NOT_SERVING` (the server drains).
pub(super) async fn follow_readiness(
    reporter: HealthReporter,
    names: Vec<&'static str>,
    readiness: Arc<Readiness>,
    shutdown: CancellationToken,
) {
    let mut changes = readiness.subscribe();
    loop {
        let ready = readiness.is_ready() && !shutdown.is_cancelled();
        let status = if ready {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        for name in names.iter().copied().chain(std::iter::once("")) {
            reporter.set_service_status(name, status).await;
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            changed = changes.changed() => if changed.is_err() { return },
        }
        if shutdown.is_cancelled() {
            for name in names.iter().copied().chain(std::iter::once("")) {
                reporter
                    .set_service_status(name, ServingStatus::NotServing)
                    .await;
            }
            return;
        }
    }
}
