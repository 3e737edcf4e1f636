//! Issue 16: the notifier's spans are in the trace of the domain event they answer, across
//! real processes. The real `penny-notifier` binary exports to an OTLP receiver inside this
//! test (`OTEL_EXPORTER_OTLP_ENDPOINT`). Two events arrive with a W3C `traceparent`:
//!
//! - `account.verified` (alert due now): its trace holds `consume` (child of the publisher's
//!   span), `notifier.send` (child of `consume`, linked to the delivery attempt's
//!   `notifier.deliver`) and `smtp.send` (child of `notifier.send`);
//! - `deposit.posted` (alert due at the deposit's availability, seconds later): the replica
//!   that consumed it stops before the alert is due, another starts, and its send is still a
//!   `notifier.send` + `smtp.send` in the event's trace, under the first replica's `consume`.
//!
//! On SQLite and PostgreSQL.

use std::time::Duration;

use chrono::{SubsecRound as _, Utc};
use penny_notifier::store::{self, alerts};
use penny_proto::v1 as pb;
use penny_testkit::{DbKind, OtlpReceiver, ReceivedSpan, poll_until};

use crate::support::events::{self, publish_once, publish_traced};
use crate::support::{ARRIVAL, Env, a_weekday_morning, binary, contact, for_each_db};

const NOW_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const NOW_PARENT: &str = "b7ad6b7169203331";
const LATER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const LATER_PARENT: &str = "00f067aa0ba902b7";
/// How long after publishing the deposit's alert is due: enough for the first replica to
/// consume it and stop.
const DUE_IN: i64 = 15;

/// The spans called `name` in `trace` whose parent is `parent` (and, when given, from
/// `service`).
fn children<'a>(
    trace: &'a [ReceivedSpan],
    name: &'a str,
    parent: &'a str,
    service: Option<&'a str>,
) -> impl Iterator<Item = &'a ReceivedSpan> {
    trace.iter().filter(move |s| {
        s.name == name && s.parent_span_id == parent && service.is_none_or(|svc| s.service == svc)
    })
}

/// `consume` → `notifier.send` → `smtp.send` under the publisher's span `parent` in `trace_id`,
/// the send exported by `sender`; the three spans. (An event can be consumed more than once:
/// a deposit event that arrives before its account's is retried. The send hangs off the
/// `consume` that created the alert.)
fn chain(
    spans: &[ReceivedSpan],
    trace_id: &str,
    parent: &str,
    sender: &str,
) -> Option<[ReceivedSpan; 3]> {
    let trace: Vec<ReceivedSpan> = spans
        .iter()
        .filter(|s| s.trace_id == trace_id)
        .cloned()
        .collect();
    children(&trace, "consume", parent, None).find_map(|consume| {
        let send = children(&trace, "notifier.send", &consume.span_id, Some(sender)).next()?;
        let smtp = children(&trace, "smtp.send", &send.span_id, Some(sender)).next()?;
        Some([consume.clone(), send.clone(), smtp.clone()])
    })
}

fn otel(otlp: &OtlpReceiver, service: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint()),
        ("OTEL_SERVICE_NAME", service.to_owned()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ("PENNY_NOTIFIER_CHANNELS", "email".to_owned()),
    ]
}

