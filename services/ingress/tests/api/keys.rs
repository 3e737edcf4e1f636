//! Key cache behaviour end to end: single flight, negative cache, flight budget, rotation,
//! and Plaid failures answered 503.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jsonwebtoken::Algorithm;
use penny_ingress::{KeyFetchOutcome, Rejection};
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn many_concurrent_requests_with_a_new_kid_cause_one_key_fetch() {
    let app = Arc::new(spawn_app().await);
    // Slow key fetches keep the flight open while every request arrives.
    app.fault(EndpointFault::latency(KEY_GET, Duration::from_millis(300)))
        .await;
    app.control.reset_stats().await.expect("stats reset");
    let mut signed = Vec::new();
    for i in 0..64 {
        let body = auth_body(&format!("item-sf-{i}"));
        let token = app.sign(&body).await.token;
        signed.push((body, token));
    }
    let posts = signed.into_iter().map(|(body, token)| {
        let app = Arc::clone(&app);
        tokio::spawn(async move { app.post(body, Some(&token)).await.0 })
    });
    for status in futures::future::join_all(posts).await {
        assert_eq!(status.expect("task"), StatusCode::OK);
    }
    assert_eq!(app.sandbox_calls(KEY_GET).await, 1);
    assert_eq!(app.metrics.key_fetches_total(), 1);

    // A rotation: the next new kid is fetched once, and the cached current key refreshed once.
    let (new_kid, _) = app.rotate().await;
    let mut signed = Vec::new();
    for i in 0..64 {
        let body = auth_body(&format!("item-sf2-{i}"));
        let s = app.sign(&body).await;
        assert_eq!(s.kid, new_kid);
        signed.push((body, s.token));
    }
    let posts = signed.into_iter().map(|(body, token)| {
        let app = Arc::clone(&app);
        tokio::spawn(async move { app.post(body, Some(&token)).await.0 })
    });
    for status in futures::future::join_all(posts).await {
        assert_eq!(status.expect("task"), StatusCode::OK);
    }
    assert_eq!(app.sandbox_calls(KEY_GET).await, 3);
    assert_eq!(app.stream_messages().await, 128);
}

#[tokio::test]
async fn repeated_unknown_kids_are_fetched_once_each() {
    let app = Arc::new(
        spawn_app_with(|c| {
            c.ingress.key_fetch_burst = 1000;
        })
        .await,
    );
    app.control.reset_stats().await.expect("stats reset");
    let mine = own_p256();
    let body = auth_body("item-neg");
    let kids: Vec<String> = (0..20).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let tokens = |rounds: std::ops::Range<i64>| -> Vec<String> {
        rounds
            .flat_map(|round| kids.iter().map(move |kid| (round, kid)).collect::<Vec<_>>())
            .map(|(round, kid)| {
                forge(
                    &mine.encoding,
                    Algorithm::ES256,
                    kid,
                    &body,
                    now() + round % 2,
                )
            })
            .collect()
    };
    // The first wave asks for each kid twice at once (one flight each); the second asks again
    // after those flights ended, so it is answered from the negative cache alone.
    for wave in [tokens(0..2), tokens(2..10)] {
        let posts = wave.into_iter().map(|token| {
            let app = Arc::clone(&app);
            let body = body.clone();
            tokio::spawn(async move {
                let (status, reply) = app.post(body, Some(&token)).await;
                (status, code(&reply).to_owned())
            })
        });
        for r in futures::future::join_all(posts).await {
            let (status, code) = r.expect("task");
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::UNAUTHORIZED, "unknown_key")
            );
        }
    }
    assert_eq!(app.sandbox_calls(KEY_GET).await, 20);
    assert_eq!(app.metrics.key_fetches(KeyFetchOutcome::Rejected), 20);
    assert!(app.metrics.key_negative_hits_total() >= 160);
    assert_eq!(app.stream_messages().await, 0);
}

