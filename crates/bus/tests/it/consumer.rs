//! The consumer loop: ack, retry with backoff, park, heartbeats, sharing, shutdown.

use std::{collections::HashMap, time::Duration};

use async_nats::HeaderMap;
use bytes::Bytes;
use penny_bus::{
    ConsumerSpec, DeadLetters, Outcome, PLAID_WEBHOOKS, RunOptions, ensure_pull_consumer,
    publish_durable, run_consumer, webhook_subject, webhook_type_filter,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::support::{
    ACK, Recorder, consumer, policy, publish_n, setup, spawn, stop, wait_drained, wait_parked,
};

#[tokio::test]
async fn ensure_pull_consumer_is_idempotent_and_updates() {
    let (_server, js) = setup().await;
    let mut spec = ConsumerSpec::new("verification", vec![webhook_type_filter("AUTH")]);
    ensure_pull_consumer(&js, PLAID_WEBHOOKS, &spec)
        .await
        .unwrap();
    ensure_pull_consumer(&js, PLAID_WEBHOOKS, &spec)
        .await
        .unwrap();
    spec.ack_wait = Duration::from_secs(45);
    spec.filter_subjects.push(webhook_type_filter("ITEM"));
    let updated = ensure_pull_consumer(&js, PLAID_WEBHOOKS, &spec)
        .await
        .unwrap();
    let config = &updated.cached_info().config;
    assert_eq!(config.ack_wait, Duration::from_secs(45));
    assert_eq!(config.filter_subjects.len(), 2);
    let stream = js.get_stream(PLAID_WEBHOOKS).await.unwrap();
    assert_eq!(stream.cached_info().state.consumer_count, 1);
}

#[tokio::test]
async fn acked_messages_are_handled_once_each() {
    let (_server, js) = setup().await;
    let subject = webhook_subject("AUTH", "AUTOMATICALLY_VERIFIED");
    publish_n(&js, &subject, 20).await;
    // Not matched by the AUTH filter: must never reach the handler.
    publish_n(&js, &webhook_subject("ITEM", "ERROR"), 3).await;

    let handler = Recorder::new(|_| Outcome::Ack);
    let token = CancellationToken::new();
    let c = consumer(&js, "acker", Duration::from_secs(30)).await;
    let task = spawn(&js, c, handler.clone(), policy(100, 5), 4, &token);
    wait_drained(&js, PLAID_WEBHOOKS, "acker").await;
    stop(token, task).await;

    let calls = handler.calls();
    assert_eq!(calls.len(), 20);
    assert!(
        calls
            .iter()
            .all(|c| c.delivered == 1 && c.subject == subject)
    );
    let mut seqs: Vec<u64> = calls.iter().map(|c| c.seq).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 20);
}

#[tokio::test]
async fn retry_redelivers_after_the_backoff_with_a_growing_count() {
    let (_server, js) = setup().await;
    publish_n(&js, &webhook_subject("AUTH", "X"), 1).await;
    let handler = Recorder::new(|d| {
        if d.delivered() < 3 {
            Outcome::retry("plaid 503")
        } else {
            Outcome::Ack
        }
    });
    let token = CancellationToken::new();
    let c = consumer(&js, "retrier", Duration::from_secs(30)).await;
    let task = spawn(&js, c, handler.clone(), policy(400, 5), 2, &token);
    let h = handler.clone();
    penny_testkit::poll_until(Duration::from_secs(10), || {
        let n = h.calls().len();
        async move { n >= 3 }
    })
    .await
    .unwrap();
    wait_drained(&js, PLAID_WEBHOOKS, "retrier").await;
    stop(token, task).await;

    let calls = handler.calls();
    assert_eq!(
        calls.iter().map(|c| c.delivered).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // delay(1) is in [200 ms, 400 ms], delay(2) in [200 ms, 800 ms]: never an immediate redelivery.
    for pair in calls.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(180),
            "redelivered after {gap:?}"
        );
        assert!(gap < Duration::from_secs(3), "redelivered after {gap:?}");
    }
    assert_eq!(DeadLetters::new(js.clone()).count().await.unwrap(), 0);
}

