//! `pennyctl funnel [--from T] [--to T] [--flow automated]`: the Link micro-deposit funnel from
//! verification's `GetLinkFunnel`: sessions per step, share of opened, median time from the
//! previous step, and where sessions exited with which error code and exit status.

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use penny_proto::v1 as pb;
use serde_json::{Value, json};

use crate::output::{Output, object_table};
use crate::services::ServiceArgs;
use crate::when::parse_when;

/// Which sessions.
#[derive(Args, Debug)]
pub struct FunnelArgs {
    /// Sessions that started at or after this (RFC 3339, or an age such as `7days`).
    #[arg(long, value_parser = parse_when, default_value = "7days")]
    pub from: DateTime<Utc>,
    /// ... and before this (default: now).
    #[arg(long, value_parser = parse_when)]
    pub to: Option<DateTime<Utc>>,
    /// Only sessions of this flow.
    #[arg(long, value_enum, default_value_t = FlowArg::All)]
    pub flow: FlowArg,
    #[command(flatten)]
    pub services: ServiceArgs,
}

/// A verification flow on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FlowArg {
    All,
    Automated,
    SameDay,
    Instant,
}

impl FlowArg {
    fn to_proto(self) -> pb::VerificationFlow {
        match self {
            Self::All => pb::VerificationFlow::Unspecified,
            Self::Automated => pb::VerificationFlow::Automated,
            Self::SameDay => pb::VerificationFlow::SameDay,
            Self::Instant => pb::VerificationFlow::Instant,
        }
    }
}

/// A protobuf timestamp.
pub fn ts(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A step's name as the tables show it (`LINK_FUNNEL_STEP_NUMBERS` → `numbers`).
fn step_name(step: i32) -> String {
    pb::LinkFunnelStep::try_from(step)
        .map(|s| {
            s.as_str_name()
                .trim_start_matches("LINK_FUNNEL_STEP_")
                .to_lowercase()
        })
        .unwrap_or_else(|_| step.to_string())
}

/// Runs the command.
pub async fn run(args: FunnelArgs, out: &mut Output<'_>) -> anyhow::Result<()> {
    let to = args.to.unwrap_or_else(Utc::now);
    let funnel = args
        .services
        .verification()
        .await?
        .get_link_funnel(pb::GetLinkFunnelRequest {
            from: Some(ts(args.from)),
            to: Some(ts(to)),
            flow: args.flow.to_proto() as i32,
        })
        .await?
        .into_inner();
    let opened = funnel.steps.first().map_or(0, |s| s.sessions).max(1);
    let steps: Vec<Value> = funnel
        .steps
        .iter()
        .map(|s| {
            json!({
                "step": step_name(s.step),
                "sessions": s.sessions,
                "of_opened": format!("{:.1}%", f64::from(s.sessions) * 100.0 / f64::from(opened)),
                "median_from_previous_seconds": s.median_from_previous.as_ref().map(|d| d.seconds as f64 + f64::from(d.nanos) / 1e9),
            })
        })
        .collect();
    let exits: Vec<Value> = funnel
        .exits
        .iter()
        .map(|e| {
            json!({
                "after_step": step_name(e.after_step),
                "error_code": e.error_code,
                "exit_status": e.exit_status,
                "sessions": e.sessions,
            })
        })
        .collect();
    let value = json!({
        "from": args.from.to_rfc3339(),
        "to": to.to_rfc3339(),
        "flow": args.flow.to_possible_value().map(|v| v.get_name().to_owned()),
        "sessions": funnel.sessions,
        "successes": funnel.successes,
        "steps": steps,
        "exits": exits,
    });
    out.emit(&value, |w| {
        writeln!(
            w,
            "{} session(s) from {} to {}, {} onSuccess",
            funnel.sessions,
            args.from.to_rfc3339(),
            to.to_rfc3339(),
            funnel.successes
        )?;
        object_table(
            w,
            &[
                "step",
                "sessions",
                "of_opened",
                "median_from_previous_seconds",
            ],
            &steps,
        )?;
        writeln!(w)?;
        object_table(
            w,
            &["after_step", "error_code", "exit_status", "sessions"],
            &exits,
        )
    })
}
