//! The retry rule end to end: read-only calls retry 429/500/503 (the sandbox counts every call),
//! 4xx and mutating calls never retry, and the wire format every call uses.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use penny_plaid::{
    AccessToken, LinkTokenCreateRequest, PlaidClient, PlaidClientConfig, PlaidError,
};
use penny_testkit::ForcedError;
use tokio::sync::Mutex;

use crate::common::{Harness, MAX_RETRIES};

/// (sandbox fault, HTTP status, error_code Plaid sends for `/accounts/get`).
const FAULTS: [(ForcedError, u16, &str); 3] = [
    (ForcedError::RateLimitExceeded, 429, "ACCOUNTS_LIMIT"),
    (
        ForcedError::InternalServerError,
        500,
        "INTERNAL_SERVER_ERROR",
    ),
    (ForcedError::PlannedMaintenance, 503, "PLANNED_MAINTENANCE"),
];

#[tokio::test]
async fn read_calls_succeed_after_up_to_max_retries_failures() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h.instant_item().await?;
    for (fault, _, _) in FAULTS {
        for failures in 1..=MAX_RETRIES {
            h.reset_stats().await?;
            h.inject("/accounts/get", fault, failures).await?;
            let accounts = h.plaid.accounts_get(&linked.access_token).await?;
            assert!(!accounts.accounts.is_empty());
            assert_eq!(
                h.calls("/accounts/get").await?,
                u64::from(failures) + 1,
                "{fault:?} x{failures}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn read_calls_give_up_after_max_retries_with_the_last_error() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h.instant_item().await?;
    for (fault, status, code) in FAULTS {
        h.reset_stats().await?;
        h.inject("/accounts/get", fault, MAX_RETRIES + 1).await?;
        let err = h
            .plaid
            .accounts_get(&linked.access_token)
            .await
            .unwrap_err();
        assert_eq!(err.http_status(), Some(status), "{err:?}");
        assert_eq!(err.error_code(), Some(code), "{err:?}");
        assert!(err.is_retryable());
        assert_eq!(
            h.calls("/accounts/get").await?,
            u64::from(MAX_RETRIES) + 1,
            "{fault:?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn every_read_only_call_retries() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h.instant_item().await?;
    let keys = h.control.keys().await?;
    let kid = keys[0].kid.clone();

    let endpoints = [
        "/auth/get",
        "/item/get",
        "/bank_transfer/event/sync",
        "/transfer/event/sync",
        "/webhook_verification_key/get",
    ];
    for endpoint in endpoints {
        h.reset_stats().await?;
        h.inject(endpoint, ForcedError::InternalServerError, 2)
            .await?;
        match endpoint {
            "/auth/get" => drop(h.plaid.auth_get(&linked.access_token).await?),
            "/item/get" => drop(h.plaid.item_get(&linked.access_token).await?),
            "/bank_transfer/event/sync" => drop(h.plaid.bank_transfer_event_sync(0, None).await?),
            "/transfer/event/sync" => drop(h.plaid.transfer_event_sync(0, None).await?),
            _ => drop(h.plaid.webhook_verification_key_get(&kid).await?),
        }
        assert_eq!(h.calls(endpoint).await?, 3, "{endpoint}");
    }
    Ok(())
}

#[tokio::test]
async fn a_400_is_never_retried() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.reset_stats().await?;
    let err = h
        .plaid
        .accounts_get(&AccessToken::new("access-sandbox-unknown"))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("INVALID_ACCESS_TOKEN"));
    assert_eq!(h.calls("/accounts/get").await?, 1);

    let linked = h.link_microdeposit_item(None).await?;
    h.reset_stats().await?;
    let err = h.plaid.auth_get(&linked.access_token).await.unwrap_err();
    assert!(err.is_product_not_ready());
    assert_eq!(h.calls("/auth/get").await?, 1);
    Ok(())
}

#[tokio::test]
async fn mutating_calls_are_never_retried() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h.instant_item().await?;
    h.reset_stats().await?;

    h.inject("/item/remove", ForcedError::InternalServerError, 1)
        .await?;
    let err = h.plaid.item_remove(&linked.access_token).await.unwrap_err();
    assert_eq!(err.http_status(), Some(500));
    assert!(
        err.is_retryable(),
        "retryable by the caller, not by the client"
    );
    assert_eq!(h.calls("/item/remove").await?, 1);

    h.inject("/link/token/create", ForcedError::PlannedMaintenance, 1)
        .await?;
    let request = LinkTokenCreateRequest::automated_microdeposits("penny", "u", "https://x");
    let err = h.plaid.link_token_create(&request).await.unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(h.calls("/link/token/create").await?, 1);

    h.inject("/sandbox/public_token/create", ForcedError::RateLimit, 1)
        .await?;
    let err = h
        .plaid
        .sandbox_public_token_create(&penny_plaid::SandboxPublicTokenCreateRequest::new(
            "ins_109508",
            vec![penny_plaid::Product::Auth],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(h.calls("/sandbox/public_token/create").await?, 1);

    // The faults were one-shot: the same calls now succeed.
    h.plaid.item_remove(&linked.access_token).await?;
    h.plaid.link_token_create(&request).await?;
    Ok(())
}

/// What the fake upstream saw.
#[derive(Default)]
struct Seen {
    hits: AtomicU32,
    headers: Mutex<Vec<HeaderMap>>,
    bodies: Mutex<Vec<String>>,
}

/// A stand-in for a proxy in front of Plaid that answers 502 with an HTML page.
async fn bad_gateway() -> anyhow::Result<(String, Arc<Seen>, tokio::task::JoinHandle<()>)> {
    let seen = Arc::new(Seen::default());
    let state = Arc::clone(&seen);
    let app = axum::Router::new().fallback(post(move |headers: HeaderMap, body: String| {
        let state = Arc::clone(&state);
        async move {
            state.hits.fetch_add(1, Ordering::SeqCst);
            state.headers.lock().await.push(headers);
            state.bodies.lock().await.push(body);
            (
                StatusCode::BAD_GATEWAY,
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            )
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, seen, task))
}

#[tokio::test]
async fn a_proxy_502_is_an_http_error_retried_only_for_reads() -> anyhow::Result<()> {
    penny_testkit::init();
    let (url, seen, task) = bad_gateway().await?;
    let plaid = PlaidClient::new(PlaidClientConfig {
        base_url: url,
        max_retries: 2,
        retry_base: std::time::Duration::from_millis(1),
        ..PlaidClientConfig::default()
    })?;
    let token = AccessToken::new("access-sandbox-secret-token-value");

    let err = plaid.item_get(&token).await.unwrap_err();
    match &err {
        PlaidError::Http { status, body, .. } => {
            assert_eq!(*status, 502);
            assert!(body.contains("502 Bad Gateway"), "{body}");
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(seen.hits.load(Ordering::SeqCst), 3);

    let err = plaid.item_remove(&token).await.unwrap_err();
    assert!(matches!(err, PlaidError::Http { status: 502, .. }));
    assert_eq!(seen.hits.load(Ordering::SeqCst), 4);
    task.abort();
    Ok(())
}

#[tokio::test]
async fn every_call_sends_plaids_headers_and_a_json_body() -> anyhow::Result<()> {
    penny_testkit::init();
    let (url, seen, task) = bad_gateway().await?;
    let plaid = PlaidClient::new(PlaidClientConfig {
        base_url: url,
        client_id: "client-123".into(),
        secret: "secret-456".into(),
        max_retries: 0,
        ..PlaidClientConfig::default()
    })?;
    let _ = plaid
        .auth_get(&AccessToken::new("access-sandbox-abc"))
        .await
        .unwrap_err();
    let headers = seen.headers.lock().await;
    let h = &headers[0];
    let get = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    assert_eq!(get("plaid-client-id"), "client-123");
    assert_eq!(get("plaid-secret"), "secret-456");
    assert_eq!(get("plaid-version"), "2020-09-14");
    assert_eq!(get("content-type"), "application/json");
    assert_eq!(get("user-agent"), penny_plaid::USER_AGENT);
    assert!(get("user-agent").starts_with("penny/"));
    assert_eq!(
        seen.bodies.lock().await[0],
        r#"{"access_token":"access-sandbox-abc"}"#
    );
    task.abort();
    Ok(())
}
