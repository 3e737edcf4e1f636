//! The alert record names the account each alert is about and the trace of the domain event it
//! answers: `Notification.account_id` for account and deposit events alike, `trace_id` the
//! trace the event's `traceparent` carried (its handling's own trace without one);
//! `ListNotifications` by person, by account, or
//! both; a listing that names neither, or a malformed account id, is INVALID_ARGUMENT. On
//! SQLite and PostgreSQL.

use std::collections::BTreeSet;

use penny_proto::v1 as pb;
use penny_testkit::{DbKind, poll_until};
use tonic::Code;

use crate::support::events::{self, publish_once, publish_traced};
use crate::support::{ARRIVAL, Env, a_weekday_morning, contact, for_each_db};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn account_and_trace(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    let app = env.spawn(|_| {}).await?;
    let mut request = contact(&env, "ada", "+14155550107", "en");
    request.channels = vec![pb::Channel::Email as i32];
    app.upsert(request).await?;
    let js = env.jetstream().await?;
    let now = env.clock_now();
    let flow = pb::VerificationFlow::Automated;
    for account in ["acc-one", "acc-two"] {
        publish_once(&js, &events::account("linked", "ada", account, flow, now)).await?;
    }
    // acc-one: verified inside a trace; acc-two: verified outside any, then its deposit
    // reversed (a deposit event names only the account).
    let verified = events::account("verified", "ada", "acc-one", flow, now);
    publish_traced(&js, &verified, &verified.2, Some(TRACEPARENT)).await?;
    publish_once(
        &js,
        &events::account("verified", "ada", "acc-two", flow, now),
    )
    .await?;
    let reversed = events::deposit(pb::DepositState::Reversed, "acc-two", now, None);
    publish_once(&js, &reversed).await?;

    let all = poll_until(ARRIVAL, || async {
        let listed = app.notifications("ada").await.ok()?;
        (listed.len() == 3).then_some(listed)
    })
    .await?;
    let of = |account: &str| -> BTreeSet<(String, String)> {
        all.iter()
            .filter(|n| n.account_id == account)
            .map(|n| (n.event_type.clone(), n.trace_id.clone()))
            .collect()
    };
    assert_eq!(
        of("acc-one"),
        BTreeSet::from([("account.verified".into(), TRACE_ID.into())]),
        "{all:#?}"
    );
    // Without a traceparent the event's handling starts its own trace: one per event.
    let untraced = of("acc-two");
    let types: Vec<&str> = untraced.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["account.verified", "deposit.reversed"], "{all:#?}");
    let traces: BTreeSet<&str> = untraced.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(traces.len(), 2, "{all:#?}");
    assert!(
        traces
            .iter()
            .all(|t| t.len() == 32 && *t != TRACE_ID && t.bytes().all(|b| b.is_ascii_hexdigit())),
        "{all:#?}"
    );

    // By account, by person and account, and nothing for another person's view of it.
    let by_account = app
        .list(pb::ListNotificationsRequest {
            account_id: "acc-two".into(),
            ..Default::default()
        })
        .await?;
    assert_eq!(by_account.len(), 2);
    assert!(by_account.iter().all(|n| n.account_id == "acc-two"));
    let both = app
        .list(pb::ListNotificationsRequest {
            user_id: "ada".into(),
            account_id: "acc-one".into(),
            ..Default::default()
        })
        .await?;
    assert_eq!(both.len(), 1);
    assert_eq!(both[0].event_id, verified.2);
    let other = app
        .list(pb::ListNotificationsRequest {
            user_id: "bob".into(),
            account_id: "acc-one".into(),
            ..Default::default()
        })
        .await?;
    assert!(other.is_empty());

    // Bad input names what was wrong.
    let mut client = app.client().await?;
    for (request, message) in [
        (
            pb::ListNotificationsRequest::default(),
            "user_id or account_id: is required",
        ),
        (
            pb::ListNotificationsRequest {
                account_id: "acc one".into(),
                ..Default::default()
            },
            "account_id: must be printable ASCII without spaces",
        ),
        (
            pb::ListNotificationsRequest {
                account_id: "a".repeat(257),
                ..Default::default()
            },
            "account_id: is longer than 256 characters",
        ),
    ] {
        let status = client.list_notifications(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(status.message(), message);
    }
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_alert_names_its_account_and_its_events_trace() -> anyhow::Result<()> {
    for_each_db(account_and_trace).await
}