#[tokio::test]
async fn exhausted_retries_are_parked_with_the_reason() {
    let (_server, js) = setup().await;
    let subject = webhook_subject("AUTH", "X");
    publish_n(&js, &subject, 1).await;
    let handler = Recorder::new(|_| Outcome::retry("database is locked"));
    let token = CancellationToken::new();
    let c = consumer(&js, "exhaust", Duration::from_secs(30)).await;
    let task = spawn(&js, c, handler.clone(), policy(50, 3), 2, &token);
    let letters = wait_parked(&js, Duration::from_secs(10)).await;
    wait_drained(&js, PLAID_WEBHOOKS, "exhaust").await;
    stop(token, task).await;

    assert_eq!(handler.calls().len(), 3);
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.original_subject, subject);
    assert_eq!(letter.deliveries, 3);
    assert!(
        letter.reason.contains("retries exhausted"),
        "{}",
        letter.reason
    );
    assert!(
        letter.reason.contains("database is locked"),
        "{}",
        letter.reason
    );
    assert_eq!(letter.payload.as_ref(), b"msg-0");
    assert_eq!(letter.consumer.as_deref(), Some("exhaust"));
}

#[tokio::test]
async fn a_panicking_handler_is_retried() {
    let (_server, js) = setup().await;
    publish_n(&js, &webhook_subject("AUTH", "X"), 1).await;
    let handler = Recorder::new(|d| {
        assert!(d.delivered() > 1, "boom on the first delivery");
        Outcome::Ack
    });
    let token = CancellationToken::new();
    let c = consumer(&js, "panicky", Duration::from_secs(30)).await;
    let task = spawn(&js, c, handler.clone(), policy(50, 5), 1, &token);
    wait_drained(&js, PLAID_WEBHOOKS, "panicky").await;
    stop(token, task).await;
    let delivered: Vec<u64> = handler.calls().iter().map(|c| c.delivered).collect();
    assert_eq!(delivered, vec![1, 2]);
}

#[tokio::test]
async fn long_handlers_keep_their_message_with_heartbeats() {
    let (_server, js) = setup().await;
    publish_n(&js, &webhook_subject("AUTH", "X"), 1).await;
    // Takes 2.5 ack_waits: without progress heartbeats the server would redeliver it.
    let handler = Recorder::slow(Duration::from_millis(2500), |_| Outcome::Ack);
    let token = CancellationToken::new();
    let c = consumer(&js, "slow", Duration::from_secs(1)).await;
    let task = spawn(&js, c, handler.clone(), policy(50, 5), 4, &token);
    wait_drained(&js, PLAID_WEBHOOKS, "slow").await;
    stop(token, task).await;
    let calls = handler.calls();
    assert_eq!(calls.len(), 1, "redelivered while still being handled");
}

#[tokio::test]
async fn two_loops_on_one_durable_share_the_work() {
    let (_server, js) = setup().await;
    publish_n(&js, &webhook_subject("AUTH", "X"), 100).await;
    let work = Duration::from_millis(5);
    let a = Recorder::slow(work, |_| Outcome::Ack);
    let b = Recorder::slow(work, |_| Outcome::Ack);
    let token = CancellationToken::new();
    let ca = consumer(&js, "shared", Duration::from_secs(30)).await;
    let cb = consumer(&js, "shared", Duration::from_secs(30)).await;
    let ta = spawn(&js, ca, a.clone(), policy(50, 5), 2, &token);
    let tb = spawn(&js, cb, b.clone(), policy(50, 5), 2, &token);
    wait_drained(&js, PLAID_WEBHOOKS, "shared").await;
    token.cancel();
    stop(token.clone(), ta).await;
    stop(token, tb).await;

    let (ca, cb) = (a.calls(), b.calls());
    assert!(
        !ca.is_empty() && !cb.is_empty(),
        "a={} b={}",
        ca.len(),
        cb.len()
    );
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for call in ca.iter().chain(cb.iter()) {
        *seen.entry(call.seq).or_default() += 1;
    }
    assert_eq!(seen.len(), 100);
    assert!(
        seen.values().all(|&n| n == 1),
        "a message was handled twice"
    );
}

