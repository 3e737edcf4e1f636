//! Webhook signing, key rotation, retries and delivery faults.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Received, Receiver, Sandbox, poll_until};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use penny_sandbox::Config;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[derive(serde::Deserialize)]
struct Claims {
    iat: i64,
    request_body_sha256: String,
}

/// Verifies a delivered webhook like a receiver would, with the key served by the sandbox.
async fn verify(sb: &Sandbox, got: &Received) -> (String, Value) {
    let jwt = got
        .headers
        .get("plaid-verification")
        .expect("header")
        .to_str()
        .expect("ascii");
    let header = jsonwebtoken::decode_header(jwt).expect("jwt header");
    assert_eq!(header.alg, Algorithm::ES256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let kid = header.kid.expect("kid");
    let key = sb
        .ok("/webhook_verification_key/get", json!({"key_id": kid}))
        .await["key"]
        .clone();
    let decoding = DecodingKey::from_ec_components(
        key["x"].as_str().expect("x"),
        key["y"].as_str().expect("y"),
    )
    .expect("key");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Claims>(jwt, &decoding, &validation)
        .expect("signature verifies")
        .claims;
    assert_eq!(
        claims.request_body_sha256,
        hex::encode(Sha256::digest(&got.body))
    );
    assert!(
        (chrono::Utc::now().timestamp() - claims.iat).abs() < 60,
        "iat is wall-clock time"
    );
    assert_eq!(
        got.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    (kid, key)
}

#[tokio::test]
async fn delivered_webhook_verifies_and_rotation_switches_keys() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    sb.ok(
        "/sandbox/bank_transfer/fire_webhook",
        json!({"webhook": rx.url}),
    )
    .await;
    let got = rx.wait_for(1).await;
    let (old_kid, old_key) = verify(&sb, &got[0]).await;
    assert!(old_key["expired_at"].is_null());

    let (status, rotated) = sb.post("/__sandbox/keys/rotate", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(rotated["expired_kid"], old_kid.as_str());
    sb.ok(
        "/sandbox/bank_transfer/fire_webhook",
        json!({"webhook": rx.url}),
    )
    .await;
    let got = rx.wait_for(2).await;
    let (new_kid, _) = verify(&sb, &got[1]).await;
    assert_eq!(rotated["kid"], new_kid.as_str());
    assert_ne!(new_kid, old_kid);
    let old = sb
        .ok("/webhook_verification_key/get", json!({"key_id": old_kid}))
        .await;
    assert!(
        old["key"]["expired_at"].as_i64().is_some(),
        "old key is expired"
    );
    // Same body bytes every time for the BANK_TRANSFERS poke.
    assert_eq!(got[0].body, got[1].body);
}

#[tokio::test]
async fn failed_deliveries_follow_plaids_retry_schedule() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    rx.set_status(500);
    sb.post("/__sandbox/clock", json!({"speed": 200_000})).await;
    sb.ok(
        "/sandbox/bank_transfer/fire_webhook",
        json!({"webhook": rx.url}),
    )
    .await;
    let attempts = poll_until(Duration::from_secs(10), || async {
        let a = sb.attempts().await;
        (a.len() >= 7).then_some(a)
    })
    .await;
    let delays: Vec<i64> = attempts
        .iter()
        .filter_map(|a| {
            let at = chrono::DateTime::parse_from_rfc3339(a["sim_time"].as_str()?).ok()?;
            let next = chrono::DateTime::parse_from_rfc3339(a["next_retry_at"].as_str()?).ok()?;
            Some((next - at).num_seconds())
        })
        .collect();
    assert_eq!(delays, [30, 120, 480, 1_920, 7_680, 30_720]);
    let numbers: Vec<u64> = attempts
        .iter()
        .filter_map(|a| a["attempt"].as_u64())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7]);
    assert!(
        attempts
            .iter()
            .all(|a| a["outcome"] == "failed" && a["status"] == 500)
    );
    assert!(
        attempts[6]["next_retry_at"].is_null(),
        "no retry after 24 h"
    );
    // Nothing more comes.
    sb.post("/__sandbox/clock", json!({"advance_seconds": 3 * 86_400}))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sb.attempts().await.len(), 7);
    assert_eq!(rx.received().len(), 7);
}

