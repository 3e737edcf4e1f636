//! `pennyctl dlq`: webhooks parked by verification (Plaid answering 500 until the deliveries
//! ran out) are listed with their reason, redriven one at a time (delivered once: one
//! `/auth/get`, one verification) and all at once, and purged; exit codes say what happened.

use std::time::Duration;

use penny_proto::v1 as pb;
use penny_testkit::{DbKind, EndpointFault, ForcedError, poll_until};

use crate::support::{Running, code, json, start};

const WAIT: Duration = Duration::from_secs(30);

/// With Plaid's `/auth/get` failing, lets a simulated day pass: the sandbox verifies every
/// pending account and sends its webhook, which verification parks after its deliveries; waits
/// until `n` letters are listed and returns them.
async fn park_verifications(app: &Running, n: usize) -> anyhow::Result<serde_json::Value> {
    let control = &app.stack.control;
    control
        .add_fault(&EndpointFault::error(
            "/auth/get",
            ForcedError::InternalServerError,
        ))
        .await?;
    control
        .advance_clock(Duration::from_secs(25 * 3600))
        .await?;
    poll_until(WAIT, || async {
        let letters = json(&app.pennyctl(&["--json", "dlq", "list"]).await);
        (letters.as_array()?.len() == n).then_some(letters)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parked_webhooks_are_listed_redriven_once_and_purged() -> anyhow::Result<()> {
    let app = start(DbKind::Sqlite, |c| c.consumer.max_deliveries = 2).await?;
    let control = &app.stack.control;
    let a = app.link_account("user-a").await?;
    let b = app.link_account("user-b").await?;
    // A day later the sandbox verifies both and sends AUTH / AUTOMATICALLY_VERIFIED for each.
    let listed = park_verifications(&app, 2).await?;
    let letters = listed.as_array().unwrap();
    for letter in letters {
        assert_eq!(letter["consumer"], "verification");
        assert_eq!(
            letter["subject"],
            "plaid.webhook.AUTH.AUTOMATICALLY_VERIFIED"
        );
        assert!(!letter["reason"].as_str().unwrap().is_empty(), "{letter}");
        assert_eq!(letter["deliveries"], 2);
    }
    let table = app.pennyctl(&["dlq", "list"]).await;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("SEQ"), "{text}");
    assert!(text.contains("2 dead letter(s)"), "{text}");
    // Filters: by consumer and by time parked.
    let other = app
        .pennyctl(&["--json", "dlq", "list", "--consumer", "verification-prompt"])
        .await;
    assert_eq!(json(&other), serde_json::json!([]));
    let later = (chrono::Utc::now() + chrono::TimeDelta::minutes(1)).to_rfc3339();
    let none = app
        .pennyctl(&["--json", "dlq", "list", "--since", &later])
        .await;
    assert_eq!(json(&none), serde_json::json!([]));
    let recent = app
        .pennyctl(&["--json", "dlq", "list", "--since", "1h"])
        .await;
    assert_eq!(json(&recent).as_array().unwrap().len(), 2);

    // Show: where it came from, why, its trace context.
    let first = letters[0]["seq"].as_u64().unwrap().to_string();
    let shown = json(&app.pennyctl(&["--json", "dlq", "show", &first]).await);
    assert_eq!(shown["original_stream"], "PLAID_WEBHOOKS");
    assert!(shown["headers"]["traceparent"].is_array(), "{shown}");
    assert!(shown.get("payload").is_none(), "no payload unless asked");

    // Exit codes scripts can trust.
    assert_eq!(code(&app.pennyctl(&["dlq", "show", "999999"]).await), 3);
    assert_eq!(code(&app.pennyctl(&["dlq", "purge", "--all"]).await), 4);
    assert_eq!(code(&app.pennyctl(&["dlq", "bogus"]).await), 2);

    // Plaid is back: redriving one letter delivers its webhook once.
    control.clear_faults().await?;
    control.reset_stats().await?;
    let redriven = app.pennyctl(&["--json", "dlq", "redrive", &first]).await;
    assert_eq!(code(&redriven), 0, "{redriven:?}");
    assert_eq!(json(&redriven)["redriven"].as_array().unwrap().len(), 1);
    let (verified, pending) = poll_until(WAIT, || async {
        let sa = app.status(&a.account_id).await.ok()?;
        let sb = app.status(&b.account_id).await.ok()?;
        let done: Vec<_> = [sa, sb]
            .into_iter()
            .filter(|s| *s == pb::AccountStatus::Verified)
            .collect();
        (done.len() == 1).then_some((sa, sb))
    })
    .await?;
    assert_ne!(verified, pending);
    app.drained().await?;
    assert_eq!(control.stats().await?.endpoint("/auth/get").ok, 1);
    // Gone from the dead letters: a second redrive of it is "not found".
    assert_eq!(code(&app.pennyctl(&["dlq", "redrive", &first]).await), 3);

    // Redrive --all: the other one, with its own single /auth/get.
    let all = app.pennyctl(&["dlq", "redrive", "--all"]).await;
    assert_eq!(code(&all), 0, "{all:?}");
    assert!(String::from_utf8_lossy(&all.stdout).contains("redriven 1 dead letter(s), 0 failed"));
    for account in [&a, &b] {
        poll_until(WAIT, || async {
            app.status(&account.account_id).await.ok() == Some(pb::AccountStatus::Verified)
        })
        .await?;
    }
    app.drained().await?;
    assert_eq!(control.stats().await?.endpoint("/auth/get").ok, 2);
    assert_eq!(
        json(&app.pennyctl(&["--json", "dlq", "list"]).await),
        serde_json::json!([])
    );

    // Purge: a third account's webhook parked, deleted for good, never delivered.
    let c = app.link_account("user-c").await?;
    park_verifications(&app, 1).await?;
    control.clear_faults().await?;
    let purged = app
        .pennyctl(&["--json", "dlq", "purge", "--all", "--yes"])
        .await;
    assert_eq!(code(&purged), 0, "{purged:?}");
    assert_eq!(json(&purged)["purged"].as_array().unwrap().len(), 1);
    assert_eq!(
        json(&app.pennyctl(&["--json", "dlq", "list"]).await),
        serde_json::json!([])
    );
    assert_eq!(app.status(&c.account_id).await?, pb::AccountStatus::Pending);
    app.stop().await
}
