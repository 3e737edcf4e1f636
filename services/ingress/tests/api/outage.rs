//! NATS outages and a full stream: 503 with the reason, then recovery without a restart.

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
