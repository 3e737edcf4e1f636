//! [`Report`]: the funnel over a set of sessions' [`Progress`] (how many reached each step,
//! the median time between steps, the exits grouped by last step, error code and status).

use std::collections::HashMap;

use chrono::TimeDelta;

use super::progress::Progress;
use super::step::Step;

/// Sessions that reached one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepCount {
    pub step: Step,
    pub sessions: u32,
    /// Median time since the previous step reached (`None` for none, or no pair).
    pub median_from_previous: Option<TimeDelta>,
}

/// Sessions that exited the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitCount {
    pub after: Option<Step>,
    pub error_code: String,
    pub exit_status: String,
    pub sessions: u32,
}

/// The funnel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub sessions: u32,
    /// Every step in order, zero counts included.
    pub steps: Vec<StepCount>,
    /// Most frequent first, then by step.
    pub exits: Vec<ExitCount>,
    pub successes: u32,
}

/// The funnel of `sessions`.
pub fn report<'a>(sessions: impl IntoIterator<Item = &'a Progress>) -> Report {
    let mut total = 0u32;
    let mut successes = 0u32;
    let mut counts: HashMap<Step, u32> = HashMap::new();
    let mut times: HashMap<Step, Vec<TimeDelta>> = HashMap::new();
    let mut exits: HashMap<(Option<Step>, String, String), u32> = HashMap::new();
    for progress in sessions {
        total += 1;
        successes += u32::from(progress.succeeded);
        for step in progress.reached.keys() {
            *counts.entry(*step).or_default() += 1;
        }
        for (step, delta) in progress.step_times() {
            times.entry(step).or_default().push(delta);
        }
        if let Some(exit) = &progress.exit {
            let key = (
                exit.after,
                exit.error_code.clone(),
                exit.exit_status.clone(),
            );
            *exits.entry(key).or_default() += 1;
        }
    }
    let steps = Step::ALL
        .into_iter()
        .map(|step| StepCount {
            step,
            sessions: counts.get(&step).copied().unwrap_or(0),
            median_from_previous: times.get_mut(&step).and_then(|t| median(t)),
        })
        .collect();
    let mut exits: Vec<ExitCount> = exits
        .into_iter()
        .map(|((after, error_code, exit_status), sessions)| ExitCount {
            after,
            error_code,
            exit_status,
            sessions,
        })
        .collect();
    exits.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then(a.after.cmp(&b.after))
            .then(a.error_code.cmp(&b.error_code))
            .then(a.exit_status.cmp(&b.exit_status))
    });
    Report {
        sessions: total,
        steps,
        exits,
        successes,
    }
}

