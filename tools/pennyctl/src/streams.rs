//! `pennyctl streams apply | show`.

use std::io::Write;

use async_nats::jetstream;
use futures::TryStreamExt as _;
use penny_bus::topology::ALL_STREAMS;
use penny_bus::{Ensured, Topology};
use serde_json::json;

use crate::table;

/// Creates or updates every stream to `topology`, and says what it did to each.
pub async fn apply(
    js: &jetstream::Context,
    topology: &Topology,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut existed = Vec::new();
    for name in ALL_STREAMS {
        existed.push(penny_bus::streams::stream_exists(js, name).await);
    }
    let applied = topology.apply(js).await?;
    let rows: Vec<Vec<String>> = applied
        .iter()
        .zip(existed)
        .map(|((name, ensured), existed)| {
            let action = match (existed, ensured) {
                (false, _) => "created",
                (true, Ensured::Updated) => "updated",
                (true, Ensured::Unchanged) => "unchanged",
            };
            vec![name.clone(), action.to_owned()]
        })
        .collect();
    table::write(out, &["STREAM", "ACTION"], &rows)?;
    Ok(())
}

/// Every penny stream's settings and state, then every consumer's progress.
pub async fn show(
    js: &jetstream::Context,
    as_json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut streams = Vec::new();
    let mut consumers = Vec::new();
    for name in ALL_STREAMS {
        let mut stream = match js.get_stream(name).await {
            Ok(stream) => stream,
            Err(error) => {
                streams.push(json!({ "name": name, "missing": error.to_string() }));
                continue;
            }
        };
        let info = stream.info().await?.clone();
        streams.push(json!({
            "name": name,
            "subjects": info.config.subjects,
            "messages": info.state.messages,
            "bytes": info.state.bytes,
            "max_bytes": info.config.max_bytes,
            "max_age_seconds": info.config.max_age.as_secs(),
            "replicas": info.config.num_replicas,
            "consumers": info.state.consumer_count,
        }));
        let mut list = stream.consumers();
        while let Some(consumer) = list.try_next().await? {
            consumers.push(json!({
                "stream": name,
                "consumer": consumer.name,
                "pending": consumer.num_pending,
                "ack_pending": consumer.num_ack_pending,
                "redelivered": consumer.num_redelivered,
                "waiting": consumer.num_waiting,
            }));
        }
    }
    if as_json {
        writeln!(
            out,
            "{}",
            json!({ "streams": streams, "consumers": consumers })
        )?;
        return Ok(());
    }
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let stream_rows: Vec<Vec<String>> = streams
        .iter()
        .map(|s| {
            if let Some(missing) = s.get("missing") {
                return vec![text(&s["name"]), format!("MISSING: {}", text(missing))];
            }
            [
                "name",
                "messages",
                "bytes",
                "max_bytes",
                "max_age_seconds",
                "replicas",
                "consumers",
            ]
            .iter()
            .map(|k| text(&s[*k]))
            .collect()
        })
        .collect();
    table::write(
        out,
        &[
            "STREAM",
            "MESSAGES",
            "BYTES",
            "MAX_BYTES",
            "MAX_AGE_S",
            "REPLICAS",
            "CONSUMERS",
        ],
        &stream_rows,
    )?;
    writeln!(out)?;
    let consumer_rows: Vec<Vec<String>> = consumers
        .iter()
        .map(|c| {
            [
                "stream",
                "consumer",
                "pending",
                "ack_pending",
                "redelivered",
                "waiting",
            ]
            .iter()
            .map(|k| text(&c[*k]))
            .collect()
        })
        .collect();
    table::write(
        out,
        &[
            "STREAM",
            "CONSUMER",
            "PENDING",
            "ACK_PENDING",
            "REDELIVERED",
            "WAITING",
        ],
        &consumer_rows,
    )?;
    Ok(())
}
