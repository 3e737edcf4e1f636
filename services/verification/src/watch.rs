//! The feed behind `WatchAccounts`: every replica reads the account events of `PENNY_EVENTS`
//! (status changes; `linked` events are not changes and are skipped)
//! with its own ordered (ephemeral) consumer, starting at new messages, and fans them out to
//! its local watchers through a broadcast channel. Events are published by the outbox relay
//! only after their transaction committed, so a watcher on replica A sees the changes made on
//! replica B, and never a change that was rolled back.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use futures::StreamExt;
use penny_proto::v1 as pb;
use prost::Message as _;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use penny_bus::ACCOUNT_EVENTS_FILTER;

/// Events buffered per watcher before a slow one is cut off.
pub const WATCH_BUFFER: usize = 1024;

/// The local fan-out of account events. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WatchFeed {
    tx: broadcast::Sender<Arc<pb::AccountEvent>>,
}

impl Default for WatchFeed {
    fn default() -> Self {
        Self::new(WATCH_BUFFER)
    }
}

impl WatchFeed {
    /// A feed buffering `capacity` events per watcher.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Self { tx }
    }

    /// A new watcher's receiver: it sees events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<pb::AccountEvent>> {
        self.tx.subscribe()
    }

    /// Publishes an event to the local watchers (the NATS reader's job; tests may call it).
    pub fn publish(&self, event: pb::AccountEvent) {
        // No watcher is not an error.
        let _ = self.tx.send(Arc::new(event));
    }

    /// Reads `PENNY_EVENTS` until `shutdown`, re-subscribing after errors (NATS restarts).
    pub async fn run(self, js: jetstream::Context, stream: String, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        while !shutdown.is_cancelled() {
            match self.read(&js, &stream, &shutdown).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "watch feed interrupted; resubscribing");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn read(
        &self,
        js: &jetstream::Context,
        stream: &str,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<()> {
        let stream = js.get_stream(stream).await?;
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: ACCOUNT_EVENTS_FILTER.to_owned(),
                deliver_policy: DeliverPolicy::New,
                description: Some("verification WatchAccounts feed".to_owned()),
                ..Default::default()
            })
            .await?;
        let mut messages = consumer.messages().await?;
        tracing::info!("watch feed subscribed to account events");
        loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                next = messages.next() => next,
            };
            let Some(message) = next else {
                anyhow::bail!("the ordered consumer ended");
            };
            let message = message?;
            if message.subject.ends_with(".linked") {
                // A new account, not a status change: WatchAccounts streams changes.
                continue;
            }
            match pb::AccountEvent::decode(message.payload.as_ref()) {
                Ok(event) => self.publish(event),
                Err(e) => {
                    tracing::warn!(subject = %message.subject, error = %e, "undecodable account event skipped");
                }
            }
        }
    }
}
