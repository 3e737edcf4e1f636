//! Parking, listing, redriving and discarding dead letters.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use async_nats::HeaderMap;
use bytes::Bytes;
use penny_bus::{
    ConsumerSpec, DEAD_LETTERS, DeadLetterError, DeadLetters, HDR_DEAD_REASON, HDR_MSG_ID, Outcome,
    PLAID_WEBHOOKS, RetryPolicy, RunOptions, ensure_pull_consumer, publish_durable, run_consumer,
    webhook_subject, webhook_type_filter,
};
use tokio_util::sync::CancellationToken;

use crate::support::{Recorder, setup, wait_drained, wait_parked};

const ACK: Duration = Duration::from_secs(2);

#[tokio::test]
async fn parked_messages_can_be_listed_and_redriven() {
    let (_server, js) = setup().await;
    let subject = webhook_subject("AUTH", "VERIFICATION_EXPIRED");
    let mut headers = HeaderMap::new();
    headers.insert("Penny-Webhook-Type", "AUTH");
    publish_durable(
        &js,
        &subject,
        headers,
        Bytes::from_static(b"poison"),
        Some("orig-id"),
        ACK,
    )
    .await
    .unwrap();

    // Park every payload the first time it is seen, ack it afterwards.
    let seen: Arc<Mutex<HashSet<Vec<u8>>>> = Arc::default();
    let seen_in = Arc::clone(&seen);
    let handler = Recorder::new(move |d| {
        if seen_in.lock().unwrap().insert(d.payload().to_vec()) {
            Outcome::park("unknown account")
        } else {
            Outcome::Ack
        }
    });
    let spec = ConsumerSpec::new("parker", vec![webhook_type_filter("AUTH")]);
    let consumer = ensure_pull_consumer(&js, PLAID_WEBHOOKS, &spec)
        .await
        .unwrap();
    let dlq = DeadLetters::new(js.clone());
    let token = CancellationToken::new();
    let task = tokio::spawn(run_consumer(
        consumer,
        handler.clone(),
        dlq.clone(),
        RunOptions::new(RetryPolicy::default(), 2),
        token.clone(),
    ));

    let letters = wait_parked(&js, Duration::from_secs(10)).await;
    wait_drained(&js, PLAID_WEBHOOKS, "parker").await;
    assert_eq!(
        handler.calls().len(),
        1,
        "a parked message is not redelivered"
    );
    let letter = &letters[0];
    assert_eq!(letter.original_subject, subject);
    assert_eq!(letter.original_stream.as_deref(), Some(PLAID_WEBHOOKS));
    assert_eq!(letter.original_seq, Some(1));
    assert_eq!(letter.reason, "unknown account");
    assert_eq!(letter.deliveries, 1);
    assert!(letter.at.is_some());
    assert_eq!(letter.payload.as_ref(), b"poison");
    assert_eq!(
        letter.headers.get("Penny-Webhook-Type").unwrap().as_str(),
        "AUTH"
    );
    // The original Nats-Msg-Id is not copied; the dead letter has its own.
    let dlq_id = letter.headers.get(HDR_MSG_ID).unwrap().as_str();
    assert!(dlq_id.starts_with("dlq-PLAID_WEBHOOKS-parker-"), "{dlq_id}");
    assert!(
        !format!("{letter:?}").contains("poison"),
        "Debug hides the payload"
    );

    // Redrive: back on the original subject, consumed (and acked) this time, gone from the DLQ.
    let outcome = dlq.redrive(letter.seq).await.unwrap();
    assert!(!outcome.duplicate);
    wait_drained(&js, PLAID_WEBHOOKS, "parker").await;
    let calls = handler.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].payload, b"poison");
    assert_eq!(calls[1].seq, outcome.stream_seq);
    assert_eq!(dlq.count().await.unwrap(), 0);
    let redriven = js
        .get_stream(PLAID_WEBHOOKS)
        .await
        .unwrap()
        .get_raw_message(outcome.stream_seq)
        .await
        .unwrap();
    assert!(redriven.headers.get(HDR_DEAD_REASON).is_none());
    assert_eq!(
        redriven.headers.get("Penny-Webhook-Type").unwrap().as_str(),
        "AUTH"
    );
    assert!(matches!(
        dlq.redrive(letter.seq).await,
        Err(DeadLetterError::NotFound(_))
    ));

    token.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn redrive_all_and_discard() {
    let (_server, js) = setup().await;
    let dlq = DeadLetters::new(js.clone());
    // Park three messages by hand (as a handler would), no consumer running.
    for i in 0..3u64 {
        let delivery = penny_bus::Delivery::new(
            webhook_subject("ITEM", "ERROR"),
            Bytes::from(format!("m{i}")),
            HeaderMap::new(),
        )
        .with_delivery(2, 100 + i);
        dlq.park(&delivery, "manual", "bad").await.unwrap();
    }
    // Parking the same delivery again stores no second copy.
    let again = penny_bus::Delivery::new(webhook_subject("ITEM", "ERROR"), "m0", HeaderMap::new())
        .with_delivery(2, 100);
    assert!(dlq.park(&again, "manual", "bad").await.unwrap().duplicate);
    assert_eq!(dlq.count().await.unwrap(), 3);

    let letters = dlq.list(10).await.unwrap();
    assert_eq!(letters.len(), 3);
    dlq.discard(letters[0].seq).await.unwrap();
    assert_eq!(
        dlq.list(10).await.unwrap().len(),
        2,
        "list skips deleted sequences"
    );
    assert_eq!(dlq.list(1).await.unwrap().len(), 1);

    assert_eq!(dlq.redrive_all().await.unwrap(), 2);
    assert_eq!(dlq.count().await.unwrap(), 0);
    let mut webhooks = js.get_stream(PLAID_WEBHOOKS).await.unwrap();
    assert_eq!(webhooks.info().await.unwrap().state.messages, 2);
    assert_eq!(dlq.redrive_all().await.unwrap(), 0);
    let mut dead = js.get_stream(DEAD_LETTERS).await.unwrap();
    assert_eq!(dead.info().await.unwrap().state.messages, 0);
}
