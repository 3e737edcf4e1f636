//! Durable publishing: dedupe, stream full, NATS down, trace context.

use std::time::Duration;

use async_nats::HeaderMap;
use bytes::Bytes;
use penny_bus::{
    HDR_TRACEPARENT, PLAID_WEBHOOKS, PublishError, StreamSettings, ensure_plaid_webhooks,
    publish_durable, webhook_subject,
};
use tokio::time::Instant;
use tracing::Instrument;

use crate::support::setup;

const ACK: Duration = Duration::from_secs(2);

#[tokio::test]
async fn same_msg_id_is_stored_once() {
    let (_server, js) = setup().await;
    let subject = webhook_subject("AUTH", "AUTOMATICALLY_VERIFIED");
    let body = Bytes::from_static(br#"{"webhook_type":"AUTH"}"#);
    let first = publish_durable(
        &js,
        &subject,
        HeaderMap::new(),
        body.clone(),
        Some("sha-1"),
        ACK,
    )
    .await
    .unwrap();
    let second = publish_durable(
        &js,
        &subject,
        HeaderMap::new(),
        body.clone(),
        Some("sha-1"),
        ACK,
    )
    .await
    .unwrap();
    let third = publish_durable(&js, &subject, HeaderMap::new(), body, Some("sha-2"), ACK)
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert!(second.duplicate);
    assert_eq!(second.stream_seq, first.stream_seq);
    assert!(!third.duplicate);
    let mut stream = js.get_stream(PLAID_WEBHOOKS).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 2);
}

#[tokio::test]
async fn a_full_stream_refuses_with_stream_full() {
    let (_server, js) = setup().await;
    let tiny = StreamSettings {
        max_bytes: 4096,
        ..StreamSettings::default()
    };
    ensure_plaid_webhooks(&js, &tiny).await.unwrap();
    let subject = webhook_subject("AUTH", "X");
    let body = Bytes::from(vec![b'x'; 1000]);
    let mut stored = 0;
    let err = loop {
        match publish_durable(&js, &subject, HeaderMap::new(), body.clone(), None, ACK).await {
            Ok(_) => stored += 1,
            Err(err) => break err,
        }
        assert!(stored < 10, "the stream never filled up");
    };
    assert!(matches!(err, PublishError::StreamFull(_)), "{err:?}");
    assert_eq!(err.reason(), "stream_full");
    assert!(err.is_transient());
    assert!(stored >= 1);
    // Nothing old was discarded to make room.
    let mut stream = js.get_stream(PLAID_WEBHOOKS).await.unwrap();
    let state = stream.info().await.unwrap().state.clone();
    assert_eq!(state.first_sequence, 1);
    assert_eq!(state.messages, stored);
}

#[tokio::test]
async fn no_stream_for_the_subject() {
    let (_server, js) = setup().await;
    let err = publish_durable(
        &js,
        "nobody.listens",
        HeaderMap::new(),
        Bytes::new(),
        None,
        ACK,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, PublishError::NoStream(_)), "{err:?}");
}

#[tokio::test]
async fn nats_down_fails_within_the_ack_timeout() {
    let (mut server, js) = setup().await;
    let subject = webhook_subject("AUTH", "X");
    publish_durable(&js, &subject, HeaderMap::new(), Bytes::new(), None, ACK)
        .await
        .unwrap();
    server.stop().unwrap();

    let ack_timeout = Duration::from_millis(800);
    for _ in 0..3 {
        let started = Instant::now();
        let err = publish_durable(
            &js,
            &subject,
            HeaderMap::new(),
            Bytes::new(),
            None,
            ack_timeout,
        )
        .await
        .unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(err, PublishError::Unavailable | PublishError::Timeout(_)),
            "{err:?}"
        );
        assert!(
            took < ack_timeout + Duration::from_millis(300),
            "took {took:?}"
        );
    }

    // Back up: the same client reconnects by itself and publishing works again.
    server.restart().await.unwrap();
    let js2 = js.clone();
    penny_testkit::poll_until(Duration::from_secs(10), || {
        let js = js2.clone();
        let subject = subject.clone();
        async move {
            publish_durable(&js, &subject, HeaderMap::new(), Bytes::new(), None, ACK)
                .await
                .is_ok()
        }
    })
    .await
    .expect("publishing resumes after NATS is back");
}

#[tokio::test]
async fn publish_carries_the_trace_context() {
    let (_server, js) = setup().await;
    let subject = webhook_subject("ITEM", "ERROR");
    let span = tracing::info_span!("ingress_request");
    let outcome = publish_durable(&js, &subject, HeaderMap::new(), Bytes::new(), None, ACK)
        .instrument(span)
        .await
        .unwrap();
    let stream = js.get_stream(PLAID_WEBHOOKS).await.unwrap();
    let stored = stream.get_raw_message(outcome.stream_seq).await.unwrap();
    let traceparent = stored
        .headers
        .get(HDR_TRACEPARENT)
        .expect("traceparent header")
        .as_str()
        .to_owned();
    assert!(traceparent.starts_with("00-"), "{traceparent}");

    // An existing traceparent (an outbox row's) is kept as is.
    let mut headers = HeaderMap::new();
    let given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    headers.insert(HDR_TRACEPARENT, given);
    let outcome = publish_durable(&js, &subject, headers, Bytes::new(), None, ACK)
        .instrument(tracing::info_span!("other"))
        .await
        .unwrap();
    let stored = stream.get_raw_message(outcome.stream_seq).await.unwrap();
    assert_eq!(stored.headers.get(HDR_TRACEPARENT).unwrap().as_str(), given);
}