#[tokio::test]
async fn retry_succeeds_when_receiver_recovers() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    rx.set_status(503);
    sb.ok(
        "/sandbox/bank_transfer/fire_webhook",
        json!({"webhook": rx.url}),
    )
    .await;
    rx.wait_for(1).await;
    rx.set_status(200);
    sb.post("/__sandbox/clock", json!({"advance_seconds": 31}))
        .await;
    let attempts = poll_until(Duration::from_secs(5), || async {
        let a = sb.attempts().await;
        (a.len() >= 2).then_some(a)
    })
    .await;
    assert_eq!(attempts[1]["outcome"], "delivered");
    assert_eq!(attempts[1]["attempt"], 2);
    assert_eq!(attempts[0]["delivery_id"], attempts[1]["delivery_id"]);
}

#[tokio::test]
async fn unreachable_receiver_is_logged_as_transport_error() {
    let sb = Sandbox::start().await;
    sb.ok(
        "/sandbox/bank_transfer/fire_webhook",
        json!({"webhook": "http://127.0.0.1:1/down"}),
    )
    .await;
    let attempts = poll_until(Duration::from_secs(5), || async {
        let a = sb.attempts().await;
        (!a.is_empty()).then_some(a)
    })
    .await;
    assert_eq!(attempts[0]["outcome"], "failed");
    assert!(attempts[0]["status"].is_null());
    assert!(attempts[0]["error"].as_str().is_some());
}

#[tokio::test]
async fn webhook_faults_duplicate_drop_and_reorder() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    let (access, _) = sb.instant_item(Some(&rx.url)).await;
    let fire = |code: &'static str| {
        let sb = &sb;
        let access = access.clone();
        async move {
            sb.ok(
                "/sandbox/item/fire_webhook",
                json!({"access_token": access, "webhook_code": code}),
            )
            .await;
        }
    };

    let (status, _) = sb
        .post("/__sandbox/faults", json!({"webhooks": {"duplicates": 3}}))
        .await;
    assert_eq!(status, 200);
    fire("NEW_ACCOUNTS_AVAILABLE").await;
    let got = rx.wait_for(3).await;
    assert!(got.iter().all(|r| r.body == got[0].body));

    sb.post("/__sandbox/faults", json!({"webhooks": {"drop_next": 1}}))
        .await;
    fire("LOGIN_REPAIRED").await;
    fire("PENDING_DISCONNECT").await;
    let got = rx.wait_for(4).await;
    assert_eq!(got[3].json()["webhook_code"], "PENDING_DISCONNECT");
    assert!(
        sb.attempts()
            .await
            .iter()
            .any(|a| a["outcome"] == "dropped" && a["webhook_code"] == "LOGIN_REPAIRED")
    );

    sb.post(
        "/__sandbox/faults",
        json!({"webhooks": {"reorder_window": 2}}),
    )
    .await;
    fire("LOGIN_REPAIRED").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rx.received().len(), 4, "held");
    fire("USER_ACCOUNT_REVOKED").await;
    let got = rx.wait_for(6).await;
    let codes: Vec<_> = got[4..]
        .iter()
        .map(|r| r.json()["webhook_code"].clone())
        .collect();
    assert_eq!(
        codes,
        [json!("USER_ACCOUNT_REVOKED"), json!("LOGIN_REPAIRED")],
        "newest first"
    );

    // A held webhook is released by the flush endpoint.
    fire("NEW_ACCOUNTS_AVAILABLE").await;
    let (status, flushed) = sb.post("/__sandbox/webhooks/flush", json!({})).await;
    assert_eq!(
        (status, flushed["released_webhooks"].as_u64()),
        (200, Some(1))
    );
    rx.wait_for(7).await;

    let (status, cleared) = sb
        .control(reqwest::Method::DELETE, "/__sandbox/faults", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(cleared["released_webhooks"], 0);
    let (status, v) = sb
        .post("/__sandbox/faults", json!({"webhooks": {"duplicates": 0}}))
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().expect("message").contains("duplicates"));
}

