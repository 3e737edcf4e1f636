//! A deposit event for an account the notifier has not heard of yet waits (retried with
//! backoff, counted in the metrics) and is sent once the account event arrives; one whose
//! account never comes is parked with a clear reason, never dropped and never guessed.

use penny_bus::DeadLetters;
use penny_proto::v1 as pb;
use penny_testkit::DbKind;

use crate::support::events::{self, publish_once};
use crate::support::{ARRIVAL, Env, a_weekday_morning, contact, for_each_db};

async fn waits_for_its_account(kind: DbKind) -> anyhow::Result<()> {
    let now = a_weekday_morning();
    let env = Env::start(kind, now).await?;
    let app = env.spawn(|_| {}).await?;
    app.upsert(contact(&env, "wes", "+14155550107", "en"))
        .await?;
    let js = env.jetstream().await?;
    let reversed = events::deposit(pb::DepositState::Reversed, "acc-wes", now, None);
    publish_once(&js, &reversed).await?;
    penny_testkit::poll_until(ARRIVAL, || async {
        app.metrics()
            .await
            .ok()
            .is_some_and(|m| m.contains("penny_notifier_waiting_for_account_events 1"))
    })
    .await?;
    assert_eq!(env.smtp.messages()?.len(), 0, "never guessed");
    assert!(app.notifications("wes").await?.is_empty());

    let flow = pb::VerificationFlow::Automated;
    publish_once(&js, &events::account("linked", "wes", "acc-wes", flow, now)).await?;
    let mail = env.smtp.wait_for(1, ARRIVAL).await?;
    assert!(mail[0].text().unwrap_or_default().contains("came back"));
    env.sms.http.wait_for_accepted(1, ARRIVAL).await?;
    env.push.http.wait_for_accepted(1, ARRIVAL).await?;
    penny_testkit::poll_until(ARRIVAL, || async {
        app.metrics()
            .await
            .ok()
            .is_some_and(|m| m.contains("penny_notifier_waiting_for_account_events 0"))
    })
    .await?;
    assert_eq!(DeadLetters::new(js).count_for("notifier").await?, 0);
    app.stop().await
}

async fn parked_when_it_never_comes(kind: DbKind) -> anyhow::Result<()> {
    let now = a_weekday_morning();
    let env = Env::start(kind, now).await?;
    let app = env.spawn(|c| c.consumer.max_deliveries = 3).await?;
    let js = env.jetstream().await?;
    let posted = events::deposit(pb::DepositState::Posted, "acc-nobody", now, None);
    publish_once(&js, &posted).await?;
    let dead = DeadLetters::new(js.clone());
    let letters = penny_testkit::poll_until(ARRIVAL, || async {
        let letters = dead.list_for("notifier", 1, 10).await.ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await?;
    assert_eq!(letters.len(), 1);
    let reason = &letters[0].reason;
    assert!(
        reason.contains("account acc-nobody is not known yet"),
        "{reason}"
    );
    assert!(reason.contains(&posted.2), "names the event: {reason}");
    assert_eq!(letters[0].deliveries, 3);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deposit_for_an_unknown_account_waits_then_is_sent_once_the_account_is_known()
-> anyhow::Result<()> {
    for_each_db(waits_for_its_account).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deposit_whose_account_never_comes_is_parked_with_the_reason() -> anyhow::Result<()> {
    for_each_db(parked_when_it_never_comes).await
}
