//! `pennyctl webhooks replay --from T --to T [--type AUTH] [--code CODE]`: re-delivers the
//! webhooks PLAID_WEBHOOKS received in a time range to every consumer, by publishing each again
//! on its subject with its original headers (receipt time and trace context included).
//!
//! Safe by design: every handler is idempotent. A webhook a service already processed is
//! recognised (the same body received at the same time is a duplicate for verification; a
//! BANK_TRANSFERS poke only starts a sync, which records each event once) and changes nothing;
//! one that was lost or mishandled is processed now. A replay of the same message within the
//! stream's duplicate window is stored once (message id `replay-PLAID_WEBHOOKS-<seq>`).

use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use futures::StreamExt as _;
use penny_bus::{
    HDR_RECEIVED_AT, PLAID_WEBHOOKS, filter_headers, header_str, is_nats_control_header,
};
use serde_json::{Value, json};

use crate::exit::{Exit, Failure};
use crate::output::{Output, object_table};
use crate::progress;
use crate::when::parse_when;

/// Messages fetched per request.
const BATCH: usize = 256;

/// Webhook actions.
#[derive(Subcommand, Debug)]
pub enum WebhooksAction {
    /// Re-deliver the webhooks received in [--from, --to) to every consumer (idempotent
    /// handlers make this safe: what was already done changes nothing).
    Replay(ReplayArgs),
}

/// What to replay.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Start of the range (RFC 3339, or an age such as `2h`).
    #[arg(long, value_parser = parse_when)]
    pub from: DateTime<Utc>,
    /// End of the range, exclusive (default: now).
    #[arg(long, value_parser = parse_when)]
    pub to: Option<DateTime<Utc>>,
    /// Only this webhook type, e.g. `AUTH`, `ITEM`, `BANK_TRANSFERS`.
    #[arg(long = "type")]
    pub webhook_type: Option<String>,
    /// Only this webhook code (with --type), e.g. `AUTOMATICALLY_VERIFIED`.
    #[arg(long, requires = "webhook_type")]
    pub code: Option<String>,
    /// List what would be replayed without publishing anything.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `action`.
pub async fn run(
    js: &jetstream::Context,
    action: WebhooksAction,
    out: &mut Output<'_>,
) -> anyhow::Result<()> {
    let WebhooksAction::Replay(args) = action;
    let to = args.to.unwrap_or_else(Utc::now);
    if to <= args.from {
        return Err(Failure::error(Exit::Refused, "--to must be after --from"));
    }
    let filter = match (&args.webhook_type, &args.code) {
        (Some(t), Some(c)) => penny_bus::webhook_subject(t, c),
        (Some(t), None) => penny_bus::webhook_type_filter(t),
        _ => format!("{}.>", penny_bus::subjects::WEBHOOK_SUBJECT_PREFIX),
    };
    let stream = js.get_stream(PLAID_WEBHOOKS).await?;
    let start = nats_time(args.from)?;
    let end = nats_time(to)?;
    let consumer = stream
        .create_consumer(pull::Config {
            deliver_policy: DeliverPolicy::ByStartTime { start_time: start },
            ack_policy: jetstream::consumer::AckPolicy::None,
            filter_subject: filter,
            inactive_threshold: Duration::from_secs(60),
            description: Some("pennyctl webhooks replay".to_owned()),
            ..Default::default()
        })
        .await?;
    let bar = progress::bar(
        None,
        if args.dry_run { "reading" } else { "replaying" },
        out.json,
    );
    let mut rows = Vec::new();
    'batches: loop {
        let mut batch = consumer
            .fetch()
            .max_messages(BATCH)
            .expires(Duration::from_secs(1))
            .messages()
            .await?;
        let mut got = 0;
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| anyhow::anyhow!("reading PLAID_WEBHOOKS: {e}"))?;
            got += 1;
            let info = message.info().map_err(|e| anyhow::anyhow!("{e}"))?;
            if info.published >= end {
                break 'batches;
            }
            let (seq, pending) = (info.stream_sequence, info.pending);
            bar.set_length(rows.len() as u64 + pending + 1);
            let received_at = header_str(message.headers.as_ref(), HDR_RECEIVED_AT)
                .unwrap_or_default()
                .to_owned();
            let mut row = json!({
                "seq": seq,
                "subject": message.subject.as_str(),
                "received_at": received_at,
            });
            if !args.dry_run {
                let headers = message
                    .headers
                    .as_ref()
                    .map(|h| filter_headers(h, is_nats_control_header))
                    .unwrap_or_default();
                let outcome = penny_bus::publish_durable(
                    js,
                    message.subject.as_str(),
                    headers,
                    message.payload.clone(),
                    Some(&format!("replay-{PLAID_WEBHOOKS}-{seq}")),
                    Duration::from_secs(5),
                )
                .await?;
                row["new_seq"] = json!(outcome.stream_seq);
                row["duplicate"] = json!(outcome.duplicate);
            }
            rows.push(row);
            bar.inc(1);
            if pending == 0 {
                break 'batches;
            }
        }
        if got == 0 {
            break;
        }
    }
    bar.finish_and_clear();
    let verb = if args.dry_run {
        "would replay"
    } else {
        "replayed"
    };
    let value = json!({ "dry_run": args.dry_run, "webhooks": rows });
    out.emit(&value, |w| {
        let columns: &[&str] = if args.dry_run {
            &["seq", "received_at", "subject"]
        } else {
            &["seq", "received_at", "subject", "new_seq"]
        };
        object_table(w, columns, value["webhooks"].as_array().map_or(&[][..], Vec::as_slice))?;
        writeln!(w, "{verb} {} webhook(s); handlers are idempotent, so what was already done changes nothing", rows_len(&value))
    })
}

/// A time as async-nats' date-time type.
fn nats_time(at: DateTime<Utc>) -> anyhow::Result<async_nats::datetime::DateTime> {
    let nanos = at
        .timestamp_nanos_opt()
        .ok_or_else(|| Failure::error(Exit::Refused, format!("{at} is out of range")))?;
    async_nats::datetime::from_nanos(i128::from(nanos)).map_err(|e| anyhow::anyhow!("{e}"))
}

fn rows_len(value: &Value) -> usize {
    value["webhooks"].as_array().map_or(0, Vec::len)
}
