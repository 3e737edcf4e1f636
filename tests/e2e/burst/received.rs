//! What the receivers and the event stream hold, counted per key: distinct emails per recipient
//! (Message-IDs at the SMTP server), distinct pushes of one kind per user (`webhook-id`s at the
//! push endpoint) and domain events on `PENNY_EVENTS` under a subject filter. Receivers that
//! deduplicate see exactly these counts; the verified and the deposit effects are both built on
//! them.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt as _;

use crate::local::LocalStack;

/// Longest wait for the next event while reading the stream back.
const NEXT_EVENT: Duration = Duration::from_secs(5);

/// Distinct emails (Message-IDs) per recipient, for the recipients `keep` admits.
pub fn emails(stack: &LocalStack, keep: impl Fn(&str) -> bool) -> anyhow::Result<Counts> {
    let mut emails: HashMap<String, HashSet<String>> = HashMap::new();
    for mail in stack.smtp.messages()? {
        let to = mail.recipient().unwrap_or_default();
        if keep(to) {
            let id = mail.message_id().unwrap_or_default().to_owned();
            emails.entry(to.to_owned()).or_default().insert(id);
        }
    }
    Ok(sizes(emails))
}

/// Distinct pushes (`webhook-id`s) whose payload's `kind` is `kind`, per `user_id`, for the users
/// `keep` admits.
pub fn pushes(stack: &LocalStack, kind: &str, keep: impl Fn(&str) -> bool) -> Counts {
    let mut pushes: HashMap<String, HashSet<String>> = HashMap::new();
    for push in stack.push.accepted() {
        let body = push.json();
        let user = body["user_id"].as_str().unwrap_or_default();
        if body["kind"] == kind && keep(user) {
            let id = push.header("webhook-id").unwrap_or_default().to_owned();
            pushes.entry(user.to_owned()).or_default().insert(id);
        }
    }
    sizes(pushes)
}

/// Every event on `PENNY_EVENTS` under `filter`, decoded as `E` and counted by `key` (given the
/// subject and the event).
pub async fn events<E, K>(
    nats_url: &str,
    filter: &str,
    key: impl Fn(&str, E) -> K,
) -> anyhow::Result<HashMap<K, usize>>
where
    E: prost::Message + Default,
    K: Eq + Hash,
{
    use async_nats::jetstream::consumer::{DeliverPolicy, pull};
    let client = async_nats::connect(nats_url).await?;
    let js = async_nats::jetstream::new(client);
    let mut stream = js
        .get_stream(penny_bus::PENNY_EVENTS)
        .await
        .context("the PENNY_EVENTS stream")?;
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: filter.to_owned(),
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await?;
    let mut pending = stream.info().await?.state.messages;
    let mut counts = HashMap::new();
    let mut messages = consumer.messages().await?;
    while pending > 0 {
        let next = tokio::time::timeout(NEXT_EVENT, messages.next()).await;
        let Ok(Some(message)) = next else { break };
        let message = message?;
        pending = message.info().map_err(|e| anyhow::anyhow!("{e}"))?.pending;
        let event = E::decode(message.payload.as_ref())
            .with_context(|| format!("decoding an event on {}", message.subject))?;
        *counts.entry(key(&message.subject, event)).or_insert(0) += 1;
    }
    Ok(counts)
}

/// Distinct items per key.
pub type Counts = HashMap<String, usize>;

fn sizes(sets: HashMap<String, HashSet<String>>) -> Counts {
    sets.into_iter().map(|(k, v)| (k, v.len())).collect()
}
