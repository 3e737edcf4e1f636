//! Batching: with `RunOptions::batch` above 1, a backlog reaches `Handler::handle_batch` in
//! groups, each message is settled with its own outcome (ack, retry, park), traces stay per
//! message, and a panicking batch retries every message of it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use penny_bus::{
    DeadLetters, Delivery, Handler, Outcome, PLAID_WEBHOOKS, RunOptions, run_consumer,
    webhook_subject,
};
use tokio_util::sync::CancellationToken;

use crate::support::{consumer, policy, publish_n, setup, stop, wait_drained};

/// Records the size of each batch; answers by payload: `msg-3` is parked, `msg-5` retried once,
/// everything else acked.
#[derive(Default)]
struct Batcher {
    sizes: Mutex<Vec<usize>>,
    seen: Mutex<Vec<(String, u64)>>,
    panic_once: Mutex<bool>,
}

impl Handler for Batcher {
    async fn handle(&self, d: &Delivery) -> Outcome {
        self.handle_batch(std::slice::from_ref(d))
            .await
            .pop()
            .unwrap_or(Outcome::retry("no outcome"))
    }

    async fn handle_batch(&self, deliveries: &[Delivery]) -> Vec<Outcome> {
        self.sizes.lock().unwrap().push(deliveries.len());
        if std::mem::take(&mut *self.panic_once.lock().unwrap()) {
            panic!("the whole batch fails");
        }
        deliveries
            .iter()
            .map(|d| {
                let body = String::from_utf8_lossy(d.payload()).into_owned();
                self.seen
                    .lock()
                    .unwrap()
                    .push((body.clone(), d.delivered()));
                match body.as_str() {
                    "msg-3" => Outcome::park("bad message"),
                    "msg-5" if d.delivered() == 1 => Outcome::retry("transient"),
                    _ => Outcome::Ack,
                }
            })
            .collect()
    }
}

async fn run(batcher: Arc<Batcher>, name: &str) {
    let (_server, js) = setup().await;
    publish_n(&js, &webhook_subject("AUTH", "X"), 40).await;
    let mut options = RunOptions::new(policy(50, 5), 16);
    options.batch = 8;
    let c = consumer(&js, name, Duration::from_secs(5)).await;
    let token = CancellationToken::new();
    let task = tokio::spawn(run_consumer(
        c,
        Arc::clone(&batcher),
        DeadLetters::new(js.clone()),
        options,
        token.clone(),
    ));
    wait_drained(&js, PLAID_WEBHOOKS, name).await;
    stop(token, task).await;
    let dead = DeadLetters::new(js.clone())
        .list_for(name, 1, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1, "only msg-3 parked");
    assert_eq!(dead[0].payload.as_ref(), b"msg-3");
}

#[tokio::test]
async fn a_backlog_arrives_in_batches_settled_one_by_one() {
    let batcher = Arc::new(Batcher::default());
    run(Arc::clone(&batcher), "batched").await;
    let sizes = batcher.sizes.lock().unwrap().clone();
    assert!(sizes.iter().all(|n| *n <= 8), "{sizes:?}");
    assert!(
        sizes.iter().any(|n| *n > 1),
        "a backlog is batched: {sizes:?}"
    );
    let seen = batcher.seen.lock().unwrap().clone();
    // 40 first deliveries, and msg-5 once more after its retry.
    assert_eq!(seen.len(), 41, "{seen:?}");
    assert!(seen.contains(&("msg-5".to_owned(), 2)));
}

#[tokio::test]
async fn a_panicking_batch_retries_each_of_its_messages() {
    let batcher = Arc::new(Batcher::default());
    *batcher.panic_once.lock().unwrap() = true;
    run(Arc::clone(&batcher), "panics").await;
    let seen = batcher.seen.lock().unwrap().clone();
    for i in 0..40 {
        let body = format!("msg-{i}");
        assert!(
            seen.iter().any(|(b, _)| *b == body),
            "{body} handled after the panic"
        );
    }
}
