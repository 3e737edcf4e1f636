//! NATS outages (down, or up but stalled) and a full stream: 503 with the reason within the
//! bound, then recovery without a restart, and Plaid's retry stored exactly once.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn nats_down_gives_503_and_ingress_recovers_when_it_returns() {
    let mut app = spawn_app_with(|c| {
        c.ingress.publish_timeout = Duration::from_millis(500);
    })
    .await;
    let (status, _) = app.deliver(&auth_body("item-before")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get("/readyz").await.0, StatusCode::OK);

    app.nats.stop().expect("stop nats");
    let mut n = 0;
    let (status, reply) = penny_testkit::poll_until(Duration::from_secs(10), || {
        n += 1;
        let body = auth_body(&format!("item-down-{n}"));
        let app = &app;
        async move {
            let r = app.deliver(&body).await;
            (r.0 != StatusCode::OK).then_some(r)
        }
    })
    .await
    .expect("a 503 while NATS is down");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{reply}");
    assert!(
        ["nats_unavailable", "publish_timeout"].contains(&code(&reply)),
        "reason named: {reply}"
    );
    // Every request during the outage is a 503 with a reason, never a hang.
    for i in 0..3 {
        let started = std::time::Instant::now();
        let (status, reply) = app.deliver(&auth_body(&format!("item-down-x{i}"))).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{reply}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
    penny_testkit::poll_until(Duration::from_secs(5), || async {
        app.get("/readyz").await.0 == StatusCode::SERVICE_UNAVAILABLE
    })
    .await
    .expect("readyz reports the outage");
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);

    app.nats.restart().await.expect("restart nats");
    let mut n = 0;
    penny_testkit::poll_until(Duration::from_secs(20), || {
        n += 1;
        let body = auth_body(&format!("item-back-{n}"));
        let app = &app;
        async move { app.deliver(&body).await.0 == StatusCode::OK }
    })
    .await
    .expect("accepted again after NATS returns");
    penny_testkit::poll_until(Duration::from_secs(10), || async {
        app.get("/readyz").await.0 == StatusCode::OK
    })
    .await
    .expect("ready again");
    let (status, _) = app.deliver(&auth_body("item-after")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        app.task.as_ref().is_some_and(|t| !t.is_finished()),
        "ingress kept running"
    );
}

#[tokio::test]
async fn a_stalled_nats_gives_503_within_the_bound_and_the_retry_is_stored_once() {
    let mut app = spawn_app_with(|c| {
        c.ingress.publish_timeout = Duration::from_millis(500);
    })
    .await;
    // Cache the key first: only the publish should be waiting below.
    let (status, _) = app.deliver(&auth_body("item-warm")).await;
    assert_eq!(status, StatusCode::OK);

    // The server process is frozen: the TCP connection stays up, no PubAck ever comes.
    app.nats.freeze().await.expect("freeze nats");
    let body = auth_body("item-stalled");
    let started = std::time::Instant::now();
    let (status, reply) = app.deliver(&body).await;
    let took = started.elapsed();
    assert_eq!(
        (status, code(&reply)),
        (StatusCode::SERVICE_UNAVAILABLE, "publish_timeout"),
        "{reply}"
    );
    // The publish bound (here 500 ms, 2 s by default), far inside Plaid's 10 s.
    assert!(took < Duration::from_secs(3), "answered after {took:?}");
    penny_testkit::poll_until(Duration::from_secs(5), || async {
        app.get("/readyz").await.0 == StatusCode::SERVICE_UNAVAILABLE
    })
    .await
    .expect("readyz reports the stall");

    app.nats.thaw().expect("thaw nats");
    // Plaid retries the same bytes with a fresh token. The stalled publish was already on the
    // wire and is stored once the server resumes, so the retry is recognised as its duplicate.
    penny_testkit::poll_until(Duration::from_secs(10), || async {
        app.deliver(&body).await.0 == StatusCode::OK
    })
    .await
    .expect("accepted again once NATS resumes");
    assert_eq!(
        app.stream_messages().await,
        2,
        "warm-up + the stalled webhook, once"
    );
    assert_eq!(app.metrics.duplicates_total(), 1);
    let stored = app
        .js
        .get_stream(STREAM)
        .await
        .expect("stream")
        .get_raw_message(2)
        .await
        .expect("second message");
    assert_eq!(stored.payload.as_ref(), body.as_bytes());
}

#[tokio::test]
async fn a_full_stream_gives_503_stream_full() {
    let app = spawn_app_with(|c| {
        c.ingress.stream_max_bytes = 4 * 1024;
    })
    .await;
    let mut accepted = 0;
    let mut last = None;
    for i in 0..100 {
        let (status, reply) = app.deliver(&auth_body(&format!("item-full-{i}"))).await;
        if status == StatusCode::OK {
            accepted += 1;
        } else {
            last = Some((status, reply));
            break;
        }
    }
    let (status, reply) = last.expect("the stream fills up");
    assert_eq!(
        (status, code(&reply)),
        (StatusCode::SERVICE_UNAVAILABLE, "stream_full")
    );
    assert!(accepted > 0);
    assert_eq!(app.stream_messages().await, accepted);
}