#[tokio::test]
async fn a_flood_of_random_kids_causes_a_bounded_number_of_fetches() {
    let app = Arc::new(
        spawn_app_with(|c| {
            c.ingress.key_fetch_burst = 5;
            c.ingress.key_fetch_rate = 1.0;
        })
        .await,
    );
    // Cache the current key, so each flight also refreshes it (the worst case).
    let (status, _) = app.deliver(&auth_body("item-flood")).await;
    assert_eq!(status, StatusCode::OK);
    app.control.reset_stats().await.expect("stats reset");
    let started = std::time::Instant::now();
    let mine = own_p256();
    let body = auth_body("item-flood-2");
    let throttled = Arc::new(AtomicU64::new(0));
    let posts = (0..500).map(|_| {
        let app = Arc::clone(&app);
        let body = body.clone();
        let throttled = Arc::clone(&throttled);
        let token = forge(
            &mine.encoding,
            Algorithm::ES256,
            &uuid::Uuid::new_v4().to_string(),
            &body,
            now(),
        );
        tokio::spawn(async move {
            let (status, reply) = app.post(body, Some(&token)).await;
            match (status, code(&reply)) {
                (StatusCode::UNAUTHORIZED, "unknown_key") => {}
                (StatusCode::SERVICE_UNAVAILABLE, "key_fetch_throttled") => {
                    throttled.fetch_add(1, Ordering::Relaxed);
                }
                other => panic!("unexpected answer {other:?}"),
            }
        })
    });
    for r in futures::future::join_all(posts).await {
        r.expect("task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let flights_allowed = 5.0 + elapsed * 1.0 + 1.0;
    let calls = app.sandbox_calls(KEY_GET).await as f64;
    // Each flight: the unknown kid plus a refresh of the one cached current key.
    assert!(
        calls <= 2.0 * flights_allowed,
        "{calls} key fetches for 500 random kids in {elapsed:.1}s"
    );
    assert!(throttled.load(Ordering::Relaxed) >= 400);
    assert_eq!(app.stream_messages().await, 1);
}

#[tokio::test]
async fn key_rotation_while_webhooks_flow_causes_no_false_rejections() {
    let app = Arc::new(spawn_app().await);
    let epoch = Arc::new(AtomicU64::new(0));
    let senders = (0..4).map(|w| {
        let app = Arc::clone(&app);
        let epoch = Arc::clone(&epoch);
        tokio::spawn(async move {
            let mut accepted = 0;
            for i in 0..40 {
                let body = auth_body(&format!("item-rot-{w}-{i}"));
                let before = epoch.load(Ordering::SeqCst);
                let signed = app.sign(&body).await;
                let (status, reply) = app.post(body, Some(&signed.token)).await;
                let after = epoch.load(Ordering::SeqCst);
                if status == StatusCode::OK {
                    accepted += 1;
                } else {
                    // Only a token signed by a key that was rotated away meanwhile may fail,
                    // and only as an expired key.
                    assert!(before != after, "false rejection: {status} {reply}");
                    assert_eq!(
                        (status, code(&reply)),
                        (StatusCode::UNAUTHORIZED, "key_expired")
                    );
                }
            }
            accepted
        })
    });
    let senders: Vec<_> = senders.collect();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        // Bump before and after so a sign→post spanning the rotation is recognised.
        epoch.fetch_add(1, Ordering::SeqCst);
        app.rotate().await;
        epoch.fetch_add(1, Ordering::SeqCst);
    }
    let mut accepted = 0;
    for s in senders {
        accepted += s.await.expect("sender");
    }
    assert!(accepted >= 150, "only {accepted} of 160 accepted");
    assert_eq!(app.stream_messages().await, accepted);

    // After the rotations: the current kid is accepted, a token of an old kid is not.
    let body = auth_body("item-rot-final");
    let (status, _) = app.deliver(&body).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_old_kid_is_rejected_only_when_presented() {
    let app = spawn_app().await;
    let body_a = auth_body("item-old-a");
    let (status, _) = app.deliver(&body_a).await;
    assert_eq!(status, StatusCode::OK);
    let old_token = app.sign(&auth_body("item-old-b")).await;
    app.rotate().await;
    let (status, reply) = app.deliver(&auth_body("item-new")).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    // The new kid's fetch refreshed the old key, which now carries expired_at.
    let (status, reply) = app
        .post(auth_body("item-old-b"), Some(&old_token.token))
        .await;
    assert_eq!(
        (status, code(&reply)),
        (StatusCode::UNAUTHORIZED, "key_expired")
    );
    assert_eq!(app.metrics.rejected_total(Rejection::KeyExpired), 1);
}

#[tokio::test]
async fn plaid_failing_to_serve_the_key_is_a_503_not_a_401() {
    let app = spawn_app().await;
    app.fault(EndpointFault::error(
        KEY_GET,
        ForcedError::InternalServerError,
    ))
    .await;
    let body = auth_body("item-5xx");
    let (status, reply) = app.deliver(&body).await;
    assert_eq!(
        (status, code(&reply)),
        (StatusCode::SERVICE_UNAVAILABLE, "key_fetch_unavailable")
    );
    assert_eq!(app.stream_messages().await, 0);
    app.control.clear_faults().await.expect("faults cleared");
    // Not negatively cached: the retry succeeds.
    let (status, reply) = app.deliver(&body).await;
    assert_eq!(status, StatusCode::OK, "{reply}");

    // A key fetch slower than the bound is a 503 too.
    app.rotate().await;
    app.fault(EndpointFault::latency(KEY_GET, Duration::from_millis(5000)))
        .await;
    let (status, reply) = app.deliver(&auth_body("item-slow")).await;
    assert_eq!(
        (status, code(&reply)),
        (StatusCode::SERVICE_UNAVAILABLE, "key_fetch_unavailable")
    );
}
