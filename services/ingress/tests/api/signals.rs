//! The real `penny-ingress` binary and a real SIGTERM: it stops accepting, lets in-flight
//! webhooks finish their publishes (each still answered 200) and exits 0.

use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;

use crate::binary::IngressBinary;
use crate::helpers::*;

#[tokio::test]
async fn sigterm_finishes_in_flight_publishes_and_exits_0() {
    // The harness provides NATS, the sandbox and the helpers; the binary under test uses them.
    let app = spawn_app().await;
    let mut binary = IngressBinary::start(&app, &[("PENNY_INGRESS_SHUTDOWN_GRACE", "10s")]).await;
    let base = binary.base.clone();
    let http = reqwest::Client::new();

    // Requests stay in flight on a slow key fetch while SIGTERM arrives.
    app.fault(EndpointFault::latency(KEY_GET, Duration::from_millis(1000)))
        .await;
    let mut handles = Vec::new();
    for i in 0..6 {
        let body = auth_body(&format!("item-sigterm-{i}"));
        let token = app.sign(&body).await.token;
        let request = http
            .post(format!("{base}/webhooks/plaid"))
            .header("content-type", "application/json")
            .header("Plaid-Verification", token)
            .body(body);
        handles.push(tokio::spawn(async move { send(request).await.0 }));
    }
    penny_testkit::poll_until(Duration::from_secs(5), || async {
        let metrics = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        metrics
            .lines()
            .any(|l| l == "penny_ingress_requests_in_flight 6")
            .then_some(())
    })
    .await
    .expect("six requests in flight");

    let pid = binary.pid().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());

    for h in handles {
        assert_eq!(
            h.await.expect("task"),
            StatusCode::OK,
            "in-flight webhook finished"
        );
    }
    let status = penny_testkit::poll_until(Duration::from_secs(15), || {
        let exited = binary.try_wait();
        async move { exited }
    })
    .await
    .expect("the binary exits after SIGTERM");
    assert_eq!(status.code(), Some(0), "clean exit: {status:?}");
    assert_eq!(
        app.stream_messages().await,
        6,
        "every in-flight webhook was published"
    );
    let refused = http.get(format!("{base}/healthz")).send().await;
    assert!(refused.is_err(), "nothing listens after the exit");
}
