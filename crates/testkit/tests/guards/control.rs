//! `SandboxControl`: every typed call against a real sandbox, so a change of the control API's
//! shapes shows here rather than in the suites.

use std::time::Duration;

use penny_testkit::{
    DeliveryOutcome, EndpointFault, ForcedError, Limit, RateLimitMode, RateLimits, SandboxServer,
    SignRequest, WebhookFaults,
};
use serde_json::json;

async fn sandbox() -> SandboxServer {
    penny_testkit::init();
    SandboxServer::start().await.expect("sandbox starts")
}

#[tokio::test]
async fn clock_keys_and_signing() {
    let sandbox = sandbox().await;
    let control = sandbox.control();
    assert_eq!(control.base_url(), sandbox.base_url());

    let before = control.clock().await.unwrap();
    let after = control
        .advance_clock(Duration::from_secs(86_400))
        .await
        .unwrap();
    assert!(after.now - before.now >= chrono::TimeDelta::days(1));
    let sped = control.set_clock_speed(60.0).await.unwrap();
    assert_eq!(sped.speed, 60.0);

    let first = control.current_key().await.unwrap();
    let signed = control.sign("{}").await.unwrap();
    assert_eq!(signed.kid, first.kid);
    assert_eq!(signed.token.split('.').count(), 3);
    let rotation = control.rotate_key().await.unwrap();
    assert_eq!(rotation.expired_kid, first.kid);
    let keys = control.keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].expired_at.is_some());
    assert_eq!(control.current_key().await.unwrap().kid, rotation.kid);
    let old = control
        .sign_with(&SignRequest {
            body: "{}".into(),
            iat: Some(1_700_000_000),
            kid: Some(first.kid.clone()),
            ..SignRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(old.kid, first.kid);
}

#[tokio::test]
async fn faults_stats_and_rate_limits() {
    let sandbox = sandbox().await;
    let control = sandbox.control();

    let active = control
        .add_fault(&EndpointFault::error("/auth/get", ForcedError::PlannedMaintenance).count(2))
        .await
        .unwrap();
    assert_eq!(active.endpoints.len(), 1);
    assert_eq!(active.endpoints[0].remaining, Some(2));
    assert_eq!(
        active.endpoints[0].error,
        Some(ForcedError::PlannedMaintenance)
    );
    control
        .add_fault(&EndpointFault::latency("*", Duration::from_millis(1)).probability(0.5))
        .await
        .unwrap();
    let active = control
        .set_webhook_faults(&WebhookFaults::duplicates(3))
        .await
        .unwrap();
    assert_eq!(active.endpoints.len(), 2);
    assert_eq!(active.webhooks, WebhookFaults::duplicates(3));
    control.clear_faults().await.unwrap();
    let cleared = control.faults().await.unwrap();
    assert!(cleared.endpoints.is_empty());
    assert_eq!(cleared.webhooks, WebhookFaults::default());

    // One failed Plaid call shows in the stats; a reset clears it.
    let answer = reqwest::Client::new()
        .post(format!("{}/auth/get", sandbox.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(!answer.status().is_success());
    let stats = control.stats().await.unwrap();
    assert_eq!(stats.endpoint("/auth/get").calls, 1);
    assert_eq!(stats.endpoint("/auth/get").errors, 1);
    assert_eq!(stats.endpoint("/no/such/path").calls, 0);
    control.reset_stats().await.unwrap();
    assert_eq!(
        control.stats().await.unwrap().endpoint("/auth/get").calls,
        0
    );

    let limit = Limit {
        per_item: Some(15),
        per_client: Some(4),
    };
    let table = control
        .set_rate_limits(&RateLimits::mode(RateLimitMode::Off).limit("/auth/get", limit))
        .await
        .unwrap();
    assert_eq!(table.mode, RateLimitMode::Off);
    assert_eq!(table.limits.get("/auth/get"), Some(&limit));
    let sandbox_table = control
        .set_rate_limits(&RateLimits::mode(RateLimitMode::Sandbox))
        .await
        .unwrap();
    assert_eq!(sandbox_table, control.rate_limits().await.unwrap());
    assert!(!sandbox_table.limits.is_empty());
}

#[tokio::test]
async fn webhook_settings_log_and_the_escape_hatch() {
    let sandbox = sandbox().await;
    let control = sandbox.control();

    assert_eq!(control.bank_transfers_webhook().await.unwrap(), None);
    control
        .set_bank_transfers_webhook(Some("http://127.0.0.1:9/hook"))
        .await
        .unwrap();
    assert_eq!(
        control.bank_transfers_webhook().await.unwrap().as_deref(),
        Some("http://127.0.0.1:9/hook")
    );
    control.set_bank_transfers_webhook(None).await.unwrap();
    assert_eq!(control.bank_transfers_webhook().await.unwrap(), None);

    assert!(control.webhook_log().await.unwrap().is_empty());
    assert_eq!(control.flush_webhooks().await.unwrap(), 0);
    control.clear_webhook_log().await.unwrap();

    let seeded = control
        .post("/__sandbox/seed", &json!({ "count": 2 }))
        .await
        .unwrap();
    assert_eq!(seeded["count"], 2);
    assert_eq!(control.stats().await.unwrap().items, 2);

    // A refused call names the path, the status and the sandbox's reason.
    let err = control
        .post("/__sandbox/seed", &json!({ "count": 0 }))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/__sandbox/seed") && err.contains("400") && err.contains("count"),
        "{err}"
    );
}

#[test]
fn unknown_delivery_outcomes_are_kept() {
    let outcome: DeliveryOutcome = serde_json::from_value(json!("delivered")).unwrap();
    assert_eq!(outcome, DeliveryOutcome::Delivered);
    let outcome: DeliveryOutcome = serde_json::from_value(json!("held")).unwrap();
    assert_eq!(outcome, DeliveryOutcome::Other);
}
