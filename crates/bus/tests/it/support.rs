//! Shared helpers: a server, a client, a JetStream context, a recording handler.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_nats::{HeaderMap, jetstream};
use bytes::Bytes;
use penny_bus::{
    ConnectSettings, ConsumerSpec, DeadLetter, DeadLetters, Delivery, Handler, Outcome,
    PLAID_WEBHOOKS, RetryPolicy, RunOptions, StreamSettings, connect_with, ensure_dead_letters,
    ensure_penny_events, ensure_plaid_webhooks, ensure_pull_consumer, publish_durable,
    run_consumer, webhook_type_filter,
};
use penny_testkit::NatsServer;
use tokio::{task::JoinHandle, time::Instant};
use tokio_util::sync::CancellationToken;

/// A server with the three streams and a connected JetStream context.
pub async fn setup() -> (NatsServer, jetstream::Context) {
    penny_testkit::init();
    let server = NatsServer::start().await.expect("nats-server starts");
    let js = context(&server).await;
    let settings = StreamSettings::default();
    ensure_plaid_webhooks(&js, &settings).await.expect("stream");
    ensure_penny_events(&js, &settings).await.expect("stream");
    ensure_dead_letters(&js, &settings).await.expect("stream");
    (server, js)
}

/// A JetStream context on a client made by `penny_bus::connect_with`.
pub async fn context(server: &NatsServer) -> jetstream::Context {
    let mut settings = ConnectSettings::new("penny-bus-test");
    settings.initial_deadline = Duration::from_secs(5);
    let client = connect_with(server.url(), &settings)
        .await
        .expect("connects");
    jetstream::new(client)
}

/// One call of a [`Recorder`] handler.
#[derive(Debug, Clone)]
pub struct Call {
    pub subject: String,
    pub payload: Vec<u8>,
    pub seq: u64,
    pub delivered: u64,
    pub at: Instant,
    /// Trace id of the span the handler ran in.
    pub trace_id: Option<String>,
}

type Script = dyn Fn(&Delivery) -> Outcome + Send + Sync;

/// A handler that records every call and answers with `script`.
pub struct Recorder {
    pub calls: Mutex<Vec<Call>>,
    script: Box<Script>,
    work: Duration,
}

impl Recorder {
    pub fn new(script: impl Fn(&Delivery) -> Outcome + Send + Sync + 'static) -> Arc<Self> {
        Self::slow(Duration::ZERO, script)
    }

    /// A recorder whose calls take `work` each.
    pub fn slow(
        work: Duration,
        script: impl Fn(&Delivery) -> Outcome + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(Vec::new()),
            script: Box::new(script),
            work,
        })
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("not poisoned").clone()
    }
}

impl Handler for Recorder {
    async fn handle(&self, d: &Delivery) -> Outcome {
        self.calls.lock().expect("not poisoned").push(Call {
            subject: d.subject().to_owned(),
            payload: d.payload().to_vec(),
            seq: d.stream_sequence(),
            delivered: d.delivered(),
            at: Instant::now(),
            trace_id: penny_telemetry::current_trace_id(),
        });
        if !self.work.is_zero() {
            tokio::time::sleep(self.work).await;
        }
        (self.script)(d)
    }
}

/// Waits (up to `timeout`) until something is parked in `DEAD_LETTERS`; the first ten letters.
pub async fn wait_parked(js: &jetstream::Context, timeout: Duration) -> Vec<DeadLetter> {
    let dlq = DeadLetters::new(js.clone());
    penny_testkit::poll_until(timeout, || {
        let dlq = dlq.clone();
        async move { dlq.list(10).await.ok().filter(|l| !l.is_empty()) }
    })
    .await
    .expect("a message is parked in time")
}

/// Polls the consumer until nothing is pending or awaiting an ack.
pub async fn wait_drained(js: &jetstream::Context, stream: &str, consumer: &str) {
    let js = js.clone();
    penny_testkit::poll_until(Duration::from_secs(10), || {
        let js = js.clone();
        async move {
            let Ok(stream) = js.get_stream(stream).await else {
                return false;
            };
            let Ok(info) = stream.consumer_info(consumer).await else {
                return false;
            };
            info.num_pending == 0 && info.num_ack_pending == 0
        }
    })
    .await
    .expect("consumer drained");
}

pub const ACK: Duration = Duration::from_secs(2);

pub fn policy(base_ms: u64, max_deliveries: u64) -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(base_ms),
        cap: Duration::from_secs(2),
        max_deliveries,
    }
}

pub async fn publish_n(js: &jetstream::Context, subject: &str, n: usize) {
    for i in 0..n {
        publish_durable(
            js,
            subject,
            HeaderMap::new(),
            Bytes::from(format!("msg-{i}")),
            None,
            ACK,
        )
        .await
        .unwrap();
    }
}

pub async fn consumer(
    js: &jetstream::Context,
    name: &str,
    ack_wait: Duration,
) -> jetstream::consumer::PullConsumer {
    let mut spec = ConsumerSpec::new(name, vec![webhook_type_filter("AUTH")]);
    spec.ack_wait = ack_wait;
    ensure_pull_consumer(js, PLAID_WEBHOOKS, &spec)
        .await
        .unwrap()
}

pub fn spawn(
    js: &jetstream::Context,
    consumer: jetstream::consumer::PullConsumer,
    handler: Arc<Recorder>,
    policy: RetryPolicy,
    concurrency: usize,
    token: &CancellationToken,
) -> JoinHandle<()> {
    let dlq = DeadLetters::new(js.clone());
    tokio::spawn(run_consumer(
        consumer,
        handler,
        dlq,
        RunOptions::new(policy, concurrency),
        token.clone(),
    ))
}

pub async fn stop(token: CancellationToken, task: JoinHandle<()>) {
    token.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("run_consumer returns after shutdown")
        .unwrap();
}
