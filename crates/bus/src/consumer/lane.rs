//! [`Lane`]: one durable consumer of a service, ensured when the service is built (so a bad
//! setting fails `build`, not the first pull) and run by its supervisor with the settings of its
//! [`ConsumerSettings`] group.

use std::sync::Arc;

use async_nats::jetstream::{self, consumer::PullConsumer};
use tokio_util::sync::CancellationToken;

use super::{
    ConsumerMetrics, ConsumerSettings, ConsumerSetupError, Handler, RunOptions,
    ensure_pull_consumer, run_consumer,
};
use crate::DeadLetters;

/// A durable pull consumer, ensured and ready to run.
pub struct Lane {
    /// Its durable name.
    pub name: String,
    /// Its stream.
    pub stream: &'static str,
    /// Its metrics (readiness samples its lag with [`ConsumerMetrics::sample`]).
    pub metrics: ConsumerMetrics,
    consumer: PullConsumer,
    options: RunOptions,
}

impl std::fmt::Debug for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lane")
            .field("name", &self.name)
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl Lane {
    /// Ensures the durable consumer of `settings` on `stream` over `subjects`; its runs report
    /// to `metrics`.
    pub async fn open(
        js: &jetstream::Context,
        stream: &'static str,
        settings: &ConsumerSettings,
        subjects: Vec<String>,
        description: &str,
        metrics: ConsumerMetrics,
    ) -> Result<Self, ConsumerSetupError> {
        let spec = settings.spec(subjects, description);
        let consumer = ensure_pull_consumer(js, stream, &spec).await?;
        let mut options = settings.run_options();
        options.metrics = Some(metrics.clone());
        Ok(Self {
            name: spec.durable_name,
            stream,
            metrics,
            consumer,
            options,
        })
    }

    /// A liveness check: `Err` while its pulls fail.
    pub fn pulls_check(&self) -> impl Fn() -> Result<(), String> + Send + Sync + 'static {
        self.options.health.check()
    }

    /// Runs `handler` on its messages until `shutdown` (dead letters to `DEAD_LETTERS`).
    pub async fn run<H: Handler>(
        self,
        handler: H,
        js: jetstream::Context,
        shutdown: CancellationToken,
    ) {
        run_consumer(
            self.consumer,
            Arc::new(handler),
            DeadLetters::new(js),
            self.options,
            shutdown,
        )
        .await;
    }
}
