//! Two notifier replicas with scheduled alerts due at once: one holds the scheduler lease and
//! sweeps, both consume events, and every alert is sent once (the claim on each alert row is a
//! compare-and-set, whoever sweeps).

use std::collections::HashSet;

use chrono::Duration;
use penny_proto::v1 as pb;
use penny_testkit::DbKind;

use crate::support::events::{self, publish_once};
use crate::support::{ARRIVAL, Env, a_weekday_morning, contact, for_each_db, swept};

const PEOPLE: usize = 20;

async fn two_replicas(kind: DbKind) -> anyhow::Result<()> {
    let now = a_weekday_morning();
    let env = Env::start(kind, now).await?;
    let (a, b) = (env.spawn(|_| {}).await?, env.spawn(|_| {}).await?);
    let js = env.jetstream().await?;
    let tomorrow = now + Duration::hours(22);
    for i in 0..PEOPLE {
        let user = format!("rep-{i}");
        let mut request = contact(&env, &user, "+14155550108", "en");
        request.channels = vec![pb::Channel::Email as i32, pb::Channel::Push as i32];
        a.upsert(request).await?;
        let account = format!("acc-{user}");
        let flow = pb::VerificationFlow::SameDay;
        publish_once(&js, &events::account("linked", &user, &account, flow, now)).await?;
        let posted = events::deposit(pb::DepositState::Posted, &account, now, Some(tomorrow));
        publish_once(&js, &posted).await?;
    }
    penny_testkit::wait_consumer_drained(&js, penny_bus::PENNY_EVENTS, "notifier").await?;
    let leaders = |text: &str| {
        text.lines()
            .any(|l| l == "penny_notifier_scheduler_leader 1")
    };
    let leading = penny_testkit::poll_until(ARRIVAL, || async {
        let (ma, mb) = (
            a.metrics().await.unwrap_or_default(),
            b.metrics().await.unwrap_or_default(),
        );
        let n = u8::from(leaders(&ma)) + u8::from(leaders(&mb));
        (n > 0).then_some(n)
    })
    .await?;
    assert_eq!(leading, 1, "one scheduler");
    assert_eq!(env.smtp.messages()?.len(), 0);

    env.clock.set(tomorrow);
    let mail = env.smtp.wait_for(PEOPLE, ARRIVAL).await?;
    env.push.http.wait_for_accepted(PEOPLE, ARRIVAL).await?;
    swept(&[&a, &b], 3).await?;
    let mail_after = env.smtp.messages()?;
    assert_eq!(mail_after.len(), PEOPLE, "each email once");
    assert_eq!(env.push.accepted().len(), PEOPLE, "each push once");
    let ids: HashSet<_> = mail
        .iter()
        .filter_map(|m| m.message_id().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), PEOPLE);
    assert_eq!(env.push.distinct_ids().len(), PEOPLE);
    a.stop().await?;
    b.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_with_scheduled_alerts_due_send_each_once() -> anyhow::Result<()> {
    for_each_db(two_replicas).await
}
