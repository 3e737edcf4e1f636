//! The receivers' ceiling, for benchmarks: how fast an SMTP server and a push endpoint
//! themselves accept alerts. N emails and N pushes go straight to them through the notifier's
//! own transports (the same SMTP pool, HTTP client and signer, built from the same
//! configuration) at the same concurrency, with no database, no NATS and no claim: whatever the
//! notifier adds on top shows as the ratio. The notifier's benchmark and the whole pipeline's
//! burst benchmark measure it in the same run as what it bounds.

use std::time::{Duration, Instant};

use super::{Outgoing, SendOutcome, Transports};
use crate::domain::{AlertFacts, AlertKind, Channel};
use crate::templates::{AlertContext, Templates};
use futures::StreamExt as _;
use penny_store::SecretString;

/// Sends `n` alerts on each of email (to `ceiling-<i>@example.com`) and push (to `push_url`),
/// `concurrency` at a time; returns how long it took.
pub async fn measure(
    transports: &Transports,
    push_url: &str,
    n: usize,
    concurrency: usize,
) -> anyhow::Result<Duration> {
    let templates = Templates::load()?;
    let context = AlertContext {
        product: "penny".to_owned(),
        facts: AlertFacts {
            mask: Some("0000".to_owned()),
            reason: None,
        },
        unsubscribe_url: Some("http://127.0.0.1:8093/unsubscribe/ceiling".to_owned()),
    };
    let rendered = templates.render(AlertKind::AccountVerified, "en", &context)?;
    let outgoing = (0..n).flat_map(|i| {
        [Channel::Email, Channel::Push].map(|channel| {
            let address = match channel {
                Channel::Email => format!("ceiling-{i}@example.com"),
                _ => push_url.to_owned(),
            };
            let message = Outgoing {
                alert_id: format!("ceiling-{}-{i}", channel.as_str()),
                kind: AlertKind::AccountVerified,
                event_id: format!("ceiling-event-{i}"),
                user_id: format!("ceiling-{i}"),
                address: SecretString::new(address),
                rendered: rendered.clone(),
                unsubscribe_url: (channel == Channel::Email)
                    .then(|| context.unsubscribe_url.clone())
                    .flatten(),
            };
            (channel, message)
        })
    });
    let started = Instant::now();
    let outcomes: Vec<SendOutcome> = futures::stream::iter(outgoing)
        .map(|(channel, message)| async move {
            match transports.get(channel) {
                Some(transport) => transport.send(&message).await,
                None => SendOutcome::Rejected {
                    reason: format!("{channel} is not configured"),
                },
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let took = started.elapsed();
    if let Some(refused) = outcomes
        .iter()
        .find(|o| !matches!(o, SendOutcome::Accepted { .. }))
    {
        anyhow::bail!("a receiver refused a ceiling send: {refused:?}");
    }
    Ok(took)
}
