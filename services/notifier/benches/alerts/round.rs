//! One round, everything fresh: the parts, the notifier, N contacts, the ceiling, the burst,
//! and the check that every alert arrived exactly once.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use penny_notifier::Config;
use penny_notifier::domain::Channel;
use penny_notifier::domain::kind::ChannelList;
use penny_proto::v1 as pb;
use penny_proto::v1::notifier_service_client::NotifierServiceClient;
use penny_testkit::{Bearer, NatsServer, PushReceiver, SmtpServer, TestDb, grpc_channel};
use prost::Message as _;

use crate::process::{API_TOKEN, Notifier, PUSH_SECRET, Wiring};
use penny_notifier::channels::ceiling;

use crate::{Settings, say};

/// What one round measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Round {
    /// Alerts (email + push) per second through the notifier, first publish to last accept.
    pub alerts_per_sec: f64,
    /// Alerts per second the receivers accepted sent straight to them.
    pub ceiling_per_sec: f64,
    /// `alerts_per_sec / ceiling_per_sec`.
    pub ratio: f64,
    /// The notifier process's peak resident set.
    pub peak_rss_mib: f64,
    /// The notifier's CPU time per alert during the burst.
    pub cpu_ms_per_alert: f64,
    /// Seconds from the first publish to the last alert accepted.
    pub burst_seconds: f64,
    /// Seconds to publish the N events.
    pub publish_seconds: f64,
    /// Seconds the ceiling's 2N sends took.
    pub ceiling_seconds: f64,
    /// Seconds to create the N contacts over gRPC.
    pub contacts_seconds: f64,
}

/// Runs one round.
pub async fn run(s: &Settings) -> anyhow::Result<Round> {
    let (nats, db, smtp) =
        tokio::try_join!(NatsServer::start(), TestDb::new(s.db), SmtpServer::start())?;
    let push = PushReceiver::start(PUSH_SECRET).await?;
    let logs = tempfile::tempdir()?;
    let wiring = Wiring {
        nats_url: nats.url(),
        database_url: db.url(),
        smtp_port: smtp.port(),
        concurrency: s.concurrency,
    };
    let mut notifier = Notifier::start(&wiring, &logs.path().join("notifier.log")).await?;

    let started = Instant::now();
    create_contacts(&notifier, &push.url(), s).await?;
    let contacts_seconds = started.elapsed().as_secs_f64();
    say(format!("  {} contacts in {contacts_seconds:.1} s", s.n));

    let ceiling = ceiling::measure(&transports(&wiring)?, &push.url(), s.n, s.concurrency).await?;
    let ceiling_per_sec = (2 * s.n) as f64 / ceiling.as_secs_f64();
    say(format!(
        "  ceiling: {} alerts in {:.2} s = {ceiling_per_sec:.0}/s",
        2 * s.n,
        ceiling.as_secs_f64()
    ));

    let (mail_before, push_before) = (smtp.count()?, push.http.count());
    let cpu_before = notifier.cpu()?;
    let (t0, wall0) = (Instant::now(), SystemTime::now());
    let published = publish_verified(&nats, s.n).await?;
    let publish_seconds = published.as_secs_f64();
    penny_testkit::poll_until(s.timeout, || {
        let running = notifier.ensure_running();
        let done = smtp.count().unwrap_or(0) >= mail_before + s.n
            && push.http.count() >= push_before + s.n;
        async move { running.is_err() || done }
    })
    .await
    .with_context(|| {
        format!(
            "the burst did not arrive in {:?}: {} of {} emails, {} of {} pushes",
            s.timeout,
            smtp.count().unwrap_or(0) - mail_before,
            s.n,
            push.http.count() - push_before,
            s.n
        )
    })?;
    notifier.ensure_running()?;
    let last_push = push
        .http
        .requests()
        .iter()
        .map(|r| r.at)
        .max()
        .unwrap_or(t0);
    let last_mail = smtp.last_arrival()?.unwrap_or(wall0);
    let burst = (last_push - t0).max(last_mail.duration_since(wall0).unwrap_or_default());
    let cpu = notifier.cpu()? - cpu_before;
    let peak_rss_mib = notifier.peak_rss_mib()?;
    check_once(&smtp, &push, mail_before, push_before, s.n)?;

    let alerts_per_sec = (2 * s.n) as f64 / burst.as_secs_f64();
    let round = Round {
        alerts_per_sec,
        ceiling_per_sec,
        ratio: alerts_per_sec / ceiling_per_sec,
        peak_rss_mib,
        cpu_ms_per_alert: cpu.as_secs_f64() * 1000.0 / (2 * s.n) as f64,
        burst_seconds: burst.as_secs_f64(),
        publish_seconds,
        ceiling_seconds: ceiling.as_secs_f64(),
        contacts_seconds,
    };
    say(format!(
        "  notifier: {} alerts in {:.2} s = {alerts_per_sec:.0}/s ({:.0}% of the ceiling), \
         peak RSS {peak_rss_mib:.1} MiB, {:.3} ms CPU/alert",
        2 * s.n,
        round.burst_seconds,
        round.ratio * 100.0,
        round.cpu_ms_per_alert
    ));
    Ok(round)
}

