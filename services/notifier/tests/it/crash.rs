//! The real binary killed inside a send (fault injection), then restarted: after the provider
//! accepted the message but before the outcome was recorded, and after the claim but before
//! the provider was called. The person gets the alert, and a resend carries the same
//! Message-ID / webhook-id, so their mail system or push receiver sees one message. On SQLite
//! and PostgreSQL.

use std::collections::HashSet;
use std::time::Duration;

use penny_proto::v1 as pb;

use crate::support::binary;
use crate::support::events::{self, publish_once};
use crate::support::{ARRIVAL, Env, a_weekday_morning, contact, for_each_db};
use penny_testkit::DbKind;

/// One alert to `user` on `channel`, through a binary that aborts at `point`, then a clean one.
/// Returns the ids the receiver saw, in order.
async fn crash_then_recover(
    env: &Env,
    user: &str,
    channel: pb::Channel,
    point: &str,
) -> anyhow::Result<Vec<String>> {
    let logs = tempfile::tempdir()?;
    // Contact data through an in-process replica, stopped before the events exist.
    let app = env.spawn(|_| {}).await?;
    let mut request = contact(env, user, "+14155550111", "en");
    request.channels = vec![channel as i32];
    app.upsert(request).await?;
    app.stop().await?;
    let js = env.jetstream().await?;
    let account = format!("acc-{user}");
    let flow = pb::VerificationFlow::Automated;
    let now = chrono::Utc::now();
    publish_once(&js, &events::account("linked", user, &account, flow, now)).await?;
    publish_once(&js, &events::account("verified", user, &account, flow, now)).await?;

    let mut crashing = binary::spawn(
        env,
        &logs.path().join("crash.log"),
        &[
            ("PENNY_NOTIFIER_CRASH_AT", point),
            ("PENNY_NOTIFIER_SEND_CONCURRENCY", "1"),
        ],
    )?;
    let status = crashing.wait_exit(Duration::from_secs(60)).await?;
    assert!(
        !status.success(),
        "the fault aborted the process: {status:?}"
    );
    let log = std::fs::read_to_string(crashing.log())?;
    assert!(log.contains("fault injection"), "{log}");
    let before = ids(env, channel)?;
    match point {
        "after-send" => assert_eq!(before.len(), 1, "the provider had it before the crash"),
        _ => assert!(before.is_empty(), "nothing was sent before the crash"),
    }

    let mut recovering = binary::spawn(env, &logs.path().join("recover.log"), &[])?;
    let expected = if point == "after-send" { 2 } else { 1 };
    penny_testkit::poll_until(ARRIVAL, || async {
        ids(env, channel).is_ok_and(|seen| seen.len() >= expected)
    })
    .await?;
    // The resend is the last copy: the alert is recorded sent, and a replica sweeping after the
    // binary stopped finds nothing more to send.
    let app = env.spawn(|_| {}).await?;
    let alerts = penny_testkit::poll_until(ARRIVAL, || async {
        let listed = app.notifications(user).await.ok()?;
        listed
            .iter()
            .all(|n| n.state == pb::NotificationState::Sent as i32)
            .then_some(listed)
    })
    .await?;
    recovering.terminate(Duration::from_secs(15)).await?;
    app.sweeps(5).await?;
    app.stop().await?;
    assert_eq!(alerts.len(), 1, "one alert");
    assert_eq!(
        alerts[0].attempts, 2,
        "the claim before the crash counts as an attempt"
    );
    let seen = ids(env, channel)?;
    assert_eq!(
        seen.len(),
        expected,
        "{point}: copies at the receiver: {seen:?}"
    );
    Ok(seen)
}

/// The ids of `channel`'s messages at its receiver, in order.
fn ids(env: &Env, channel: pb::Channel) -> anyhow::Result<Vec<String>> {
    Ok(match channel {
        pb::Channel::Email => env
            .smtp
            .messages()?
            .iter()
            .filter_map(|m| m.message_id().map(str::to_owned))
            .collect(),
        _ => env
            .push
            .accepted()
            .iter()
            .filter_map(|r| r.header("webhook-id").map(str::to_owned))
            .collect(),
    })
}

async fn crash_after_send(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    for (user, channel) in [("eve", pb::Channel::Email), ("pia", pb::Channel::Push)] {
        let seen = crash_then_recover(&env, user, channel, "after-send").await?;
        let distinct: HashSet<&String> = seen.iter().collect();
        assert_eq!(
            distinct.len(),
            1,
            "{channel:?}: the resend carries the same id: {seen:?}"
        );
    }
    assert!(env.push.distinct_ids().len() == 1 && env.push.accepted().len() == 2);
    Ok(())
}

async fn crash_after_claim(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    crash_then_recover(&env, "ian", pb::Channel::Email, "after-claim").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_after_the_send_before_recording_it_the_person_gets_it_once_by_id()
-> anyhow::Result<()> {
    for_each_db(crash_after_send).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_after_the_claim_before_the_send_the_alert_is_not_lost() -> anyhow::Result<()> {
    for_each_db(crash_after_claim).await
}
