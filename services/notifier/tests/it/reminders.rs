//! A Same-Day reminder ("check your statement and confirm") is only sent while it is true: once
//! the account is verified (or fails, expires, is revoked) before the reminder's due time, the
//! waiting reminder is withdrawn (`SUPPRESSED`, with the reason) and only "ready" goes out; a
//! deposit event that arrives after the account settled schedules no reminder at all.

use chrono::{Duration, TimeZone as _, Utc};
use penny_proto::v1 as pb;
use penny_testkit::DbKind;

use crate::support::events::{self, publish_once};
use crate::support::{ARRIVAL, Env, contact, for_each_db};

async fn withdrawn(kind: DbKind) -> anyhow::Result<()> {
    // Tuesday 12 January 2027, 10 a.m. in New York: the deposit is available Wednesday 8:30.
    let posted = Utc.with_ymd_and_hms(2027, 1, 12, 15, 0, 0).unwrap();
    let wednesday = Utc.with_ymd_and_hms(2027, 1, 13, 13, 30, 0).unwrap();
    let env = Env::start(kind, posted + Duration::hours(1)).await?;
    let app = env.spawn(|_| {}).await?;
    app.upsert(contact(&env, "ivy", "+14155550107", "en"))
        .await?;
    let js = env.jetstream().await?;
    let same_day = pb::VerificationFlow::SameDay;

    // The deposit posts first: three reminders wait for Wednesday 8:30.
    publish_once(
        &js,
        &events::account("linked", "ivy", "acc-ivy", same_day, posted),
    )
    .await?;
    publish_once(
        &js,
        &events::deposit(pb::DepositState::Posted, "acc-ivy", posted, Some(wednesday)),
    )
    .await?;
    penny_testkit::poll_until(ARRIVAL, || async {
        let listed = app.notifications("ivy").await.ok()?;
        (listed.len() == 3).then_some(())
    })
    .await?;
    // Ivy confirms the code before then: verified.
    let verified_at = posted + Duration::hours(2);
    publish_once(
        &js,
        &events::account("verified", "ivy", "acc-ivy", same_day, verified_at),
    )
    .await?;
    let listed = penny_testkit::poll_until(ARRIVAL, || async {
        let listed = app.notifications("ivy").await.ok()?;
        (listed.len() == 6
            && listed
                .iter()
                .all(|n| n.state != pb::NotificationState::Pending as i32))
        .then_some(listed)
    })
    .await?;
    for n in &listed {
        if n.kind == pb::AlertKind::DepositPosted as i32 {
            assert_eq!(n.state, pb::NotificationState::Suppressed as i32, "{n:?}");
            assert_eq!(n.last_error, "account_verified", "{n:?}");
        } else {
            assert_eq!(n.kind, pb::AlertKind::AccountVerified as i32, "{n:?}");
        }
    }
    let mail = env.smtp.wait_for(1, ARRIVAL).await?;
    assert!(
        mail[0].subject().contains("is ready"),
        "{}",
        mail[0].subject()
    );
    // Wednesday 8:30 comes: still only the "ready" email.
    env.clock.set(wednesday + Duration::minutes(1));
    app.sweeps(3).await?;
    assert_eq!(env.smtp.messages()?.len(), 1);

    // Out of order for a second account: its failure is recorded (and alerted) before its
    // deposit event arrives; the reminder would be due tomorrow.
    env.clock.set(posted + Duration::hours(3));
    publish_once(
        &js,
        &events::account("linked", "ivy", "acc-ivy-2", same_day, posted),
    )
    .await?;
    publish_once(
        &js,
        &events::account(
            "verification_failed",
            "ivy",
            "acc-ivy-2",
            same_day,
            verified_at,
        ),
    )
    .await?;
    penny_testkit::poll_until(ARRIVAL, || async {
        let listed = app.notifications("ivy").await.ok()?;
        let failed = listed
            .iter()
            .filter(|n| n.kind == pb::AlertKind::VerificationFailed as i32)
            .count();
        (failed == 3).then_some(())
    })
    .await?;
    publish_once(
        &js,
        &events::deposit(
            pb::DepositState::Posted,
            "acc-ivy-2",
            posted,
            Some(wednesday),
        ),
    )
    .await?;
    // Every event handled (the deposit event changes nothing), then: no reminder exists.
    penny_testkit::wait_consumer_drained(&js, penny_bus::PENNY_EVENTS, "notifier").await?;
    let listed = app.notifications("ivy").await?;
    let reminders = listed
        .iter()
        .filter(|n| n.account_id == "acc-ivy-2" && n.kind == pb::AlertKind::DepositPosted as i32)
        .count();
    assert_eq!(reminders, 0, "{listed:?}");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reminder_is_withdrawn_once_the_account_settles() -> anyhow::Result<()> {
    for_each_db(withdrawn).await
}
