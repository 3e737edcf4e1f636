//! Email over STARTTLS and over implicit TLS to a real SMTP server (aiosmtpd with a certificate
//! from a throwaway CA; with STARTTLS it refuses mail before the upgrade): delivered when the
//! notifier trusts that CA (`PENNY_NOTIFIER_SMTP_CA_FILE`), and never sent in the clear or to an
//! untrusted server when it does not.

use penny_notifier::channels::email::Security;
use penny_proto::v1 as pb;
use penny_testkit::{DbKind, SmtpServer};

use crate::support::{ARRIVAL, Env, a_weekday_morning, for_each_db, one_state, verified};

async fn needs_a_trusted_certificate(kind: DbKind, security: Security) -> anyhow::Result<()> {
    let mut env = Env::start(kind, a_weekday_morning()).await?;
    env.smtp = match security {
        Security::Starttls => SmtpServer::start_with_starttls().await?,
        Security::Tls => SmtpServer::start_with_implicit_tls().await?,
        Security::Plain => anyhow::bail!("a TLS case"),
    };
    let ca = env.smtp.tls().map(|t| t.ca.clone());
    anyhow::ensure!(ca.is_some(), "the server has a CA");

    let untrusting = env
        .spawn(|c| {
            c.email.smtp_port = env.smtp.port();
            c.email.smtp_security = security;
        })
        .await?;
    verified(&env, &untrusting, "ulf", &[pb::Channel::Email]).await?;
    let refused = penny_testkit::poll_until(ARRIVAL, || async {
        let listed = untrusting.notifications("ulf").await.ok()?;
        // Between attempts: back to pending with the reason, waiting for its retry.
        let pending = pb::NotificationState::Pending as i32;
        listed
            .into_iter()
            .find(|n| n.attempts >= 2 && n.state == pending)
    })
    .await?;
    assert!(refused.last_error.contains("TLS"), "{refused:?}");
    assert_eq!(env.smtp.count()?, 0, "nothing reached an untrusted server");
    untrusting.stop().await?;

    let trusting = env
        .spawn(|c| {
            c.email.smtp_port = env.smtp.port();
            c.email.smtp_security = security;
            c.email.smtp_ca_file = ca;
        })
        .await?;
    let mail = env.smtp.wait_for(1, ARRIVAL).await?;
    assert!(
        mail[0].subject().contains("is ready"),
        "{}",
        mail[0].subject()
    );
    let sent = one_state(&trusting, "ulf", pb::NotificationState::Sent).await?;
    assert_eq!(
        mail[0].message_id(),
        Some(sent.provider_message_id.as_str())
    );
    trusting.sweeps(5).await?;
    assert_eq!(env.smtp.count()?, 1, "once");
    trusting.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn email_over_starttls_needs_a_trusted_certificate() -> anyhow::Result<()> {
    for_each_db(|kind| needs_a_trusted_certificate(kind, Security::Starttls)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn email_over_implicit_tls_needs_a_trusted_certificate() -> anyhow::Result<()> {
    for_each_db(|kind| needs_a_trusted_certificate(kind, Security::Tls)).await
}