/// `/__sandbox/webhooks/sign` signs a chosen body (and `iat`, claims or key) exactly like a
/// delivered webhook; the token verifies with the served key, and an expired key can still sign.
#[tokio::test]
async fn sign_endpoint_issues_tokens_that_verify_with_the_served_key() {
    let sb = Sandbox::start().await;
    let body = "{\n  \"webhook_type\": \"AUTH\"\n}";
    let (status, signed) = sb
        .post(
            "/__sandbox/webhooks/sign",
            json!({"body": body, "iat": 1_700_000_000}),
        )
        .await;
    assert_eq!(status, 200, "{signed}");
    let token = signed["plaid_verification"].as_str().expect("token");
    let kid = signed["kid"].as_str().expect("kid").to_owned();
    let header = jsonwebtoken::decode_header(token).expect("header");
    assert_eq!(header.kid.as_deref(), Some(kid.as_str()));
    let key = sb
        .ok("/webhook_verification_key/get", json!({"key_id": kid}))
        .await["key"]
        .clone();
    let decoding = DecodingKey::from_ec_components(
        key["x"].as_str().expect("x"),
        key["y"].as_str().expect("y"),
    )
    .expect("key");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Claims>(token, &decoding, &validation)
        .expect("verifies")
        .claims;
    assert_eq!(claims.iat, 1_700_000_000);
    assert_eq!(
        claims.request_body_sha256,
        hex::encode(Sha256::digest(body.as_bytes()))
    );

    // Rotate: the old key is expired but can still sign on request; unknown kids are refused.
    let (status, _) = sb.post("/__sandbox/keys/rotate", json!({})).await;
    assert_eq!(status, 200);
    let (status, old) = sb
        .post(
            "/__sandbox/webhooks/sign",
            json!({"body": body, "kid": kid}),
        )
        .await;
    assert_eq!(status, 200, "{old}");
    assert_eq!(old["kid"], json!(kid));
    let (status, refused) = sb
        .post(
            "/__sandbox/webhooks/sign",
            json!({"body": body, "kid": "nope"}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let (status, refused) = sb
        .post("/__sandbox/webhooks/sign", json!({"bodyy": body}))
        .await;
    assert_eq!(status, 400, "{refused}");
}

/// A receiver that holds each webhook 200 ms and records the most it held at once.
struct SlowReceiver {
    url: String,
    received: Arc<AtomicUsize>,
    most_at_once: Arc<AtomicUsize>,
    shutdown: tokio_util::sync::CancellationToken,
}

impl Drop for SlowReceiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl SlowReceiver {
    async fn start() -> Self {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(AtomicUsize::new(0));
        let most_at_once = Arc::new(AtomicUsize::new(0));
        let (held, count, most) = (
            Arc::clone(&in_flight),
            Arc::clone(&received),
            Arc::clone(&most_at_once),
        );
        let app = axum::Router::new().route(
            "/webhook",
            axum::routing::post(move || {
                let (held, count, most) =
                    (Arc::clone(&held), Arc::clone(&count), Arc::clone(&most));
                async move {
                    let now = held.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    held.fetch_sub(1, Ordering::SeqCst);
                    count.fetch_add(1, Ordering::SeqCst);
                    "ok"
                }
            }),
        );
        let (url, shutdown) = common::serve_webhook_receiver(app).await;
        Self {
            url,
            received,
            most_at_once,
            shutdown,
        }
    }
}

/// Fires `n` webhooks at once at a slow receiver; how many it held at once at most.
async fn most_held_at_once(concurrency: usize, n: usize) -> usize {
    let sb = Sandbox::start_with(Config {
        webhook_concurrency: concurrency,
        ..Config::default()
    })
    .await;
    let rx = SlowReceiver::start().await;
    // All at once, as a burst of due timers would be.
    futures::future::join_all((0..n).map(|_| {
        sb.ok(
            "/sandbox/bank_transfer/fire_webhook",
            json!({"webhook": rx.url}),
        )
    }))
    .await;
    poll_until(Duration::from_secs(20), || async {
        (rx.received.load(Ordering::SeqCst) >= n).then_some(())
    })
    .await;
    let attempts = sb.attempts().await;
    assert_eq!(attempts.len(), n, "one attempt each: {attempts:?}");
    assert!(attempts.iter().all(|a| a["outcome"] == "delivered"));
    rx.most_at_once.load(Ordering::SeqCst)
}

#[tokio::test]
async fn webhook_concurrency_bounds_deliveries_in_flight() {
    common::init();
    let most = most_held_at_once(3, 12).await;
    assert!((1..=3).contains(&most), "at most 3 at once, held {most}");
    // Without a bound all twelve go out together (so the bound above is what held them).
    let most = most_held_at_once(0, 12).await;
    assert!(most > 3, "unbounded: held {most} at once");
}
