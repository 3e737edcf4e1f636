//! Accepted webhooks: exact bytes on the right subject with the right headers, once.

use std::time::Duration;

use penny_plaid::{
    LinkTokenCreateRequest, PlaidClient, PlaidClientConfig, PublicToken, VerificationStatus,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_webhook_fired_by_the_sandbox_lands_once_with_the_same_bytes() {
    let app = spawn_app().await;
    let plaid = PlaidClient::new(PlaidClientConfig::from_args(&app.sandbox.plaid_args()))
        .expect("Plaid client");
    let request =
        LinkTokenCreateRequest::automated_microdeposits("penny test", "user-1", &app.webhook_url);
    let link = plaid.link_token_create(&request).await.expect("link token");
    let completed = app
        .control
        .complete_link(link.link_token.expose())
        .await
        .expect("link complete");
    let exchanged = plaid
        .item_public_token_exchange(&PublicToken::new(completed.public_token))
        .await
        .expect("exchange");
    let item_id = exchanged.item_id;
    plaid
        .sandbox_item_set_verification_status(
            &exchanged.access_token,
            &completed.accounts[0].id,
            &VerificationStatus::AutomaticallyVerified,
        )
        .await
        .expect("verified at Plaid");

    let subject = "plaid.webhook.AUTH.AUTOMATICALLY_VERIFIED";
    penny_testkit::poll_until(Duration::from_secs(10), || async {
        app.metrics.accepted_total() >= 1
    })
    .await
    .expect("the sandbox's webhook is accepted");
    let msg = app.last_on(subject).await;
    // The sandbox logs the attempt once our 200 reached it.
    let entry = penny_testkit::poll_until(Duration::from_secs(5), || async {
        let attempts = app
            .control
            .webhook_attempts("AUTOMATICALLY_VERIFIED")
            .await
            .ok()?;
        attempts.into_iter().next()
    })
    .await
    .expect("delivery logged");
    assert_eq!(entry.status, Some(200), "{entry:?}");
    assert_eq!(msg.payload.as_ref(), entry.body.as_bytes());
    let parsed: Value = serde_json::from_slice(&msg.payload).expect("json payload");
    assert_eq!(parsed["item_id"], item_id.as_str());
    let headers = msg.headers;
    assert_eq!(
        headers.get("Penny-Webhook-Type").map(|v| v.as_str()),
        Some("AUTH")
    );
    assert_eq!(
        headers.get("Penny-Webhook-Code").map(|v| v.as_str()),
        Some("AUTOMATICALLY_VERIFIED")
    );
    assert_eq!(
        headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned()),
        Some(sha256_hex(&msg.payload))
    );
    let stream = app.js.get_stream(STREAM).await.expect("stream");
    let count = stream.clone().info().await.expect("info").state.messages;
    assert_eq!(count, 1, "exactly one message");
}

#[tokio::test]
async fn the_exact_bytes_are_published_with_headers_and_trace_context() {
    let app = spawn_app().await;
    let body = auth_body("item-bytes");
    let signed = app.sign(&body).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let (status, reply) = send(
        app.http
            .post(&app.webhook_url)
            .header("content-type", "application/json")
            .header("Plaid-Verification", &signed.token)
            .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
            .body(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply, json!({"received": true}));
    let msg = app
        .last_on("plaid.webhook.AUTH.AUTOMATICALLY_VERIFIED")
        .await;
    assert_eq!(msg.payload.as_ref(), body.as_bytes());
    let h = &msg.headers;
    let get = |k: &str| h.get(k).map(|v| v.as_str().to_owned()).unwrap_or_default();
    assert_eq!(get("Penny-Webhook-Type"), "AUTH");
    assert_eq!(get("Penny-Webhook-Code"), "AUTOMATICALLY_VERIFIED");
    assert_eq!(get("Nats-Msg-Id"), sha256_hex(body.as_bytes()));
    let received = chrono::DateTime::parse_from_rfc3339(&get("Penny-Received-At"))
        .expect("received-at is RFC 3339");
    assert!((chrono::Utc::now() - received.to_utc()).num_seconds().abs() < 60);
    let traceparent = get("traceparent");
    assert!(
        traceparent.starts_with(&format!("00-{trace_id}-")),
        "trace continues: {traceparent}"
    );
    assert!(
        !traceparent.contains("00f067aa0ba902b7"),
        "a new span id of ours"
    );
    assert_eq!(app.stream_messages().await, 1);
}

#[tokio::test]
async fn unknown_types_and_codes_get_their_own_subject() {
    let app = spawn_app().await;
    let body = "{\n  \"webhook_type\": \"NEW_PRODUCT\",\n  \"webhook_code\": \"SOMETHING.NEW\",\n  \"environment\": \"sandbox\"\n}";
    let (status, reply) = app.deliver(body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let msg = app.last_on("plaid.webhook.NEW_PRODUCT.SOMETHING_NEW").await;
    assert_eq!(msg.payload.as_ref(), body.as_bytes());
    assert_eq!(
        msg.headers.get("Penny-Webhook-Code").map(|v| v.as_str()),
        Some("SOMETHING.NEW")
    );
}

#[tokio::test]
async fn a_missing_environment_is_accepted() {
    let app = spawn_app().await;
    let body = "{\n  \"webhook_type\": \"ITEM\",\n  \"webhook_code\": \"LOGIN_REPAIRED\",\n  \"item_id\": \"i1\"\n}";
    let (status, reply) = app.deliver(body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(app.stream_messages().await, 1);
}

#[tokio::test]
async fn a_duplicate_auth_webhook_is_stored_once_and_still_answered_200() {
    let app = spawn_app().await;
    let body = auth_body("item-dup");
    let (first, _) = app.deliver(&body).await;
    // Plaid's retry: same bytes, new token.
    let (second, reply) = app.deliver(&body).await;
    assert_eq!(first, StatusCode::OK);
    assert_eq!(second, StatusCode::OK);
    assert_eq!(reply, json!({"received": true}));
    assert_eq!(app.stream_messages().await, 1);
    assert_eq!(app.metrics.accepted_total(), 2);
    assert_eq!(app.metrics.duplicates_total(), 1);
}

#[tokio::test]
async fn identical_bank_transfers_pokes_are_both_stored() {
    let app = spawn_app().await;
    let signed = app.sign(POKE).await;
    // The very same request twice (same bytes, same token).
    for _ in 0..2 {
        let (status, reply) = app.post(POKE, Some(&signed.token)).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
    }
    assert_eq!(app.stream_messages().await, 2);
    assert_eq!(app.metrics.duplicates_total(), 0);
    let msg = app
        .last_on("plaid.webhook.BANK_TRANSFERS.BANK_TRANSFERS_EVENTS_UPDATE")
        .await;
    let id = msg
        .headers
        .get("Nats-Msg-Id")
        .expect("msg id")
        .as_str()
        .to_owned();
    assert_ne!(id, sha256_hex(POKE.as_bytes()));
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a uuid: {id}");
}
