//! Health, readiness, metrics, --help, load shedding, body limits and timeouts on the wire,
//! graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::AsyncWriteExt as _;

use crate::helpers::*;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
    assert_eq!(app.get("/readyz").await.0, StatusCode::OK);
    let (status, _) = app.deliver(&auth_body("item-metrics")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _) = app.post(auth_body("x"), None).await;
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "penny_ingress_webhooks_accepted_total 1",
        "penny_ingress_webhooks_duplicate_total 0",
        "penny_ingress_webhooks_rejected_total{reason=\"missing_signature\"} 1",
        "penny_ingress_publish_duration_seconds_count 1",
        "penny_ingress_requests_in_flight 0",
        "penny_ingress_key_fetches_total{outcome=\"found\"} 1",
        "penny_ingress_nats_ready 1",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
}

#[tokio::test]
async fn a_deleted_stream_is_re_created_with_its_settings_and_intake_resumes() {
    let app = spawn_app().await;
    let (status, _) = app.deliver(&auth_body("item-before-delete")).await;
    assert_eq!(status, StatusCode::OK);
    // An operator mistake, or a NATS restart without persistent storage.
    app.js.delete_stream(STREAM).await.expect("delete stream");
    // Until the readiness loop notices (100 ms here), a webhook finds no stream: 503, so Plaid
    // retries; afterwards it is accepted. Never a 200 for a webhook that was not stored.
    let mut n = 0;
    penny_testkit::poll_until(Duration::from_secs(10), || {
        n += 1;
        let body = auth_body(&format!("item-after-delete-{n}"));
        let app = &app;
        async move {
            let (status, reply) = app.deliver(&body).await;
            if status != StatusCode::OK {
                assert_eq!(
                    (status, code(&reply)),
                    (StatusCode::SERVICE_UNAVAILABLE, "stream_unavailable")
                );
            }
            status == StatusCode::OK
        }
    })
    .await
    .expect("accepted again once the stream is back");
    let mut stream = app.js.get_stream(STREAM).await.expect("re-created");
    let info = stream.info().await.expect("info");
    assert_eq!(info.state.messages, 1, "only the webhook after re-creation");
    let wanted = penny_bus::streams::plaid_webhooks_config(&penny_bus::StreamSettings::default());
    assert_eq!(info.config.storage, wanted.storage);
    assert_eq!(info.config.discard, wanted.discard);
    assert_eq!(info.config.max_age, wanted.max_age);
    assert_eq!(info.config.duplicate_window, wanted.duplicate_window);
    assert_eq!(app.get("/readyz").await.0, StatusCode::OK);
}

#[test]
fn help_lists_the_configuration() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_penny-ingress"))
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "PENNY_INGRESS_LISTEN",
        "PENNY_NATS_URL",
        "PENNY_PLAID_BASE_URL",
        "PENNY_PLAID_ENVIRONMENT",
        "PENNY_INGRESS_MAX_BODY_BYTES",
        "PENNY_INGRESS_IAT_MAX_AGE",
        "PENNY_INGRESS_IAT_MAX_SKEW",
        "PENNY_INGRESS_PUBLISH_TIMEOUT",
        "PENNY_INGRESS_MAX_IN_FLIGHT",
        "PENNY_INGRESS_MAX_CONNECTIONS",
        "PENNY_INGRESS_HEADER_READ_TIMEOUT",
        "PENNY_INGRESS_LISTEN_BACKLOG",
        "PENNY_INGRESS_KEY_NEGATIVE_TTL",
        "PENNY_INGRESS_STREAM_MAX_BYTES",
        "PENNY_LOG_FORMAT",
    ] {
        assert!(help.contains(var), "{var} missing from --help:\n{help}");
    }
}

#[tokio::test]
async fn over_the_in_flight_limit_requests_are_shed_with_503() {
    let app = Arc::new(
        spawn_app_with(|c| {
            c.ingress.max_in_flight = 4;
        })
        .await,
    );
    // Slow key fetch: the first requests hold their slots while the rest arrive.
    app.fault(EndpointFault::latency(KEY_GET, Duration::from_millis(500)))
        .await;
    let mut signed = Vec::new();
    for i in 0..20 {
        let body = auth_body(&format!("item-shed-{i}"));
        let token = app.sign(&body).await.token;
        signed.push((body, token));
    }
    let posts = signed.into_iter().map(|(body, token)| {
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let (status, reply) = app.post(body, Some(&token)).await;
            (status, code(&reply).to_owned())
        })
    });
    let results: Vec<_> = futures::future::join_all(posts)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    let ok = results.iter().filter(|r| r.0 == StatusCode::OK).count();
    let shed = results
        .iter()
        .filter(|r| r.0 == StatusCode::SERVICE_UNAVAILABLE && r.1 == "overloaded")
        .count();
    assert_eq!(ok + shed, 20, "{results:?}");
    assert!(ok >= 4 && shed >= 1, "{results:?}");
    assert_eq!(app.stream_messages().await, ok as u64);
    assert_eq!(
        app.metrics
            .rejected_total(penny_ingress::Rejection::Overloaded),
        shed as u64
    );
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let mut tcp = app.raw_webhook("Transfer-Encoding: chunked", b"").await;
    let chunk = vec![b'x'; 8192];
    for _ in 0..9 {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if tcp.write_all(&frame).await.is_err() {
            break; // the server may answer and close before reading everything
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let text = read_answer(&mut tcp).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("body_too_large"), "{text}");
    assert_eq!(app.stream_messages().await, 0);
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_408_and_frees_its_slot() {
    let app = spawn_app_with(|c| {
        c.ingress.body_read_timeout = Duration::from_millis(300);
        c.ingress.max_in_flight = 1;
    })
    .await;
    // Announces 500 bytes, sends 10, then goes quiet.
    let mut tcp = app.raw_webhook("Content-Length: 500", b"{\"webhook_").await;
    let started = std::time::Instant::now();
    // Answered while the client is still silent.
    let text = read_answer(&mut tcp).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("body_read_timeout"), "{text}");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "not before the timeout"
    );
    assert_eq!(
        app.metrics
            .rejected_total(penny_ingress::Rejection::BodyReadTimeout),
        1
    );
    // Its in-flight slot (the only one) is free again for a real webhook.
    let (status, reply) = app.deliver(&auth_body("item-after-trickle")).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(app.stream_messages().await, 1);
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let mut app = spawn_app().await;
    // Requests stay in flight on a slow key fetch while shutdown starts.
    app.fault(EndpointFault::latency(KEY_GET, Duration::from_millis(700)))
        .await;
    let mut handles = Vec::new();
    for i in 0..8 {
        let body = auth_body(&format!("item-shutdown-{i}"));
        let token = app.sign(&body).await.token;
        let http = app.http.clone();
        let url = app.webhook_url.clone();
        handles.push(tokio::spawn(async move {
            send(
                http.post(url)
                    .header("content-type", "application/json")
                    .header("Plaid-Verification", token)
                    .body(body),
            )
            .await
            .0
        }));
    }
    penny_testkit::poll_until(Duration::from_secs(5), || async {
        app.metrics.in_flight_now() == 8
    })
    .await
    .expect("requests in flight");
    app.shutdown.cancel();
    for h in handles {
        assert_eq!(h.await.expect("task"), StatusCode::OK);
    }
    let task = app.task.take().expect("task");
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops in time")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(app.stream_messages().await, 8);
    // No longer accepting.
    let refused = reqwest::Client::new()
        .post(&app.webhook_url)
        .body("{}")
        .send()
        .await;
    assert!(refused.is_err(), "connection refused after shutdown");
}