/// The same transports the notifier builds from the same settings.
fn transports(w: &Wiring<'_>) -> anyhow::Result<penny_notifier::channels::Transports> {
    let mut config = Config {
        channels: ChannelList(vec![Channel::Email, Channel::Push]),
        ..Config::default()
    };
    config.email.smtp_port = w.smtp_port;
    config.push.push_signing_secret = Some(penny_config::Secret::from(PUSH_SECRET));
    penny_notifier::app::transports(&config)
}

/// `user-<i>`: email and push, English.
async fn create_contacts(notifier: &Notifier, push_url: &str, s: &Settings) -> anyhow::Result<()> {
    let client = NotifierServiceClient::with_interceptor(
        grpc_channel(notifier.grpc).await?,
        Bearer::new(API_TOKEN)?,
    );
    futures::stream::iter(0..s.n)
        .map(|i| {
            let mut client = client.clone();
            let request = pb::UpsertContactRequest {
                user_id: format!("user-{i}"),
                email: format!("user-{i}@example.com"),
                push_url: push_url.to_owned(),
                channels: vec![pb::Channel::Email as i32, pb::Channel::Push as i32],
                locale: "en".to_owned(),
                ..Default::default()
            };
            async move { client.upsert_contact(request).await.map(drop) }
        })
        .buffer_unordered(s.concurrency)
        .try_collect::<()>()
        .await?;
    Ok(())
}

/// Publishes `penny.event.account.verified` for `user-<i>` / `acc-<i>`, i in 0..n, as
/// verification's outbox does (`Nats-Msg-Id` = event id), acks awaited in batches; returns how
/// long publishing took.
async fn publish_verified(nats: &NatsServer, n: usize) -> anyhow::Result<Duration> {
    let js = async_nats::jetstream::new(nats.connect().await?);
    let started = Instant::now();
    let now = prost_types::Timestamp::from(SystemTime::now());
    for batch in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut acks = Vec::with_capacity(batch.len());
        for i in batch {
            let event = pb::AccountEvent {
                event_id: uuid::Uuid::now_v7().to_string(),
                occurred_at: Some(now),
                user_id: format!("user-{i}"),
                account_id: format!("acc-{i}"),
                mask: "0000".to_owned(),
                flow: pb::VerificationFlow::Automated as i32,
                status: pb::AccountStatus::Verified as i32,
                ..Default::default()
            };
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                penny_bus::HDR_CONTENT_TYPE,
                penny_bus::PROTOBUF_ACCOUNT_EVENT,
            );
            headers.insert(penny_bus::HDR_MSG_ID, event.event_id.as_str());
            let subject = penny_bus::event_subject(penny_bus::ACCOUNT_EVENT_PREFIX, "verified");
            acks.push(
                js.publish_with_headers(subject, headers, event.encode_to_vec().into())
                    .await?,
            );
        }
        for ack in acks {
            ack.await?;
        }
    }
    Ok(started.elapsed())
}

/// Every alert exactly once: n new messages with n distinct Message-IDs, n new pushes with n
/// distinct webhook-ids, every signature valid.
fn check_once(
    smtp: &SmtpServer,
    push: &PushReceiver,
    mail_before: usize,
    push_before: usize,
    n: usize,
) -> anyhow::Result<()> {
    let mail = smtp.messages()?;
    let ids: HashSet<_> = mail
        .iter()
        .filter_map(|m| m.message_id())
        .filter(|id| !id.starts_with("<alert-ceiling-"))
        .collect();
    anyhow::ensure!(
        mail.len() == mail_before + n && ids.len() == n,
        "emails: {} new, {} distinct alert Message-IDs, expected {n} of each",
        mail.len() - mail_before,
        ids.len()
    );
    let pushes = &push.http.requests()[push_before..];
    let ids: HashSet<_> = pushes
        .iter()
        .filter_map(|r| r.header("webhook-id"))
        .collect();
    anyhow::ensure!(
        pushes.len() == n && ids.len() == n && pushes.iter().all(|r| r.verified == Some(true)),
        "pushes: {} new, {} distinct webhook-ids, expected {n} of each, all signed",
        pushes.len(),
        ids.len()
    );
    Ok(())
}