#[tokio::test]
async fn shutdown_of_an_idle_loop_is_prompt_and_strands_no_message() {
    let (_server, js) = setup().await;
    let idle = Recorder::new(|_| Outcome::Ack);
    let token = CancellationToken::new();
    let c = consumer(&js, "idle", Duration::from_secs(30)).await;
    let mut options = RunOptions::new(policy(50, 5), 2);
    options.pull_expires = Duration::from_secs(30);
    let dlq = DeadLetters::new(js.clone());
    let task = tokio::spawn(run_consumer(
        c,
        idle.clone(),
        dlq.clone(),
        options.clone(),
        token.clone(),
    ));
    // Wait until its pull request is parked at the server.
    let stream = js.get_stream(PLAID_WEBHOOKS).await.unwrap();
    penny_testkit::poll_until(Duration::from_secs(5), || {
        let stream = stream.clone();
        async move {
            let info = stream.consumer_info("idle").await.ok()?;
            (info.num_waiting >= 1).then_some(())
        }
    })
    .await
    .unwrap();
    let cancelled = tokio::time::Instant::now();
    stop(token, task).await;
    let took = cancelled.elapsed();
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");

    // A message published now must go to the next loop at once, not to the abandoned pull
    // (where it would sit until ack_wait, 30 s, ran out).
    publish_n(&js, &webhook_subject("AUTH", "X"), 1).await;
    let next = Recorder::new(|_| Outcome::Ack);
    let token = CancellationToken::new();
    let c = consumer(&js, "idle", Duration::from_secs(30)).await;
    let task = tokio::spawn(run_consumer(c, next.clone(), dlq, options, token.clone()));
    wait_drained(&js, PLAID_WEBHOOKS, "idle").await;
    stop(token, task).await;
    assert!(idle.calls().is_empty());
    let calls = next.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].delivered, 1,
        "first delivery: nothing was stranded"
    );
}

#[tokio::test]
async fn shutdown_finishes_in_flight_work() {
    let (_server, js) = setup().await;
    publish_n(&js, &webhook_subject("AUTH", "X"), 1).await;
    let handler = Recorder::slow(Duration::from_millis(700), |_| Outcome::Ack);
    let token = CancellationToken::new();
    let c = consumer(&js, "graceful", Duration::from_secs(30)).await;
    let dlq = DeadLetters::new(js.clone());
    let mut options = RunOptions::new(policy(50, 5), 2);
    options.pull_expires = Duration::from_millis(500);
    let task = tokio::spawn(run_consumer(
        c,
        handler.clone(),
        dlq,
        options,
        token.clone(),
    ));
    let h = handler.clone();
    penny_testkit::poll_until(Duration::from_secs(5), || {
        let started = !h.calls().is_empty();
        async move { started }
    })
    .await
    .unwrap();
    // Cancel while the handler runs: the loop waits for it and its ack before returning.
    stop(token, task).await;
    let stream = js.get_stream(PLAID_WEBHOOKS).await.unwrap();
    let info = stream.consumer_info("graceful").await.unwrap();
    assert_eq!(info.num_ack_pending, 0);
    assert_eq!(info.num_pending, 0);
    assert_eq!(info.ack_floor.stream_sequence, 1);
}

#[tokio::test]
async fn handlers_continue_the_publishers_trace() {
    let (_server, js) = setup().await;
    let span = tracing::info_span!("ingress_request");
    let outcome = publish_durable(
        &js,
        &webhook_subject("AUTH", "X"),
        HeaderMap::new(),
        Bytes::new(),
        None,
        ACK,
    )
    .instrument(span)
    .await
    .unwrap();
    let stored = js
        .get_stream(PLAID_WEBHOOKS)
        .await
        .unwrap()
        .get_raw_message(outcome.stream_seq)
        .await
        .unwrap();
    let traceparent = stored
        .headers
        .get("traceparent")
        .unwrap()
        .as_str()
        .to_owned();
    let trace_id = traceparent.split('-').nth(1).unwrap().to_owned();

    let handler = Recorder::new(|_| Outcome::Ack);
    let token = CancellationToken::new();
    let c = consumer(&js, "traced", Duration::from_secs(30)).await;
    let task = spawn(&js, c, handler.clone(), policy(50, 5), 1, &token);
    wait_drained(&js, PLAID_WEBHOOKS, "traced").await;
    stop(token, task).await;
    assert_eq!(
        handler.calls()[0].trace_id.as_deref(),
        Some(trace_id.as_str())
    );
}
