//! `pennyctl account timeline` with every service running: the Link session, the webhook, the
//! status change (with the webhook's trace id), the ACH event and the alert (channel, state,
//! and the webhook's trace id: one webhook, one trace, to the alert), in time order, complete
//! (exit 0).

use std::time::Duration;

use penny_proto::v1 as pb;
use penny_proto::v1::notifier_service_client::NotifierServiceClient;
use penny_testkit::{Bearer, DbKind, poll_until};

use crate::services;
use crate::support::{TOKEN, code, json, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_timeline_of_an_account() -> anyhow::Result<()> {
    let app = start(DbKind::Sqlite, |_| {}).await?;
    let transfers = services::transfer_events(&app, true).await?;
    let notifier = services::notifier(&app).await?;
    let mut contacts = NotifierServiceClient::with_interceptor(
        tonic::transport::Endpoint::from_shared(notifier.url.clone())?
            .connect()
            .await?,
        Bearer::new(TOKEN)?,
    );
    contacts
        .upsert_contact(pb::UpsertContactRequest {
            user_id: "user-all".into(),
            email: "ann@example.com".into(),
            channels: vec![pb::Channel::Email as i32],
            ..Default::default()
        })
        .await?;
    let linked = app.link_account("user-all").await?;
    app.record_seed_session(&linked, "user-all").await?;
    app.verified_by_plaid(&linked).await?;
    let env = [
        ("PENNY_CTL_TRANSFER_EVENTS_URL", transfers.url.as_str()),
        ("PENNY_CTL_NOTIFIER_URL", notifier.url.as_str()),
    ];
    // The deposit is recorded by a sync (the sandbox sends no poke for a new deposit).
    let synced = app.pennyctl_with(&["transfers", "resync"], &env).await;
    assert_eq!(code(&synced), 0, "{synced:?}");
    // Wait until the alert is sent and the deposit recorded.
    let timeline = poll_until(Duration::from_secs(60), || async {
        let out = app
            .pennyctl_with(&["--json", "account", "timeline", &linked.account_id], &env)
            .await;
        let timeline = json(&out);
        let entries = timeline["entries"].as_array()?.clone();
        let sent = entries.iter().any(|e| {
            e["source"] == "alert"
                && e["detail"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("email sent"))
        });
        let ach = entries.iter().any(|e| e["source"] == "ach");
        (code(&out) == 0 && sent && ach).then_some(timeline)
    })
    .await?;
    let sources: Vec<&str> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources[0], "link", "{timeline}");
    for source in ["webhook", "status", "ach", "alert"] {
        assert!(sources.contains(&source), "{source} missing: {timeline}");
    }
    assert_eq!(timeline["unavailable"], serde_json::json!([]));
    assert_eq!(timeline["unattributed_alerts"], 0);
    let entries = timeline["entries"].as_array().unwrap();
    let trace_of = |source: &str| {
        entries
            .iter()
            .find(|e| e["source"] == source)
            .and_then(|e| e["trace_id"].as_str())
            .unwrap_or_else(|| panic!("no {source} trace id: {timeline}"))
    };
    assert_eq!(trace_of("alert").len(), 32);
    assert_eq!(
        trace_of("alert"),
        trace_of("webhook"),
        "the alert is in the webhook's trace: {timeline}"
    );
    // Every ACH event carries the trace of the sync that recorded it.
    for ach in entries.iter().filter(|e| e["source"] == "ach") {
        assert_eq!(
            ach["trace_id"].as_str().map(str::len),
            Some(32),
            "an ACH event's trace id: {timeline}"
        );
    }
    notifier.stop().await?;
    transfers.stop().await?;
    app.stop().await
}
