//! When alerts go out: "check your statement" for a deposit posted on the Friday before a
//! Monday Federal holiday is due Tuesday 8:30 a.m. ET, not sent earlier, sent when the
//! (controllable) clock reaches it, across a restart of the notifier in between; quiet hours
//! delay every alert to their end, never drop it.

use chrono::{Duration, TimeZone as _, Utc};
use penny_proto::v1 as pb;
use penny_testkit::DbKind;

use crate::support::events::{self, publish_once};
use crate::support::{ARRIVAL, Env, contact, for_each_db};

async fn friday_before_a_holiday(kind: DbKind) -> anyhow::Result<()> {
    // Friday 15 January 2027, 4 p.m. in New York; Monday the 18th is Martin Luther King Jr. Day.
    let posted = Utc.with_ymd_and_hms(2027, 1, 15, 21, 0, 0).unwrap();
    let tuesday = Utc.with_ymd_and_hms(2027, 1, 19, 13, 30, 0).unwrap(); // 08:30 EST
    assert_eq!(penny_calendar::funds_available_after(posted), tuesday);
    let env = Env::start(kind, posted + Duration::hours(1)).await?;
    let app = env.spawn(|_| {}).await?;
    app.upsert(contact(&env, "sam", "+14155550104", "en"))
        .await?;
    let js = env.jetstream().await?;
    let same_day = pb::VerificationFlow::SameDay;
    publish_once(
        &js,
        &events::account("linked", "sam", "acc-sam", same_day, posted),
    )
    .await?;
    // As transfer-events stamps it (the availability time from penny-calendar).
    let deposit = events::deposit(pb::DepositState::Posted, "acc-sam", posted, Some(tuesday));
    publish_once(&js, &deposit).await?;
    // And a second account whose event carries no availability time: the notifier computes it.
    publish_once(
        &js,
        &events::account("linked", "sam", "acc-sam-2", same_day, posted),
    )
    .await?;
    publish_once(
        &js,
        &events::deposit(pb::DepositState::Posted, "acc-sam-2", posted, None),
    )
    .await?;
    let scheduled = penny_testkit::poll_until(ARRIVAL, || async {
        let listed = app.notifications("sam").await.ok()?;
        (listed.len() == 6).then_some(listed)
    })
    .await?;
    for n in &scheduled {
        assert_eq!(n.state, pb::NotificationState::Pending as i32);
        assert_eq!(
            n.due_at.as_ref().map(|t| t.seconds),
            Some(tuesday.timestamp()),
            "{n:?}"
        );
    }
    penny_testkit::poll_until(ARRIVAL, || async {
        app.metrics()
            .await
            .is_ok_and(|m| m.contains("penny_notifier_scheduled_backlog_alerts 6"))
    })
    .await?;

    // Monday noon (the holiday): nothing yet.
    env.clock
        .set(Utc.with_ymd_and_hms(2027, 1, 18, 17, 0, 0).unwrap());
    app.sweeps(3).await?;
    assert_eq!(env.smtp.messages()?.len(), 0, "not before Tuesday 8:30 ET");
    // A restart in between: the schedule is in the database.
    app.stop().await?;
    let app = env.spawn(|_| {}).await?;
    env.clock.set(tuesday - Duration::minutes(1));
    app.sweeps(3).await?;
    assert_eq!(env.smtp.messages()?.len(), 0, "not at 8:29 either");
    assert_eq!(env.sms.http.count() + env.push.http.count(), 0);

    env.clock.set(tuesday);
    let mail = env.smtp.wait_for(2, ARRIVAL).await?;
    env.sms.http.wait_for_accepted(2, ARRIVAL).await?;
    env.push.http.wait_for_accepted(2, ARRIVAL).await?;
    assert!(
        mail.iter()
            .all(|m| m.subject().starts_with("Check your statement and confirm"))
    );
    // A receiver has a message a moment before the notifier records it sent.
    let sent = penny_testkit::poll_until(ARRIVAL, || async {
        let listed = app.notifications("sam").await.ok()?;
        let done = |n: &pb::Notification| n.state == pb::NotificationState::Sent as i32;
        listed.iter().all(done).then_some(listed)
    })
    .await?;
    for n in &sent {
        assert!(
            n.sent_at
                .as_ref()
                .is_some_and(|t| t.seconds >= tuesday.timestamp())
        );
    }
    app.stop().await
}

async fn quiet_hours(kind: DbKind) -> anyhow::Result<()> {
    // 11 p.m. in Los Angeles on a Wednesday.
    let night = Utc.with_ymd_and_hms(2027, 3, 4, 7, 0, 0).unwrap();
    let morning = Utc.with_ymd_and_hms(2027, 3, 4, 15, 0, 0).unwrap(); // 07:00 PST
    let env = Env::start(kind, night).await?;
    let app = env.spawn(|_| {}).await?;
    let mut request = contact(&env, "liz", "+14155550105", "en");
    request.quiet_hours = Some(pb::QuietHours {
        start: "21:30".into(),
        end: "07:00".into(),
    });
    request.time_zone = "America/Los_Angeles".into();
    app.upsert(request).await?;
    let js = env.jetstream().await?;
    let flow = pb::VerificationFlow::Automated;
    publish_once(
        &js,
        &events::account("linked", "liz", "acc-liz", flow, night),
    )
    .await?;
    publish_once(
        &js,
        &events::account("verified", "liz", "acc-liz", flow, night),
    )
    .await?;
    // Protective kinds wait for the morning too: they cannot be switched off, but a relink can
    // wait a few hours.
    publish_once(
        &js,
        &events::account("numbers_changed", "liz", "acc-liz", flow, night),
    )
    .await?;
    let delayed = penny_testkit::poll_until(ARRIVAL, || async {
        let listed = app.notifications("liz").await.ok()?;
        (listed.len() == 6).then_some(listed)
    })
    .await?;
    assert!(
        delayed
            .iter()
            .all(|n| n.due_at.as_ref().map(|t| t.seconds) == Some(morning.timestamp()))
    );
    app.sweeps(3).await?;
    assert_eq!(
        env.smtp.messages()?.len() + env.sms.http.count() + env.push.http.count(),
        0
    );
    env.clock.set(morning);
    env.smtp.wait_for(2, ARRIVAL).await?;
    env.sms.http.wait_for_accepted(2, ARRIVAL).await?;
    env.push.http.wait_for_accepted(2, ARRIVAL).await?;
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deposit_posted_before_a_monday_holiday_is_sent_tuesday_830_et_across_a_restart()
-> anyhow::Result<()> {
    for_each_db(friday_before_a_holiday).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quiet_hours_delay_alerts_to_their_end_and_never_drop_them() -> anyhow::Result<()> {
    for_each_db(quiet_hours).await
}