async fn one_trace(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    let otlp = OtlpReceiver::start().await?;
    let logs = tempfile::tempdir()?;
    // Contact data through an in-process replica, stopped before the events exist.
    let app = env.spawn(|_| {}).await?;
    let mut request = contact(&env, "tia", "+14155550112", "en");
    request.channels = vec![pb::Channel::Email as i32];
    app.upsert(request).await?;
    app.stop().await?;

    let js = env.jetstream().await?;
    let now = Utc::now();
    let traceparent = |trace: &str, parent: &str| format!("00-{trace}-{parent}-01");
    let automated = pb::VerificationFlow::Automated;
    let same_day = pb::VerificationFlow::SameDay;
    publish_once(
        &js,
        &events::account("linked", "tia", "acc-now", automated, now),
    )
    .await?;
    let verified = events::account("verified", "tia", "acc-now", automated, now);
    let tp = traceparent(NOW_TRACE, NOW_PARENT);
    publish_traced(&js, &verified, &verified.2, Some(&tp)).await?;
    publish_once(
        &js,
        &events::account("linked", "tia", "acc-later", same_day, now),
    )
    .await?;
    // Whole seconds, as the event carries it.
    let due = (now + chrono::Duration::seconds(DUE_IN)).trunc_subsecs(0);
    let posted = events::deposit(pb::DepositState::Posted, "acc-later", now, Some(due));
    let tp = traceparent(LATER_TRACE, LATER_PARENT);
    publish_traced(&js, &posted, &posted.2, Some(&tp)).await?;

    // The first replica: the alert due now is sent inside the event's trace.
    let env_1 = otel(&otlp, "notifier-1");
    let extra: Vec<(&str, &str)> = env_1.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut first = binary::spawn(&env, &logs.path().join("first.log"), &extra)?;
    let [consume, send, smtp] = otlp
        .wait_for(ARRIVAL, |spans| {
            chain(spans, NOW_TRACE, NOW_PARENT, "notifier-1")
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}: {:#?}\n{}", otlp.spans(), first.log_tail()))?;
    assert_eq!(consume.service, "notifier-1");
    assert_ne!(send.span_id, smtp.span_id);
    // The send is linked to the delivery attempt (its own trace) that found the alert due.
    otlp.wait_for(ARRIVAL, |spans| {
        spans
            .iter()
            .find(|s| {
                s.name == "notifier.deliver"
                    && send.links == [(s.trace_id.clone(), s.span_id.clone())]
            })
            .cloned()
    })
    .await?;
    // It consumed the deposit event too (its `consume` continues the deposit's trace) and
    // stops before that alert is due.
    otlp.wait_for(ARRIVAL, |spans| {
        children(spans, "consume", LATER_PARENT, Some("notifier-1"))
            .find(|s| s.trace_id == LATER_TRACE)
            .cloned()
    })
    .await?;
    let db = store::connect(env.db.url()).await?;
    let owner = alerts::Owner {
        account_id: Some("acc-later"),
        ..Default::default()
    };
    let pending = poll_until(ARRIVAL, || async {
        let rows = alerts::page(&db, owner, None, 10).await.ok()?;
        rows.into_iter().next()
    })
    .await?;
    first.terminate(Duration::from_secs(15)).await?;
    assert_eq!(pending.state, "pending", "not due yet: {pending:?}");
    assert!(
        Utc::now() < due,
        "the first replica stopped before the alert was due"
    );
    assert_eq!(env.smtp.messages()?.len(), 1);

    // After the restart, the scheduled alert's send is still in the deposit event's trace.
    let env_2 = otel(&otlp, "notifier-2");
    let extra: Vec<(&str, &str)> = env_2.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut second = binary::spawn(&env, &logs.path().join("second.log"), &extra)?;
    let [consume, _send, _smtp] = otlp
        .wait_for(ARRIVAL + Duration::from_secs(DUE_IN as u64), |spans| {
            chain(spans, LATER_TRACE, LATER_PARENT, "notifier-2")
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}: {:#?}\n{}", otlp.spans(), second.log_tail()))?;
    assert_eq!(
        consume.service, "notifier-1",
        "the parent is the first replica's consume span, stored with the alert"
    );
    assert!(Utc::now() >= due, "never before it was due");
    poll_until(ARRIVAL, || async {
        env.smtp.messages().is_ok_and(|m| m.len() == 2)
    })
    .await?;
    second.terminate(Duration::from_secs(15)).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_alerts_send_is_in_its_events_trace_even_after_a_restart() -> anyhow::Result<()> {
    for_each_db(one_trace).await
}