/// The median (the mean of the two middle values for an even count).
fn median(values: &mut [TimeDelta]) -> Option<TimeDelta> {
    values.sort();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::funnel::event::{Callback, LinkEvent, SuccessAccount};

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000 + s, 0).unwrap()
    }

    fn on_event(name: &str, view: &str, s: i64) -> LinkEvent {
        LinkEvent::on_event(name, view, at(s))
    }

    fn on_exit(s: i64, code: &str, status: &str) -> LinkEvent {
        LinkEvent {
            callback: Callback::OnExit,
            event_name: String::new(),
            error_code: code.into(),
            exit_status: status.into(),
            ..on_event("", "", s)
        }
    }

    fn on_success(s: i64, status: &str) -> LinkEvent {
        LinkEvent {
            callback: Callback::OnSuccess,
            event_name: String::new(),
            accounts: vec![SuccessAccount {
                account_id: "acc".into(),
                verification_status: status.into(),
                ..SuccessAccount::default()
            }],
            ..on_event("", "", s)
        }
    }

    /// The seed's automated micro-deposit session, one step every `gap` seconds.
    fn seed(gap: i64) -> Vec<LinkEvent> {
        vec![
            on_event("OPEN", "", 0),
            on_event("SELECT_INSTITUTION", "", gap),
            on_event("SUBMIT_CREDENTIALS", "", 2 * gap),
            on_event("TRANSITION_VIEW", "NUMBERS", 3 * gap),
            on_event("TRANSITION_VIEW", "CONNECTED", 4 * gap),
            on_event("HANDOFF", "", 5 * gap),
            on_success(5 * gap, "pending_automatic_verification"),
        ]
    }

    fn count(report: &Report, step: Step) -> u32 {
        report
            .steps
            .iter()
            .find(|s| s.step == step)
            .unwrap()
            .sessions
    }

    #[test]
    fn the_seed_sequence_reaches_every_step_but_mfa() {
        let mut events = seed(10);
        events.reverse(); // arrival order does not matter: Link's timestamps do
        let progress = Progress::of(&events);
        let report = report([&progress]);
        for step in Step::ALL {
            assert_eq!(
                count(&report, step),
                u32::from(step != Step::Mfa),
                "{step:?}"
            );
        }
        assert_eq!(report.successes, 1);
        assert!(report.exits.is_empty());
        let numbers = report
            .steps
            .iter()
            .find(|s| s.step == Step::Numbers)
            .unwrap();
        assert_eq!(numbers.median_from_previous, Some(TimeDelta::seconds(10)));
        assert_eq!(progress.success_flow, Some(crate::domain::Flow::Automated));
    }

    #[test]
    fn exits_are_grouped_by_the_last_step_reached() {
        let seed = seed(1);
        let mut sessions = Vec::new();
        // One session exits after each of the first six steps (the user closes Link).
        for n in 1..=6 {
            let mut events: Vec<LinkEvent> = seed[..n].to_vec();
            events.push(on_exit(100, "", "requires_credentials"));
            sessions.push(Progress::of(&events));
        }
        // Two more exit at the credentials with Plaid's error.
        for _ in 0..2 {
            let mut events: Vec<LinkEvent> = seed[..3].to_vec();
            events.push(on_event("ERROR", "", 50));
            events.push(on_event("EXIT", "", 60));
            events.push(on_exit(60, "INVALID_CREDENTIALS", "requires_credentials"));
            sessions.push(Progress::of(&events));
        }
        let report = report(&sessions);
        assert_eq!(report.sessions, 8);
        assert_eq!(count(&report, Step::Opened), 8);
        assert_eq!(count(&report, Step::CredentialsSubmitted), 6);
        assert_eq!(count(&report, Step::Handoff), 1);
        assert_eq!(count(&report, Step::SuccessPending), 0);
        assert_eq!(
            report.exits[0],
            ExitCount {
                after: Some(Step::CredentialsSubmitted),
                error_code: "INVALID_CREDENTIALS".into(),
                exit_status: "requires_credentials".into(),
                sessions: 2,
            }
        );
        let mut afters: Vec<Option<Step>> = report.exits[1..].iter().map(|e| e.after).collect();
        afters.sort();
        assert_eq!(
            afters,
            [
                Some(Step::Opened),
                Some(Step::InstitutionSelected),
                Some(Step::CredentialsSubmitted),
                Some(Step::Numbers),
                Some(Step::Connected),
                Some(Step::Handoff),
            ]
        );
    }

    #[test]
    fn medians_mfa_and_repeated_events() {
        let mut with_mfa = seed(10);
        with_mfa.push(on_event("TRANSITION_VIEW", "MFA", 25));
        with_mfa.push(on_event("SUBMIT_MFA", "", 27));
        // A repeated OPEN later in the session does not move the step's time.
        with_mfa.push(on_event("OPEN", "", 40));
        let sessions = [
            Progress::of(&seed(10)),
            Progress::of(&seed(30)),
            Progress::of(&with_mfa),
        ];
        let report = report(&sessions);
        let step = |s: Step| report.steps.iter().find(|c| c.step == s).unwrap().clone();
        assert_eq!(step(Step::Mfa).sessions, 1);
        // NUMBERS 5 s after MFA, or 10 s and 30 s after the credentials: median 10 s.
        assert_eq!(
            step(Step::Numbers).median_from_previous,
            Some(TimeDelta::seconds(10))
        );
        assert_eq!(
            step(Step::InstitutionSelected).median_from_previous,
            Some(TimeDelta::seconds(10))
        );
        assert_eq!(step(Step::Opened).median_from_previous, None);
        assert_eq!(
            median(&mut [TimeDelta::seconds(1), TimeDelta::seconds(4)]),
            Some(TimeDelta::milliseconds(2500))
        );
    }
}
