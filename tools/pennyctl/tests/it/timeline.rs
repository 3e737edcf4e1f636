//! `pennyctl account timeline`: an account's Link session, webhook and status change in time
//! order with the webhook's trace id, from verification's gRPC API and the webhook's NATS
//! headers. transfer-events and the notifier are not started here: they are named as
//! unavailable and the exit code says the timeline is partial (6); `transfers resync` against
//! an unreachable transfer-events exits 5.

use penny_testkit::DbKind;

use crate::support::{code, json, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_timeline_starts_with_the_link_session_and_carries_trace_ids() -> anyhow::Result<()> {
    let app = start(DbKind::Sqlite, |_| {}).await?;
    let linked = app.link_account("user-timeline").await?;
    app.record_seed_session(&linked, "user-timeline").await?;
    app.verified_by_plaid(&linked).await?;

    let out = app
        .pennyctl(&["--json", "account", "timeline", &linked.account_id])
        .await;
    assert_eq!(
        code(&out),
        6,
        "partial without transfer-events and the notifier: {out:?}"
    );
    let timeline = json(&out);
    assert_eq!(timeline["user_id"], "user-timeline");
    let entries = timeline["entries"].as_array().unwrap();
    assert_eq!(entries[0]["source"], "link");
    assert_eq!(entries[0]["what"], "OPEN");
    let webhook = entries
        .iter()
        .find(|e| e["what"] == "AUTH/AUTOMATICALLY_VERIFIED")
        .unwrap_or_else(|| panic!("{timeline}"));
    let trace_id = webhook["trace_id"].as_str().unwrap();
    assert_eq!(trace_id.len(), 32);
    let change = entries
        .iter()
        .find(|e| e["source"] == "status")
        .unwrap_or_else(|| panic!("{timeline}"));
    assert_eq!(change["what"], "pending → verified");
    assert_eq!(change["trace_id"], trace_id, "one webhook, one trace");
    let times: Vec<&str> = entries
        .iter()
        .map(|e| e["time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by_key(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap());
    assert_eq!(times, sorted, "in time order");
    let unavailable: Vec<&str> = timeline["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["service"].as_str().unwrap())
        .collect();
    assert_eq!(unavailable, ["transfer-events", "notifier"]);

    let table = app
        .pennyctl(&["account", "timeline", &linked.account_id])
        .await;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("TRACE_ID") && text.contains(trace_id),
        "{text}"
    );
    assert_eq!(
        code(
            &app.pennyctl(&["account", "timeline", "no-such-account"])
                .await
        ),
        3
    );
    let resync = app
        .pennyctl(&["transfers", "resync", "--after-id", "0"])
        .await;
    assert_eq!(code(&resync), 5, "{resync:?}");
    app.stop().await
}
