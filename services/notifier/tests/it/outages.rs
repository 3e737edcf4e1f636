//! Providers failing: the SMTP server down then up (the alert arrives once, after recovery;
//! the oldest overdue alert shows in the metrics meanwhile), the SMTP server silent between the
//! final dot and its 250 (unknown, then resent with the same Message-ID), the SMS API answering 429 with a
//! Retry-After then 200 (one text, sent after the wait), a 500 from the SMS API (unknown: never
//! resent by itself, surfaced, settled by an operator), a 400 (failed with the reason), a push
//! endpoint answering 503 then 204 (retried with the same webhook-id).

use std::time::Duration;

use penny_notifier::domain::Resolution;
use penny_proto::v1 as pb;
use penny_testkit::{DbKind, Reply, SmtpServer};

use crate::support::{ARRIVAL, Env, a_weekday_morning, for_each_db, one_state, verified};

async fn smtp_down_then_up(kind: DbKind) -> anyhow::Result<()> {
    let mut env = Env::start(kind, a_weekday_morning()).await?;
    let app = env.spawn(|_| {}).await?;
    env.smtp.stop()?;
    verified(&env, &app, "ola", &[pb::Channel::Email]).await?;
    let waiting = penny_testkit::poll_until(ARRIVAL, || async {
        let listed = app.notifications("ola").await.ok()?;
        listed.into_iter().find(|n| n.attempts >= 2)
    })
    .await?;
    assert!(waiting.last_error.contains("SMTP"), "{waiting:?}");
    penny_testkit::poll_until(ARRIVAL, || async {
        app.metrics().await.ok().is_some_and(|m| {
            m.lines().any(|l| {
                l.starts_with("penny_notifier_oldest_overdue_seconds ") && !l.ends_with(" 0")
            })
        })
    })
    .await?;
    env.smtp.restart().await?;
    let mail = env.smtp.wait_for(1, ARRIVAL).await?;
    assert!(mail[0].subject().contains("is ready"));
    let sent = one_state(&app, "ola", pb::NotificationState::Sent).await?;
    app.sweeps(5).await?;
    assert_eq!(env.smtp.messages()?.len(), 1, "once");
    assert!(sent.attempts >= 2);
    app.stop().await
}

async fn smtp_silent_after_the_dot(kind: DbKind) -> anyhow::Result<()> {
    let mut env = Env::start(kind, a_weekday_morning()).await?;
    env.smtp = SmtpServer::start_with_first_reply_delayed(Duration::from_secs(3)).await?;
    let app = env
        .spawn(|c| {
            c.email.smtp_port = env.smtp.port();
            c.email.smtp_timeout = Duration::from_secs(1);
        })
        .await?;
    verified(&env, &app, "tom", &[pb::Channel::Email]).await?;
    let mail = env.smtp.wait_for(2, ARRIVAL).await?;
    let sent = one_state(&app, "tom", pb::NotificationState::Sent).await?;
    app.sweeps(5).await?;
    assert_eq!(
        env.smtp.messages()?.len(),
        2,
        "the first copy and the resend, no more"
    );
    assert_eq!(
        mail[0].message_id(),
        mail[1].message_id(),
        "the resend has the same Message-ID"
    );
    assert_eq!(sent.attempts, 2);
    let metrics = app.metrics().await?;
    assert!(
        metrics.contains(r#"penny_notifier_alerts_total{kind="account_verified",channel="email",outcome="unknown"} 1"#),
        "recorded as unknown first: {metrics}"
    );
    assert!(metrics.contains(
        r#"penny_notifier_alerts_total{kind="account_verified",channel="email",outcome="resent"} 1"#
    ));
    app.stop().await
}

async fn sms_rate_limited(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    env.sms
        .http
        .script([Reply::new(429, r#"{"code": 20429}"#).header("Retry-After", "1")]);
    let app = env.spawn(|_| {}).await?;
    verified(&env, &app, "raj", &[pb::Channel::Sms]).await?;
    env.sms.http.wait_for_accepted(1, ARRIVAL).await?;
    one_state(&app, "raj", pb::NotificationState::Sent).await?;
    app.sweeps(5).await?;
    let requests = env.sms.http.requests();
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 201]
    );
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After honoured: {waited:?}"
    );
    assert_eq!(env.sms.accepted().len(), 1, "one SMS");
    app.stop().await
}

async fn sms_unknown_and_rejected(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    env.sms.http.script([
        Reply::new(500, "{}"),
        Reply::new(
            400,
            r#"{"code": 21211, "message": "The 'To' number +14155550106 is not valid"}"#,
        ),
    ]);
    let app = env.spawn(|_| {}).await?;
    verified(&env, &app, "uma", &[pb::Channel::Sms]).await?;
    let unknown = one_state(&app, "uma", pb::NotificationState::Unknown).await?;
    assert!(unknown.last_error.contains("500"), "{unknown:?}");
    app.sweeps(5).await?;
    assert_eq!(
        env.sms.http.count(),
        1,
        "an unknown SMS is never resent by itself"
    );
    penny_testkit::poll_until(ARRIVAL, || async {
        app.metrics()
            .await
            .ok()
            .is_some_and(|m| m.contains("penny_notifier_unknown_alerts 1"))
    })
    .await?;
    // The operator resends it; the provider now refuses the number: failed, with the reason.
    app.notifier
        .resolve(&unknown.id, Resolution::Resend)
        .await?;
    let failed = one_state(&app, "uma", pb::NotificationState::Failed).await?;
    assert_eq!(
        failed.last_error,
        "the SMS API refused it (400, error code 21211)"
    );
    assert!(!failed.last_error.contains("+1415"), "never the number");
    app.sweeps(3).await?;
    assert_eq!(env.sms.http.count(), 2);
    assert_eq!(failed.attempts, 2);
    app.stop().await
}

async fn push_retried_with_the_same_id(kind: DbKind) -> anyhow::Result<()> {
    let env = Env::start(kind, a_weekday_morning()).await?;
    env.push.http.script([Reply::new(503, "busy")]);
    let app = env.spawn(|_| {}).await?;
    verified(&env, &app, "vic", &[pb::Channel::Push]).await?;
    env.push.http.wait_for_accepted(1, ARRIVAL).await?;
    one_state(&app, "vic", pb::NotificationState::Sent).await?;
    let all = env.push.http.requests();
    assert_eq!(all.iter().map(|r| r.status).collect::<Vec<_>>(), [503, 204]);
    assert_eq!(all[0].header("webhook-id"), all[1].header("webhook-id"));
    assert_eq!(env.push.distinct_ids().len(), 1);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn smtp_down_then_up_delivers_once_after_recovery() -> anyhow::Result<()> {
    for_each_db(smtp_down_then_up).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn smtp_silent_between_the_dot_and_the_250_is_unknown_then_resent_with_the_same_message_id()
-> anyhow::Result<()> {
    for_each_db(smtp_silent_after_the_dot).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sms_api_429_then_200_sends_one_text_after_retry_after() -> anyhow::Result<()> {
    for_each_db(sms_rate_limited).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sms_500_is_unknown_not_resent_and_a_400_fails_with_the_reason() -> anyhow::Result<()> {
    for_each_db(sms_unknown_and_rejected).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn push_503_is_retried_with_the_same_webhook_id() -> anyhow::Result<()> {
    for_each_db(push_retried_with_the_same_id).await
}
