//! `pennyctl webhooks replay`: re-delivering webhooks already processed changes nothing (no
//! Plaid call, no domain event, no status change); a dry run publishes nothing; a second replay
//! inside the duplicate window is stored once.

use std::time::Duration;

use penny_bus::{PENNY_EVENTS, PLAID_WEBHOOKS};
use penny_proto::v1 as pb;
use penny_testkit::{DbKind, poll_until};

use crate::support::{code, json, messages, start};

const WAIT: Duration = Duration::from_secs(30);

async fn history_len(app: &crate::support::Running, account_id: &str) -> usize {
    let history = app
        .client()
        .await
        .unwrap()
        .get_account_history(pb::GetAccountHistoryRequest {
            account_id: account_id.to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    history.status_changes.len() + history.webhooks.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replay_changes_nothing_already_done() -> anyhow::Result<()> {
    let app = start(DbKind::Sqlite, |_| {}).await?;
    let linked = app.link_account("user-replay").await?;
    app.stack
        .control
        .advance_clock(Duration::from_secs(25 * 3600))
        .await?;
    poll_until(WAIT, || async {
        app.status(&linked.account_id).await.ok() == Some(pb::AccountStatus::Verified)
    })
    .await?;
    app.drained().await?;
    // The outbox relay has published the verification event.
    let events = poll_until(WAIT, || async {
        let n = messages(&app.stack, PENNY_EVENTS).await;
        (n >= 2).then_some(n)
    })
    .await?;
    let stats = app.stack.control.stats().await?;
    let auth_gets = stats.endpoint("/auth/get").calls;
    let history = history_len(&app, &linked.account_id).await;
    let webhooks = messages(&app.stack, PLAID_WEBHOOKS).await;

    // A dry run lists and publishes nothing.
    let dry = app
        .pennyctl(&[
            "--json",
            "webhooks",
            "replay",
            "--from",
            "1h",
            "--type",
            "AUTH",
            "--dry-run",
        ])
        .await;
    assert_eq!(code(&dry), 0, "{dry:?}");
    let listed = json(&dry)["webhooks"].as_array().unwrap().len();
    assert!(listed >= 1, "{}", json(&dry));
    assert_eq!(messages(&app.stack, PLAID_WEBHOOKS).await, webhooks);

    // The replay re-delivers them to every consumer ...
    let replayed = app
        .pennyctl(&[
            "--json", "webhooks", "replay", "--from", "1h", "--type", "AUTH",
        ])
        .await;
    assert_eq!(code(&replayed), 0, "{replayed:?}");
    let rows = json(&replayed)["webhooks"].as_array().unwrap().clone();
    assert_eq!(rows.len(), listed);
    assert!(rows.iter().all(|r| r["duplicate"] == false));
    assert_eq!(
        messages(&app.stack, PLAID_WEBHOOKS).await,
        webhooks + listed as u64
    );
    app.drained().await?;
    // ... and nothing already done happens again.
    assert_eq!(
        app.status(&linked.account_id).await?,
        pb::AccountStatus::Verified
    );
    assert_eq!(
        app.stack.control.stats().await?.endpoint("/auth/get").calls,
        auth_gets
    );
    assert_eq!(history_len(&app, &linked.account_id).await, history);
    assert_eq!(messages(&app.stack, PENNY_EVENTS).await, events);

    // The same replay again inside the stream's duplicate window is stored once.
    let to = (chrono::Utc::now() + chrono::TimeDelta::minutes(1)).to_rfc3339();
    let again = app
        .pennyctl(&[
            "--json", "webhooks", "replay", "--from", "1h", "--type", "AUTH", "--to", &to,
        ])
        .await;
    assert_eq!(code(&again), 0, "{again:?}");
    let again = json(&again);
    let originals = again["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["seq"].as_u64() <= Some(webhooks))
        .count();
    assert_eq!(originals, listed);
    assert!(
        again["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["seq"].as_u64() <= Some(webhooks))
            .all(|r| r["duplicate"] == true),
        "{again}"
    );

    // A range that ends before it starts is refused.
    let refused = app
        .pennyctl(&["webhooks", "replay", "--from", "1h", "--to", "2h"])
        .await;
    assert_eq!(code(&refused), 4, "{refused:?}");
    app.stop().await
}
