//! The same domain event delivered five times (the first as its publisher sends it, four more
//! as new stream messages, as a redrive or a re-publish after JetStream's duplicate window
//! would), consumed by two replicas at once: the person gets it once on each channel.

use penny_proto::v1 as pb;
use penny_testkit::DbKind;

use crate::support::events::{self, publish, publish_once};
use crate::support::{ARRIVAL, Env, a_weekday_morning, contact, for_each_db, swept};

async fn five_deliveries(kind: DbKind) -> anyhow::Result<()> {
    let now = a_weekday_morning();
    let env = Env::start(kind, now).await?;
    let (a, b) = (env.spawn(|_| {}).await?, env.spawn(|_| {}).await?);
    a.upsert(contact(&env, "dan", "+14155550103", "en")).await?;
    let js = env.jetstream().await?;
    let flow = pb::VerificationFlow::Automated;
    publish_once(&js, &events::account("linked", "dan", "acc-dan", flow, now)).await?;
    let verified = events::account("verified", "dan", "acc-dan", flow, now);
    let mut sequences = vec![publish_once(&js, &verified).await?];
    for copy in 1..5 {
        sequences.push(publish(&js, &verified, &format!("{}/copy-{copy}", verified.2)).await?);
    }
    sequences.dedup();
    assert_eq!(sequences.len(), 5, "five stream messages carry the event");

    env.smtp.wait_for(1, ARRIVAL).await?;
    env.sms.http.wait_for_accepted(1, ARRIVAL).await?;
    env.push.http.wait_for_accepted(1, ARRIVAL).await?;
    penny_testkit::wait_consumer_drained(&js, penny_bus::PENNY_EVENTS, "notifier").await?;
    swept(&[&a, &b], 3).await?;
    assert_eq!(env.smtp.messages()?.len(), 1, "one email");
    assert_eq!(env.sms.http.count(), 1, "one text");
    assert_eq!(env.push.http.count(), 1, "one push");
    let listed = a.notifications("dan").await?;
    assert_eq!(listed.len(), 3, "one alert per channel: {listed:?}");
    assert!(
        listed
            .iter()
            .all(|n| n.event_id == verified.2 && n.attempts == 1)
    );
    a.stop().await?;
    b.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_event_five_times_reaches_the_person_once() -> anyhow::Result<()> {
    for_each_db(five_deliveries).await
}
