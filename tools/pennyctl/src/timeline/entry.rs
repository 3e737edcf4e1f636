//! [`Entry`]: one line of an account's timeline, and how each service's records become one.

use chrono::{DateTime, TimeZone as _, Utc};
use penny_proto::v1 as pb;
use serde::Serialize;

/// One step in an account's life.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// When it happened (Link's timestamp, receipt, the change, the ACH event, the alert).
    pub at: DateTime<Utc>,
    /// `link`, `webhook`, `status`, `ach`, `alert`.
    pub source: &'static str,
    /// What happened, e.g. `TRANSITION_VIEW NUMBERS`, `AUTH/AUTOMATICALLY_VERIFIED`.
    pub what: String,
    /// Outcome, states, codes.
    pub detail: String,
    /// The W3C trace id of the step, when known.
    pub trace_id: Option<String>,
}

/// A protobuf timestamp as a time (the epoch for a missing one).
pub fn time(ts: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    ts.and_then(|t| {
        let nanos = u32::try_from(t.nanos).ok()?;
        Utc.timestamp_opt(t.seconds, nanos).single()
    })
    .unwrap_or_default()
}

/// An enum value's proto name without its prefix, lower case (`DEPOSIT_STATE_POSTED` → `posted`).
pub fn short(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix).to_lowercase()
}

/// A Link session's events.
pub fn link_session(session: &pb::LinkSession) -> Vec<Entry> {
    session
        .events
        .iter()
        .map(|e| {
            let what = match pb::LinkCallback::try_from(e.callback) {
                Ok(pb::LinkCallback::OnExit) => "onExit".to_owned(),
                Ok(pb::LinkCallback::OnSuccess) => "onSuccess".to_owned(),
                _ if e.view_name.is_empty() => e.event_name.clone(),
                _ => format!("{} {}", e.event_name, e.view_name),
            };
            let mut detail = vec![format!("session {}", session.link_session_id)];
            for (k, v) in [
                ("error_code", &e.error_code),
                ("exit_status", &e.exit_status),
            ] {
                if !v.is_empty() {
                    detail.push(format!("{k}={v}"));
                }
            }
            for a in &e.accounts {
                detail.push(format!("{} {}", a.account_id, a.verification_status));
            }
            Entry {
                at: time(e.timestamp.as_ref()),
                source: "link",
                what,
                detail: detail.join(", "),
                trace_id: None,
            }
        })
        .collect()
}

/// A webhook verification processed.
pub fn webhook(w: &pb::ProcessedWebhook, trace_id: Option<String>) -> Entry {
    let mut detail = w.outcome.clone();
    if !w.detail.is_empty() {
        detail = format!("{detail}: {}", w.detail);
    }
    Entry {
        at: time(w.received_at.as_ref()),
        source: "webhook",
        what: w.kind.clone(),
        detail: format!("{detail} (PLAID_WEBHOOKS #{})", w.stream_sequence),
        trace_id,
    }
}

/// A status change.
pub fn status_change(c: &pb::StatusChange, trace_id: Option<String>) -> Entry {
    let name = |v: i32| {
        pb::AccountStatus::try_from(v)
            .map(|s| short(s.as_str_name(), "ACCOUNT_STATUS_"))
            .unwrap_or_default()
    };
    Entry {
        at: time(c.occurred_at.as_ref()),
        source: "status",
        what: format!("{} → {}", name(c.from_status), name(c.to_status)),
        detail: c.cause.clone(),
        trace_id,
    }
}

/// An ACH event transfer-events recorded.
pub fn ach(e: &pb::AchEvent) -> Entry {
    let state = pb::DepositState::try_from(e.state)
        .map(|s| short(s.as_str_name(), "DEPOSIT_STATE_"))
        .unwrap_or_default();
    let mut detail = format!(
        "{} {} {}, event {}",
        e.amount, e.iso_currency_code, state, e.event_id
    );
    if !e.ach_return_code.is_empty() {
        detail = format!(
            "{detail}, return {} ({})",
            e.ach_return_code, e.return_reason
        );
    }
    Entry {
        at: time(e.occurred_at.as_ref()),
        source: "ach",
        what: e.plaid_event_type.clone(),
        detail,
        // The trace of the sync that recorded it.
        trace_id: (!e.trace_id.is_empty()).then(|| e.trace_id.clone()),
    }
}

/// An alert the notifier recorded, with the trace of the domain event it answers.
pub fn alert(n: &pb::Notification) -> Entry {
    let channel = pb::Channel::try_from(n.channel)
        .map(|c| short(c.as_str_name(), "CHANNEL_"))
        .unwrap_or_default();
    let state = pb::NotificationState::try_from(n.state)
        .map(|s| short(s.as_str_name(), "NOTIFICATION_STATE_"))
        .unwrap_or_default();
    let kind = pb::AlertKind::try_from(n.kind)
        .map(|k| short(k.as_str_name(), "ALERT_KIND_"))
        .unwrap_or_default();
    let mut detail = format!("{channel} {state}, attempts {}", n.attempts);
    if !n.last_error.is_empty() {
        detail = format!("{detail}, {}", n.last_error);
    }
    Entry {
        at: time(n.created_at.as_ref()),
        source: "alert",
        what: format!("{kind} ({})", n.event_type),
        detail,
        trace_id: (!n.trace_id.is_empty()).then(|| n.trace_id.clone()),
    }
}
