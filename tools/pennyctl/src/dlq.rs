//! `pennyctl dlq list | show | redrive | purge`: the dead letters of every consumer, with the
//! reason each was parked (replaces the per-service `dlq` commands).
//!
//! Redrive republishes a letter on its original subject, where every consumer of that subject
//! sees it again; handlers are idempotent, so those that had already succeeded change nothing.
//! Bulk selections (`--all`, `--consumer`, `--since`) are taken when the command starts: a
//! letter parked again meanwhile is left for the next run, so a message that still fails
//! cannot loop.

use anyhow::Context as _;
use async_nats::jetstream;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use penny_bus::{DeadLetter, DeadLetters};
use serde_json::{Value, json};

use crate::exit::{Exit, Failure};
use crate::output::{Output, object_table};
use crate::progress;
use crate::when::parse_when;

/// Letters read per page.
const PAGE: usize = 500;

/// Dead-letter actions.
#[derive(Subcommand, Debug)]
pub enum DlqAction {
    /// List dead letters, oldest first, with the consumer that parked each and why.
    List {
        #[command(flatten)]
        filter: Filter,
        /// Show at most this many.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// One dead letter: where it came from, why it was parked, its headers.
    Show {
        /// Its sequence in DEAD_LETTERS (as `dlq list` shows it).
        seq: u64,
        /// Print the payload too (webhook bodies hold no secrets, but may hold ids).
        #[arg(long)]
        payload: bool,
    },
    /// Republish dead letters on their original subjects and remove them from the dead
    /// letters: the ones named, or every one selected by --all / --consumer / --since.
    Redrive {
        #[command(flatten)]
        select: Selection,
    },
    /// Delete dead letters without redriving them: the ones named, or a selection (needs --yes).
    Purge {
        #[command(flatten)]
        select: Selection,
        /// Confirm deleting a whole selection.
        #[arg(long)]
        yes: bool,
    },
}

/// Which letters a listing shows.
#[derive(Args, Debug, Clone, Default)]
pub struct Filter {
    /// Only this consumer's letters (e.g. `verification`).
    #[arg(long)]
    pub consumer: Option<String>,
    /// Only letters parked at or after this time (RFC 3339, or an age such as `2h`).
    #[arg(long, value_parser = parse_when)]
    pub since: Option<DateTime<Utc>>,
}

/// Which letters a redrive or purge acts on.
#[derive(Args, Debug, Clone)]
pub struct Selection {
    /// Sequences in DEAD_LETTERS.
    #[arg(conflicts_with_all = ["all", "consumer", "since"], required_unless_present_any = ["all", "consumer", "since"])]
    pub seqs: Vec<u64>,
    /// Every dead letter (of --consumer, since --since, when given).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub filter: Filter,
}

/// Runs `action`.
pub async fn run(
    js: &jetstream::Context,
    action: DlqAction,
    out: &mut Output<'_>,
) -> anyhow::Result<()> {
    let dead = DeadLetters::new(js.clone());
    match action {
        DlqAction::List { filter, limit } => {
            let mut letters = matching(&dead, &filter).await?;
            letters.truncate(limit);
            let rows: Vec<Value> = letters.iter().map(summary).collect();
            out.emit(&Value::Array(rows.clone()), |w| {
                object_table(
                    w,
                    &[
                        "seq",
                        "parked_at",
                        "consumer",
                        "subject",
                        "deliveries",
                        "reason",
                    ],
                    &rows,
                )?;
                writeln!(w, "{} dead letter(s)", rows.len())
            })
        }
        DlqAction::Show { seq, payload } => {
            let letter = dead.get(seq).await?;
            let mut value = summary(&letter);
            let headers: serde_json::Map<String, Value> = letter
                .headers
                .iter()
                .map(|(k, v)| {
                    let values: Vec<Value> = v.iter().map(|x| Value::from(x.as_str())).collect();
                    (k.to_string(), Value::Array(values))
                })
                .collect();
            value["headers"] = Value::Object(headers);
            value["payload_bytes"] = json!(letter.payload.len());
            if payload {
                value["payload"] = json!(String::from_utf8_lossy(&letter.payload));
            }
            out.emit(&value, |w| {
                for (key, v) in value.as_object().into_iter().flatten() {
                    writeln!(w, "{key:<16} {}", crate::output::cell(v))?;
                }
                Ok(())
            })
        }
        DlqAction::Redrive { select } => {
            let letters = selected(&dead, &select).await?;
            bulk(&dead, letters, Op::Redrive, out).await
        }
        DlqAction::Purge { select, yes } => {
            if select.seqs.is_empty() && !yes {
                return Err(Failure::error(
                    Exit::Refused,
                    "purging a selection deletes letters for good: add --yes",
                ));
            }
            let letters = selected(&dead, &select).await?;
            bulk(&dead, letters, Op::Purge, out).await
        }
    }
}

/// A letter as listed.
fn summary(l: &DeadLetter) -> Value {
    json!({
        "seq": l.seq,
        "parked_at": l.at.map(|t| t.to_rfc3339()),
        "consumer": l.consumer,
        "subject": l.original_subject,
        "original_stream": l.original_stream,
        "original_seq": l.original_seq,
        "deliveries": l.deliveries,
        "reason": l.reason,
    })
}

/// Every letter `filter` selects, oldest first.
async fn matching(dead: &DeadLetters, filter: &Filter) -> anyhow::Result<Vec<DeadLetter>> {
    let mut out = Vec::new();
    let mut from = 1;
    loop {
        let page = match &filter.consumer {
            Some(consumer) => dead.list_for(consumer, from, PAGE).await?,
            None => dead.list_from(from, PAGE).await?,
        };
        let Some(last) = page.last().map(|l| l.seq) else {
            break;
        };
        out.extend(page.into_iter().filter(|l| {
            filter
                .since
                .is_none_or(|since| l.at.is_some_and(|at| at >= since))
        }));
        from = last + 1;
    }
    Ok(out)
}

/// The letters a selection names (all of them must exist) or matches.
async fn selected(dead: &DeadLetters, select: &Selection) -> anyhow::Result<Vec<DeadLetter>> {
    if select.seqs.is_empty() {
        return matching(dead, &select.filter).await;
    }
    let mut letters = Vec::new();
    for seq in &select.seqs {
        letters.push(
            dead.get(*seq)
                .await
                .with_context(|| format!("dead letter {seq}"))?,
        );
    }
    Ok(letters)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Redrive,
    Purge,
}

/// Redrives or purges `letters` one by one; a failure does not stop the rest (exit 6).
async fn bulk(
    dead: &DeadLetters,
    letters: Vec<DeadLetter>,
    op: Op,
    out: &mut Output<'_>,
) -> anyhow::Result<()> {
    let (verb, label) = match op {
        Op::Redrive => ("redriven", "redriving"),
        Op::Purge => ("purged", "purging"),
    };
    let bar = progress::bar(Some(letters.len() as u64), label, out.json);
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for letter in &letters {
        let result = match op {
            Op::Redrive => dead.redrive(letter.seq).await.map(|o| Some(o.stream_seq)),
            Op::Purge => dead.discard(letter.seq).await.map(|()| None),
        };
        match result {
            Ok(new_seq) => done.push(json!({
                "seq": letter.seq,
                "subject": letter.original_subject,
                "consumer": letter.consumer,
                "new_seq": new_seq,
            })),
            Err(error) => failed.push(json!({ "seq": letter.seq, "error": error.to_string() })),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let value = json!({ verb: done, "failed": failed });
    out.emit(&value, |w| {
        for row in &done {
            writeln!(
                w,
                "{verb} {} ({})",
                row["seq"],
                crate::output::cell(&row["subject"])
            )?;
        }
        for row in &failed {
            writeln!(
                w,
                "FAILED {}: {}",
                row["seq"],
                crate::output::cell(&row["error"])
            )?;
        }
        writeln!(
            w,
            "{verb} {} dead letter(s), {} failed",
            done.len(),
            failed.len()
        )
    })?;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::error(
            Exit::Partial,
            format!("{} of {} failed", failed.len(), letters.len()),
        ))
    }
}
