//! Reading what reached PENNY_EVENTS and the dead-letter stream.

use async_nats::jetstream;
use penny_proto::v1 as pb;
use prost::Message as _;

/// Every account event in PENNY_EVENTS, in order, with its subject and `Nats-Msg-Id`.
pub async fn account_events(
    js: &jetstream::Context,
) -> anyhow::Result<Vec<(String, Option<String>, pb::AccountEvent)>> {
    let mut stream = js.get_stream(penny_bus::PENNY_EVENTS).await?;
    let info = stream.info().await?;
    let (first, last) = (info.state.first_sequence, info.state.last_sequence);
    let mut out = Vec::new();
    if info.state.messages == 0 {
        return Ok(out);
    }
    for seq in first..=last {
        let Ok(message) = stream.get_raw_message(seq).await else {
            continue;
        };
        if !message.subject.starts_with("penny.event.account.") {
            continue;
        }
        let msg_id = message
            .headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_owned());
        out.push((
            message.subject.to_string(),
            msg_id,
            pb::AccountEvent::decode(message.payload.as_ref())?,
        ));
    }
    Ok(out)
}

/// The account events of one account with this subject suffix (e.g. `verified`).
pub async fn events_of(
    js: &jetstream::Context,
    account_id: &str,
    what: &str,
) -> anyhow::Result<Vec<pb::AccountEvent>> {
    let subject = format!("penny.event.account.{what}");
    Ok(account_events(js)
        .await?
        .into_iter()
        .filter(|(s, _, e)| *s == subject && e.account_id == account_id)
        .map(|(_, _, e)| e)
        .collect())
}

/// Publishes a raw webhook body to PLAID_WEBHOOKS the way ingress does (subject by type and
/// code, type/code headers), with the given `Nats-Msg-Id` (`None`: none, so JetStream does not
/// de-duplicate and the consumer's own dedupe is what is tested). Returns its stream sequence.
pub async fn publish_webhook(
    js: &jetstream::Context,
    body: &[u8],
    msg_id: Option<&str>,
) -> anyhow::Result<u64> {
    publish(js, body, msg_id, None).await
}

/// The same, with ingress's `Penny-Received-At` header set to `received_at`.
pub async fn publish_webhook_received(
    js: &jetstream::Context,
    body: &[u8],
    received_at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<u64> {
    publish(js, body, None, Some(received_at)).await
}

async fn publish(
    js: &jetstream::Context,
    body: &[u8],
    msg_id: Option<&str>,
    received_at: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<u64> {
    let value: serde_json::Value = serde_json::from_slice(body)?;
    let webhook_type = value["webhook_type"].as_str().unwrap_or_default();
    let webhook_code = value["webhook_code"].as_str().unwrap_or_default();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(penny_bus::HDR_WEBHOOK_TYPE, webhook_type);
    headers.insert(penny_bus::HDR_WEBHOOK_CODE, webhook_code);
    if let Some(id) = msg_id {
        headers.insert("Nats-Msg-Id", id);
    }
    if let Some(at) = received_at {
        headers.insert(penny_bus::HDR_RECEIVED_AT, received_at_header(at).as_str());
    }
    let ack = js
        .publish_with_headers(
            penny_bus::webhook_subject(webhook_type, webhook_code),
            headers,
            bytes::Bytes::copy_from_slice(body),
        )
        .await?
        .await?;
    Ok(ack.sequence)
}

/// A `Penny-Received-At` value as ingress writes it.
pub fn received_at_header(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
