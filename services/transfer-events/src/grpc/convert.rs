//! Rows to protobuf: events, deposits, the account summary and the sync state.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use penny_proto::v1 as pb;
use rust_decimal::Decimal;

use crate::domain::summary::{DepositFacts, summarize};
use crate::domain::{Direction, Stage, returns};
use crate::events::timestamp;
use crate::store::entities::{ach_event, deposit, sync_feed};
use crate::store::from_db;

fn stage(s: Option<&str>) -> Option<Stage> {
    s.and_then(|s| s.parse().ok())
}

fn direction(d: Option<&str>) -> pb::DepositDirection {
    d.and_then(|d| d.parse::<Direction>().ok())
        .map_or(pb::DepositDirection::Unspecified, Direction::to_proto)
}

/// `(category, reason)` of a returned transfer's code.
fn why(stage: Option<Stage>, code: Option<&str>) -> (i32, String) {
    match (stage, code) {
        (Some(Stage::Reversed), Some(code)) => {
            let (category, reason) = returns::classify(code);
            (category.to_proto() as i32, reason)
        }
        _ => (pb::ReturnCategory::Unspecified as i32, String::new()),
    }
}

/// One recorded event.
pub fn event(row: &ach_event::Model) -> pb::AchEvent {
    let st = stage(row.stage.as_deref());
    let (return_category, return_reason) = why(st, row.ach_return_code.as_deref());
    pb::AchEvent {
        event_id: from_db(row.event_id),
        feed: row.feed.clone(),
        occurred_at: Some(timestamp(row.occurred_at)),
        recorded_at: Some(timestamp(row.recorded_at)),
        plaid_event_type: row.plaid_event_type.clone(),
        state: st.map_or(pb::DepositState::Unspecified, |s| s.state().to_proto()) as i32,
        account_id: row.account_id.clone().unwrap_or_default(),
        transfer_id: row.transfer_id.clone().unwrap_or_default(),
        direction: direction(row.direction.as_deref()) as i32,
        amount: row.amount.clone().unwrap_or_default(),
        iso_currency_code: row.currency.clone().unwrap_or_default(),
        ach_return_code: row.ach_return_code.clone().unwrap_or_default(),
        failure_description: row.failure_description.clone().unwrap_or_default(),
        return_category,
        return_reason,
        account_linked_at_record: row.linked_at_record,
        trace_id: row.trace_id.clone().unwrap_or_default(),
    }
}

/// One deposit.
pub fn deposit(row: &deposit::Model) -> pb::Deposit {
    let st = stage(Some(&row.stage));
    let (return_category, return_reason) = why(st, row.ach_return_code.as_deref());
    pb::Deposit {
        transfer_id: row.transfer_id.clone(),
        feed: row.feed.clone(),
        direction: direction(row.direction.as_deref()) as i32,
        state: st.map_or(pb::DepositState::Unspecified, |s| s.state().to_proto()) as i32,
        plaid_event_type: row.plaid_event_type.clone(),
        amount: row.amount.clone().unwrap_or_default(),
        iso_currency_code: row.currency.clone().unwrap_or_default(),
        posted_at: row.posted_at.map(timestamp),
        available_at: row.available_at.map(timestamp),
        ach_return_code: row.ach_return_code.clone().unwrap_or_default(),
        return_category,
        return_reason,
        failure_description: row.failure_description.clone().unwrap_or_default(),
        last_event_id: from_db(row.last_event_id),
        updated_at: Some(timestamp(row.updated_at)),
    }
}

/// The account-level summary of `rows`.
pub fn summary(rows: &[deposit::Model]) -> pb::DepositSummary {
    let facts: Vec<DepositFacts> = rows
        .iter()
        .filter_map(|r| {
            Some(DepositFacts {
                direction: r.direction.as_deref().and_then(|d| d.parse().ok()),
                stage: stage(Some(&r.stage))?,
                amount: r.amount.as_deref().and_then(|a| Decimal::from_str(a).ok()),
                available_at: r.available_at,
                ach_return_code: r.ach_return_code.clone(),
                last_event_id: from_db(r.last_event_id),
            })
        })
        .collect();
    let s = summarize(&facts);
    let (return_category, return_reason) = why(
        s.ach_return_code.as_ref().map(|_| Stage::Reversed),
        s.ach_return_code.as_deref(),
    );
    pb::DepositSummary {
        state: s
            .state
            .map_or(pb::DepositState::Unspecified, |st| st.to_proto()) as i32,
        credits: s.credits,
        debits: s.debits,
        amount_credited: s.credited.to_string(),
        amount_debited: s.debited.to_string(),
        net_amount: s.net.to_string(),
        available_at: s.available_at.map(timestamp),
        ach_return_code: s.ach_return_code.unwrap_or_default(),
        return_category,
        return_reason,
    }
}

/// The sync state at `now`.
pub fn sync_state(row: &sync_feed::Model, now: DateTime<Utc>) -> pb::SyncState {
    let lag = match (row.served < row.requested, row.pending_since) {
        (true, Some(since)) => (now - since).max(chrono::TimeDelta::zero()),
        _ => chrono::TimeDelta::zero(),
    };
    pb::SyncState {
        feed: row.feed.clone(),
        cursor: from_db(row.cursor),
        last_sync_started_at: row.last_sync_started_at.map(timestamp),
        last_sync_finished_at: row.last_sync_finished_at.map(timestamp),
        events_recorded: from_db(row.events_recorded),
        syncs_run: from_db(row.syncs_run),
        pokes_received: from_db(row.pokes_received),
        pokes_coalesced: from_db(row.pokes_coalesced),
        last_poke_at: row.last_poke_at.map(timestamp),
        lag: Some(prost_types::Duration {
            seconds: lag.num_seconds(),
            nanos: lag.subsec_nanos(),
        }),
        requested_generation: from_db(row.requested),
        served_generation: from_db(row.served),
        fence_token: from_db(row.fence),
        sync_failures: from_db(row.sync_failures),
        last_error: row.last_error.clone().unwrap_or_default(),
        pages_fetched: from_db(row.pages_fetched),
        unknown_account_events: from_db(row.unknown_account_events),
    }
}
