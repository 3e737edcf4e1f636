//! `pennyctl funnel`: the Link funnel of scripted sessions (the seed's exact sequence for a
//! real linked account, exits after each step, a resent session) as a table and as JSON.

use chrono::{TimeDelta, Utc};
use penny_proto::v1 as pb;
use penny_testkit::DbKind;
use penny_verification::funnel::script::{exit_after, seed_session};

use crate::support::{Running, code, json, start};

async fn record(app: &Running, session: &str, events: Vec<pb::LinkEvent>) {
    app.client()
        .await
        .unwrap()
        .record_link_events(pb::RecordLinkEventsRequest {
            link_session_id: session.to_owned(),
            user_id: "user-funnel".to_owned(),
            events,
            flow: pb::LinkFlow::Automated as i32,
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_funnel_shows_each_step_and_exit() -> anyhow::Result<()> {
    let app = start(DbKind::Sqlite, |_| {}).await?;
    let linked = app.link_account("user-funnel").await?;
    let start_at = Utc::now() - TimeDelta::minutes(30);
    let gap = TimeDelta::seconds(15);
    let seed = seed_session(start_at, gap, linked.accounts.clone());
    record(&app, &linked.link_session_id, seed.clone()).await;
    record(&app, &linked.link_session_id, seed).await; // resent: changes nothing
    for steps in 1..=5 {
        let events = exit_after(start_at, gap, steps, "", "requires_credentials");
        record(&app, &format!("exit-{steps}"), events).await;
    }
    let failed = exit_after(
        start_at,
        gap,
        3,
        "INVALID_CREDENTIALS",
        "requires_credentials",
    );
    record(&app, "bad-credentials", failed).await;

    let out = app
        .pennyctl(&["--json", "funnel", "--from", "1h", "--flow", "automated"])
        .await;
    assert_eq!(code(&out), 0, "{out:?}");
    let funnel = json(&out);
    assert_eq!(funnel["sessions"], 7);
    assert_eq!(funnel["successes"], 1);
    let sessions: Vec<(String, u64)> = funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_owned(),
                s["sessions"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("opened", 7),
        ("institution_selected", 6),
        ("credentials_submitted", 5),
        ("mfa", 0),
        ("numbers", 3),
        ("connected", 2),
        ("handoff", 1),
        ("success_pending", 1),
    ];
    let want: Vec<(String, u64)> = want.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect();
    assert_eq!(sessions, want);
    assert_eq!(funnel["steps"][4]["median_from_previous_seconds"], 15.0);
    let exits = funnel["exits"].as_array().unwrap();
    assert_eq!(exits.len(), 6);
    assert!(
        exits
            .iter()
            .any(|e| e["after_step"] == "credentials_submitted"
                && e["error_code"] == "INVALID_CREDENTIALS"
                && e["sessions"] == 1)
    );

    let table = app.pennyctl(&["funnel", "--from", "1h"]).await;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("7 session(s)"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("numbers") && l.contains("42.9%")),
        "{text}"
    );
    assert!(text.contains("INVALID_CREDENTIALS"), "{text}");
    let same_day = json(
        &app.pennyctl(&["--json", "funnel", "--from", "1h", "--flow", "same-day"])
            .await,
    );
    assert_eq!(same_day["sessions"], 0);
    // Verification refuses a range that ends before it starts: exit 4.
    assert_eq!(
        code(
            &app.pennyctl(&["funnel", "--from", "1h", "--to", "2h"])
                .await
        ),
        4
    );
    // Without a valid token the call is refused too.
    let denied = app
        .pennyctl_with(
            &["funnel"],
            &[("PENNY_CTL_API_TOKEN", "wrong-token-0123456789")],
        )
        .await;
    assert_eq!(code(&denied), 4, "{denied:?}");
    app.stop().await
}
