//! `pennyctl transfers resync` and the timeline's ACH events against the real transfer-events
//! service (on a database of its own, the same NATS and sandbox): a resync records what is new
//! and nothing twice, also from a cursor before the service's; a cursor past the service's is
//! refused (exit 4).

use penny_testkit::DbKind;

use crate::services;
use crate::support::{code, json, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resync_records_nothing_twice_and_the_timeline_shows_ach_events() -> anyhow::Result<()> {
    let app = start(DbKind::Sqlite, |_| {}).await?;
    let transfers = services::transfer_events(&app, false).await?;
    let url = transfers.url.clone();
    let env = [("PENNY_CTL_TRANSFER_EVENTS_URL", url.as_str())];

    // Linking makes the sandbox's pending $0.01 credit; no poke comes, the resync records it.
    let linked = app.link_account("user-ach").await?;
    let first = app
        .pennyctl_with(&["--json", "transfers", "resync"], &env)
        .await;
    assert_eq!(code(&first), 0, "{first:?}");
    let first = json(&first);
    assert!(first["cursor_after"].as_u64() >= Some(1), "{first}");
    let cursor = first["cursor_after"].as_u64().unwrap();
    // Again from the cursor: nothing new, nothing recorded twice.
    let again = app
        .pennyctl_with(
            &[
                "--json",
                "transfers",
                "resync",
                "--after-id",
                &cursor.to_string(),
            ],
            &env,
        )
        .await;
    assert_eq!(code(&again), 0, "{again:?}");
    assert_eq!(json(&again)["events_recorded"], 0);
    assert_eq!(json(&again)["cursor_after"], cursor);
    // From an earlier cursor: every event re-read, none recorded twice, the cursor stays.
    let earlier = app
        .pennyctl_with(&["--json", "transfers", "resync", "--after-id", "0"], &env)
        .await;
    assert_eq!(code(&earlier), 0, "{earlier:?}");
    let earlier = json(&earlier);
    assert_eq!(earlier["after_id"], 0);
    assert_eq!(earlier["events_recorded"], 0, "{earlier}");
    assert_eq!(earlier["cursor_after"], cursor);
    // Past the cursor: a sync never skips events; refused, saying why.
    let past = app
        .pennyctl_with(
            &[
                "transfers",
                "resync",
                "--after-id",
                &(cursor + 100).to_string(),
            ],
            &env,
        )
        .await;
    assert_eq!(code(&past), 4, "{past:?}");
    let said = String::from_utf8_lossy(&past.stderr);
    assert!(
        said.contains("after_id") && said.contains("cursor"),
        "{said}"
    );

    // The account's timeline now has its ACH event; only the notifier is missing.
    let out = app
        .pennyctl_with(&["--json", "account", "timeline", &linked.account_id], &env)
        .await;
    assert_eq!(code(&out), 6, "{out:?}");
    let timeline = json(&out);
    assert!(
        timeline["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["source"] == "ach"),
        "{timeline}"
    );
    assert_eq!(timeline["unavailable"][0]["service"], "notifier");
    transfers.stop().await?;
    app.stop().await
}
