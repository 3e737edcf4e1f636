//! [`Progress`]: what one session's events add up to (when it reached each step, whether and
//! how it exited, its flow), whatever order the events arrived in.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::event::{Callback, LinkEvent};
use super::step::Step;
use crate::domain::Flow;

/// How a session left Link.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Exit {
    /// The furthest step reached before the exit (`None`: not even OPEN).
    pub after: Option<Step>,
    /// Empty when the user closed Link without an error.
    pub error_code: String,
    pub exit_status: String,
    pub at: DateTime<Utc>,
}

/// One session's progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// When each reached step was first reached (Link's timestamps).
    pub reached: BTreeMap<Step, DateTime<Utc>>,
    /// Its exit, if it exited.
    pub exit: Option<Exit>,
    /// Whether onSuccess fired (pending or not).
    pub succeeded: bool,
    /// The flow onSuccess's accounts show, if any.
    pub success_flow: Option<Flow>,
}

impl Progress {
    /// The progress `events` (in any order) add up to.
    pub fn of<'a>(events: impl IntoIterator<Item = &'a LinkEvent>) -> Self {
        let mut events: Vec<&LinkEvent> = events.into_iter().collect();
        events.sort_by_key(|e| e.occurred_at);
        let mut progress = Progress::default();
        for event in &events {
            if let Some(step) = Step::of(event) {
                progress.reached.entry(step).or_insert(event.occurred_at);
            }
            if event.callback == Callback::OnSuccess {
                progress.succeeded = true;
                if progress.success_flow.is_none() {
                    progress.success_flow = event
                        .accounts
                        .first()
                        .map(|a| Flow::at_link(&a.verification_status));
                }
            }
        }
        progress.exit = exit_of(&events, &progress.reached);
        progress
    }

    /// For each reached step after the first, the time since the previous step reached.
    pub fn step_times(&self) -> Vec<(Step, TimeDelta)> {
        let mut out = Vec::new();
        let mut previous: Option<DateTime<Utc>> = None;
        for (step, at) in &self.reached {
            if let Some(before) = previous {
                out.push((*step, (*at - before).max(TimeDelta::zero())));
            }
            previous = Some(*at);
        }
        out
    }
}

/// The exit: the first onExit (or EXIT event), with the error code and status of any exit event
/// (onExit carries the error; the EXIT event may carry only the status).
fn exit_of(events: &[&LinkEvent], reached: &BTreeMap<Step, DateTime<Utc>>) -> Option<Exit> {
    let exits: Vec<&&LinkEvent> = events.iter().filter(|e| e.is_exit()).collect();
    let at = exits.first()?.occurred_at;
    let pick = |field: fn(&LinkEvent) -> &str| {
        exits
            .iter()
            .map(|e| field(e))
            .find(|v| !v.is_empty())
            .unwrap_or_default()
            .to_owned()
    };
    let after = reached
        .iter()
        .filter(|(_, t)| **t <= at)
        .map(|(s, _)| *s)
        .max();
    Some(Exit {
        after,
        error_code: pick(|e| &e.error_code),
        exit_status: pick(|e| &e.exit_status),
        at,
    })
}
