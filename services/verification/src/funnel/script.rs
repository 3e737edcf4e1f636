//! Scripted Link sessions as the app backend would forward them: the seed's automated
//! micro-deposit sequence and exits after any of its steps. Used by the tests of the funnel
//! (here, in the service's suite and in `pennyctl`'s) and by demos.

use chrono::{DateTime, TimeDelta, Utc};
use penny_proto::v1 as pb;

use crate::events::timestamp;

/// The seed's onEvent sequence of an automated micro-deposit session: (event name, view name).
pub const SEED_EVENTS: [(&str, &str); 6] = [
    ("OPEN", ""),
    ("SELECT_INSTITUTION", ""),
    ("SUBMIT_CREDENTIALS", ""),
    ("TRANSITION_VIEW", "NUMBERS"),
    ("TRANSITION_VIEW", "CONNECTED"),
    ("HANDOFF", ""),
];

/// An onEvent at `at`.
pub fn on_event(name: &str, view: &str, at: DateTime<Utc>) -> pb::LinkEvent {
    pb::LinkEvent {
        callback: pb::LinkCallback::OnEvent as i32,
        event_name: name.to_owned(),
        view_name: view.to_owned(),
        timestamp: Some(timestamp(at)),
        ..pb::LinkEvent::default()
    }
}

/// An onExit at `at` with Link's error code (empty: none) and exit status.
pub fn on_exit(at: DateTime<Utc>, error_code: &str, exit_status: &str) -> pb::LinkEvent {
    pb::LinkEvent {
        callback: pb::LinkCallback::OnExit as i32,
        error_code: error_code.to_owned(),
        error_type: if error_code.is_empty() {
            ""
        } else {
            "ITEM_ERROR"
        }
        .to_owned(),
        exit_status: exit_status.to_owned(),
        timestamp: Some(timestamp(at)),
        ..pb::LinkEvent::default()
    }
}

/// An onSuccess at `at` listing `accounts`.
pub fn on_success(at: DateTime<Utc>, accounts: Vec<pb::LinkAccount>) -> pb::LinkEvent {
    pb::LinkEvent {
        callback: pb::LinkCallback::OnSuccess as i32,
        accounts,
        timestamp: Some(timestamp(at)),
        ..pb::LinkEvent::default()
    }
}

/// The first `steps` events of the seed's sequence, `gap` apart from `start`.
pub fn seed_events(start: DateTime<Utc>, gap: TimeDelta, steps: usize) -> Vec<pb::LinkEvent> {
    SEED_EVENTS
        .iter()
        .take(steps)
        .zip(0..)
        .map(|((name, view), i)| on_event(name, view, start + gap * i))
        .collect()
}

/// The seed's whole session: its six events then onSuccess with `accounts` (as Link lists them:
/// `pending_automatic_verification`).
pub fn seed_session(
    start: DateTime<Utc>,
    gap: TimeDelta,
    accounts: Vec<pb::LinkAccount>,
) -> Vec<pb::LinkEvent> {
    let mut events = seed_events(start, gap, SEED_EVENTS.len());
    events.push(on_success(start + gap * 5, accounts));
    events
}

/// A session that reaches the first `steps` steps of the seed, then exits.
pub fn exit_after(
    start: DateTime<Utc>,
    gap: TimeDelta,
    steps: usize,
    error_code: &str,
    exit_status: &str,
) -> Vec<pb::LinkEvent> {
    let mut events = seed_events(start, gap, steps);
    let at = start + gap * i32::try_from(steps).unwrap_or(i32::MAX);
    events.push(on_event("EXIT", "", at));
    events.push(on_exit(at, error_code, exit_status));
    events
}
