//! The control API: faults, rate limits, stats, clock, seeding, Link completion.

mod common;

use std::time::{Duration, Instant};

use common::{Sandbox, keys, link_request};
use penny_sandbox::{Config, RateLimitMode};
use serde_json::json;

#[tokio::test]
async fn endpoint_faults_for_next_n_calls_then_clear() {
    let sb = Sandbox::start().await;
    let (access, _) = sb.instant_item(None).await;
    let (status, v) = sb
        .post(
            "/__sandbox/faults",
            json!({"endpoint": "/auth/get", "error": "RATE_LIMIT_EXCEEDED", "count": 2}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    for _ in 0..2 {
        let (status, err) = sb.plaid("/auth/get", json!({"access_token": access})).await;
        assert_eq!(
            (
                status,
                err["error_type"].as_str(),
                err["error_code"].as_str()
            ),
            (429, Some("RATE_LIMIT_EXCEEDED"), Some("AUTH_LIMIT"))
        );
    }
    sb.ok("/auth/get", json!({"access_token": access})).await;

    for (error, status, ty, code) in [
        (
            "INTERNAL_SERVER_ERROR",
            500,
            "API_ERROR",
            "INTERNAL_SERVER_ERROR",
        ),
        (
            "PLANNED_MAINTENANCE",
            503,
            "API_ERROR",
            "PLANNED_MAINTENANCE",
        ),
        ("RATE_LIMIT", 429, "RATE_LIMIT_EXCEEDED", "RATE_LIMIT"),
    ] {
        sb.post(
            "/__sandbox/faults",
            json!({"endpoint": "*", "error": error}),
        )
        .await;
        let (got, err) = sb.plaid("/item/get", json!({"access_token": access})).await;
        assert_eq!(
            (got, err["error_type"].as_str(), err["error_code"].as_str()),
            (status, Some(ty), Some(code))
        );
    }
    let listed = sb.get("/__sandbox/faults").await;
    assert_eq!(listed["endpoints"].as_array().map(Vec::len), Some(1));
    let (status, _) = sb
        .control(reqwest::Method::DELETE, "/__sandbox/faults", None)
        .await;
    assert_eq!(status, 200);
    sb.ok("/item/get", json!({"access_token": access})).await;

    // Latency only.
    sb.post(
        "/__sandbox/faults",
        json!({"endpoint": "/item/get", "latency_ms": 200, "count": 1}),
    )
    .await;
    let start = Instant::now();
    sb.ok("/item/get", json!({"access_token": access})).await;
    assert!(start.elapsed() >= Duration::from_millis(200));

    // Probability 1 always hits.
    sb.post(
        "/__sandbox/faults",
        json!({"endpoint": "/accounts/get", "error": "INTERNAL_SERVER_ERROR", "probability": 1.0}),
    )
    .await;
    assert_eq!(
        sb.plaid("/accounts/get", json!({"access_token": access}))
            .await
            .0,
        500
    );
}

#[tokio::test]
async fn invalid_fault_requests_are_refused_with_a_message() {
    let sb = Sandbox::start().await;
    for body in [
        json!({"endpoint": "/nope", "error": "RATE_LIMIT"}),
        json!({"endpoint": "/auth/get"}),
        json!({"endpoint": "/auth/get", "error": "EXPLODE"}),
        json!({"endpoint": "/auth/get", "error": "RATE_LIMIT", "count": 0}),
        json!({"endpoint": "/auth/get", "error": "RATE_LIMIT", "probability": 2}),
        json!({"endpoint": "/auth/get", "error": "RATE_LIMIT", "extra": 1}),
        json!({"webhooks": {"reorder_window": 1}}),
        json!({"webhooks": {"drop_probability": 0}}),
    ] {
        let (status, v) = sb.post("/__sandbox/faults", body.clone()).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert!(
            v["error"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}: {v}"
        );
    }
    let resp = sb
        .client
        .post(format!("{}/__sandbox/faults", sb.base))
        .body("nope")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn rate_limits_per_item_and_stats() {
    let sb = Sandbox::start().await;
    let (a, _) = sb.instant_item(None).await;
    let (b, _) = sb.instant_item(None).await;
    let (status, v) = sb
        .post(
            "/__sandbox/rate_limits",
            json!({"overrides": {"/auth/get": {"per_item": 3}}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["limits"]["/auth/get"],
        json!({"per_item": 3, "per_client": null})
    );
    for _ in 0..3 {
        sb.ok("/auth/get", json!({"access_token": a})).await;
    }
    let (status, err) = sb.plaid("/auth/get", json!({"access_token": a})).await;
    assert_eq!(
        (
            status,
            err["error_type"].as_str(),
            err["error_code"].as_str()
        ),
        (429, Some("RATE_LIMIT_EXCEEDED"), Some("AUTH_LIMIT"))
    );
    sb.ok("/auth/get", json!({"access_token": b})).await;
    sb.ok("/accounts/get", json!({"access_token": a})).await;

    let stats = sb.get("/__sandbox/stats").await;
    assert_eq!(
        stats["endpoints"]["/auth/get"],
        json!({"calls": 5, "ok": 4, "errors": 1, "rate_limited": 1})
    );
    assert_eq!(stats["endpoints"]["/accounts/get"]["calls"], 1);
    sb.control(reqwest::Method::DELETE, "/__sandbox/stats", None)
        .await;
    assert_eq!(
        sb.get("/__sandbox/stats").await["endpoints"]["/auth/get"]["calls"],
        0
    );

    // Per client, and switching off.
    sb.post(
        "/__sandbox/rate_limits",
        json!({"mode": "off", "overrides": {"/item/get": {"per_client": 2}}}),
    )
    .await;
    sb.ok("/item/get", json!({"access_token": a})).await;
    sb.ok("/item/get", json!({"access_token": b})).await;
    let (status, err) = sb.plaid("/item/get", json!({"access_token": a})).await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (429, Some("ITEM_GET_LIMIT"))
    );
    sb.post("/__sandbox/rate_limits", json!({"mode": "off"}))
        .await;
    sb.ok("/item/get", json!({"access_token": a})).await;

    let (status, _) = sb
        .post(
            "/__sandbox/rate_limits",
            json!({"overrides": {"/nope": {"per_item": 1}}}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = sb
        .post("/__sandbox/rate_limits", json!({"mode": "fast"}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn production_mode_limits_auth_get_to_15_per_item() {
    let sb = Sandbox::start_with(Config {
        rate_limits: RateLimitMode::Production,
        ..Config::default()
    })
    .await;
    let (a, _) = sb.instant_item(None).await;
    let mut ok = 0;
    for _ in 0..20 {
        if sb.plaid("/auth/get", json!({"access_token": a})).await.0 == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 15);
    let limits = sb.get("/__sandbox/rate_limits").await;
    assert_eq!(limits["mode"], "production");
    assert_eq!(
        limits["limits"]["/auth/get"],
        json!({"per_item": 15, "per_client": 12000})
    );
}

#[tokio::test]
async fn clock_seed_health_and_settings() {
    let sb = Sandbox::start().await;
    assert_eq!(sb.get("/__sandbox/health").await, json!({"status": "ok"}));
    let before = sb.get("/__sandbox/clock").await;
    assert_eq!(before["speed"], 1.0);
    let (status, after) = sb
        .post(
            "/__sandbox/clock",
            json!({"advance_seconds": 86_400, "speed": 2}),
        )
        .await;
    assert_eq!(status, 200);
    let t0 =
        chrono::DateTime::parse_from_rfc3339(before["now"].as_str().expect("now")).expect("time");
    let t1 =
        chrono::DateTime::parse_from_rfc3339(after["now"].as_str().expect("now")).expect("time");
    assert!((t1 - t0).num_seconds() >= 86_400);
    assert_eq!(after["speed"], 2.0);
    for body in [
        json!({"speed": 0}),
        json!({"advance_seconds": -5}),
        json!({"speed": "fast"}),
        json!({"later": 1}),
    ] {
        assert_eq!(
            sb.post("/__sandbox/clock", body.clone()).await.0,
            400,
            "{body}"
        );
    }

    let (status, seeded) = sb.post("/__sandbox/seed", json!({"count": 50})).await;
    assert_eq!(status, 200);
    assert_eq!(seeded["count"], 50);
    let token = seeded["access_tokens"][49].clone();
    sb.ok("/auth/get", json!({"access_token": token})).await;
    assert_eq!(sb.get("/__sandbox/stats").await["items"], 50);
    assert_eq!(sb.post("/__sandbox/seed", json!({"count": 0})).await.0, 400);

    let (status, v) = sb
        .post(
            "/__sandbox/bank_transfers_webhook",
            json!({"url": "http://127.0.0.1:9/x"}),
        )
        .await;
    assert_eq!(
        (status, v["url"].as_str()),
        (200, Some("http://127.0.0.1:9/x"))
    );
    assert_eq!(
        sb.get("/__sandbox/bank_transfers_webhook").await["url"],
        "http://127.0.0.1:9/x"
    );
    assert_eq!(
        sb.post(
            "/__sandbox/bank_transfers_webhook",
            json!({"url": "ftp://x"})
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn link_complete_shapes_and_rules() {
    let sb = Sandbox::start().await;
    let link = sb
        .ok("/link/token/create", link_request("http://127.0.0.1:9/w"))
        .await;
    let (status, done) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": link["link_token"]}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        keys(&done),
        ["accounts", "institution", "link_session_id", "public_token"]
    );
    assert_eq!(
        keys(&done["accounts"][0]),
        [
            "id",
            "mask",
            "name",
            "subtype",
            "type",
            "verification_status"
        ]
    );
    assert_eq!(
        done["accounts"][0]["verification_status"],
        "pending_automatic_verification"
    );
    assert_eq!(
        done["institution"],
        json!({"institution_id": "ins_109512", "name": "Houndstooth Bank"})
    );

    // Instant auth through Link.
    let (status, done) = sb
        .post("/__sandbox/link/complete", json!({"link_token": link["link_token"], "institution_id": "ins_109508", "password": "pass_good"}))
        .await;
    assert_eq!(status, 200, "{done}");
    assert!(done["accounts"][0]["verification_status"].is_null());

    // A link token without automated micro-deposits cannot produce one.
    let mut req = link_request("http://127.0.0.1:9/w");
    req.as_object_mut().expect("obj").remove("auth");
    let plain = sb.ok("/link/token/create", req).await;
    let (status, v) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": plain["link_token"]}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": link["link_token"], "password": "nope"}),
        )
        .await;
    assert_eq!(
        (status, v["error_code"].as_str()),
        (400, Some("INVALID_CREDENTIALS"))
    );
    let (status, _) = sb.post("/__sandbox/link/complete", json!({})).await;
    assert_eq!(status, 400);
}
