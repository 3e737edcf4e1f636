//! What the client writes to tracing: one `plaid.call` span per call with the endpoint, Plaid's
//! `request_id` and the attempt count, a warning per retry, and never a credential or token.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::routing::post;
use penny_plaid::{AccessToken, PlaidClient, PlaidClientConfig};
use tracing_subscriber::fmt::format::FmtSpan;

/// A `MakeWriter` collecting everything into one buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// Answers 503 PLANNED_MAINTENANCE once, then a valid `/item/get` body with `request_id` `req-42`.
async fn flaky_plaid() -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let calls = Arc::new(AtomicU32::new(0));
    let app = axum::Router::new().fallback(post(move || {
        let calls = Arc::clone(&calls);
        async move {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    r#"{"error_type":"API_ERROR","error_code":"PLANNED_MAINTENANCE","error_message":"m","display_message":null,"request_id":"req-41"}"#,
                )
            } else {
                (
                    StatusCode::OK,
                    r#"{"item":{"item_id":"item-1"},"status":null,"request_id":"req-42"}"#,
                )
            }
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, task))
}

#[tokio::test]
async fn spans_and_retry_logs_carry_ids_but_no_secrets() -> anyhow::Result<()> {
    penny_testkit::init();
    let (url, task) = flaky_plaid().await?;
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let plaid = PlaidClient::new(PlaidClientConfig {
        base_url: url,
        client_id: "client-id-123".into(),
        secret: "very-secret-value".into(),
        retry_base: std::time::Duration::from_millis(1),
        ..PlaidClientConfig::default()
    })?;
    let token = AccessToken::new("access-sandbox-4c1d0e7a-token-body");
    let got = plaid.item_get(&token).await?;
    assert_eq!(got.request_id, "req-42");
    task.abort();

    let logs = buffer.text();
    assert!(logs.contains("plaid.call"), "{logs}");
    assert!(logs.contains("plaid.endpoint=\"/item/get\""), "{logs}");
    assert!(logs.contains("plaid.request_id=\"req-42\""), "{logs}");
    assert!(logs.contains("plaid.attempts=2"), "{logs}");
    assert!(logs.contains("retrying plaid call"), "{logs}");
    assert!(logs.contains("PLANNED_MAINTENANCE"), "{logs}");
    assert!(logs.contains("req-41"), "{logs}");
    for secret in ["very-secret-value", "4c1d0e7a", "token-body"] {
        assert!(!logs.contains(secret), "{secret} leaked into logs: {logs}");
    }
    Ok(())
}
