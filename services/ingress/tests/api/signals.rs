//! The real `penny-ingress` binary and a real SIGTERM: it stops accepting, lets in-flight
//! webhooks finish their publishes (each still answered 200) and exits 0.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// The ingress binary as a child process, killed on drop if the test fails before it exits.
struct Binary(Child);

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn sigterm_finishes_in_flight_publishes_and_exits_0() {
    // The harness provides NATS, the sandbox and the helpers; the binary under test uses them.
    let app = spawn_app().await;
    let port = penny_testkit::free_port().expect("free port");
    let base = format!("http://127.0.0.1:{port}");
    let mut binary = Binary(
        Command::new(env!("CARGO_BIN_EXE_penny-ingress"))
            .env("PENNY_INGRESS_LISTEN", format!("127.0.0.1:{port}"))
            .env("PENNY_NATS_URL", app.nats.url())
            .env("PENNY_PLAID_BASE_URL", app.sandbox.base_url())
            .env("PENNY_INGRESS_SHUTDOWN_GRACE", "10s")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("penny-ingress starts"),
    );
    let http = reqwest::Client::new();
    penny_testkit::poll_until(Duration::from_secs(20), || async {
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await
    .expect("the binary becomes ready");

    // Requests stay in flight on a slow key fetch while SIGTERM arrives.
    app.fault(json!({ "endpoint": KEY_GET, "latency_ms": 1000 }))
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

    let pid = binary.0.id().to_string();
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
        let exited = binary.0.try_wait().ok().flatten();
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
