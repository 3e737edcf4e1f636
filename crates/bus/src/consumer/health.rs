//! [`ConsumerHealth`]: whether a consumer loop's pulls work, for readiness.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by [`crate::run_consumer`]: `true` while its pulls succeed, `false` while they fail (NATS
/// unreachable, the durable consumer or its stream missing). Starts `true`. Cheap to clone and
/// read; register [`ConsumerHealth::check`] as a live readiness check.
#[derive(Clone, Debug)]
pub struct ConsumerHealth(Arc<AtomicBool>);

impl Default for ConsumerHealth {
    fn default() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }
}

impl ConsumerHealth {
    /// Whether the last pull worked.
    pub fn is_ok(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self, ok: bool) {
        let was = self.0.swap(ok, Ordering::Relaxed);
        if was != ok {
            tracing::info!(pulling = ok, "consumer health changed");
        }
    }

    /// A readiness check: `Err` while pulls fail.
    pub fn check(&self) -> impl Fn() -> Result<(), String> + Send + Sync + 'static {
        let health = self.clone();
        move || {
            if health.is_ok() {
                Ok(())
            } else {
                Err("consumer cannot pull (NATS, its stream or the consumer is missing)".to_owned())
            }
        }
    }
}
