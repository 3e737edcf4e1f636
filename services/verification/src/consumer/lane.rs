//! [`Lane`]: one of the service's two durable webhook consumers (see the module docs of
//! [`super`]), ensured at build time and run by the supervisor.

use std::sync::Arc;

use async_nats::jetstream::{self, consumer::PullConsumer};
use penny_bus::{ConsumerMetrics, ConsumerSettings, DeadLetters, PLAID_WEBHOOKS, RunOptions};
use tokio_util::sync::CancellationToken;

use super::WebhookHandler;

/// A durable consumer on `PLAID_WEBHOOKS`, ready to run.
pub struct Lane {
    /// Its durable name.
    pub name: String,
    /// Its task's name in the supervisor.
    pub task: &'static str,
    /// Its metrics (sampled for lag by readiness).
    pub metrics: ConsumerMetrics,
    consumer: PullConsumer,
    options: RunOptions,
}

impl Lane {
    /// Ensures the durable consumer of `settings` over `subjects`.
    pub async fn open(
        js: &jetstream::Context,
        settings: ConsumerSettings,
        subjects: Vec<String>,
        description: &str,
        task: &'static str,
        metrics: ConsumerMetrics,
    ) -> anyhow::Result<Self> {
        let spec = settings.spec(subjects, description);
        let consumer = penny_bus::ensure_pull_consumer(js, PLAID_WEBHOOKS, &spec).await?;
        let mut options = settings.run_options();
        options.metrics = Some(metrics.clone());
        Ok(Self {
            name: spec.durable_name,
            task,
            metrics,
            consumer,
            options,
        })
    }

    /// A readiness check: `Err` while its pulls fail.
    pub fn pulls_check(&self) -> impl Fn() -> Result<(), String> + Send + Sync + 'static {
        self.options.health.check()
    }

    /// Runs `handler` on its messages until `shutdown`.
    pub async fn run(
        self,
        handler: WebhookHandler,
        js: jetstream::Context,
        shutdown: CancellationToken,
    ) {
        penny_bus::run_consumer(
            self.consumer,
            Arc::new(handler),
            DeadLetters::new(js),
            self.options,
            shutdown,
        )
        .await;
    }
}
