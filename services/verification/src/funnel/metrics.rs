//! [`LinkMetrics`]: the funnel as Prometheus metrics, counted as events are recorded (a session
//! counts at a step once, the first time an event of that step is stored; duplicates count
//! nowhere but `link_event_duplicates_total`):
//!
//! - `penny_verification_link_events_total{callback}` and `…_link_event_duplicates_total`;
//! - `penny_verification_link_funnel_sessions_total{step}`: sessions that reached each step;
//! - `penny_verification_link_exits_total{after_step, error_code, exit_status}`;
//! - `penny_verification_link_step_seconds{step}`: time since the previous step, observed when
//!   a step is first reached (events that arrive late are in `GetLinkFunnel`, not here).
//!
//! Label values are bounded: steps and callbacks are fixed sets, and codes and statuses are
//! validated to Link's shapes (at most 64 characters) before they are stored.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::event::{Callback, LinkEvent};
use super::progress::Progress;
use super::step::Step;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallbackLabel {
    callback: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabel {
    step: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExitLabels {
    after_step: &'static str,
    error_code: String,
    exit_status: String,
}

/// The funnel's metrics. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LinkMetrics {
    events: Family<CallbackLabel, Counter>,
    duplicates: Counter,
    sessions: Family<StepLabel, Counter>,
    exits: Family<ExitLabels, Counter>,
    step_seconds: Family<StepLabel, Histogram>,
}

impl LinkMetrics {
    /// Registers the metrics in `registry`; every callback and step starts at 0.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            events: Family::default(),
            duplicates: Counter::default(),
            sessions: Family::default(),
            exits: Family::default(),
            step_seconds: Family::new_with_constructor(|| {
                // 1 s to about 9 hours.
                Histogram::new(exponential_buckets(1.0, 2.0, 16))
            }),
        };
        for callback in [Callback::OnEvent, Callback::OnExit, Callback::OnSuccess] {
            let _ = metrics.events.get_or_create(&CallbackLabel {
                callback: callback.as_str(),
            });
        }
        for step in Step::ALL {
            let _ = metrics.sessions.get_or_create(&StepLabel {
                step: step.as_str(),
            });
        }
        registry.register(
            "link_events",
            "Link callbacks recorded, by callback",
            metrics.events.clone(),
        );
        registry.register(
            "link_event_duplicates",
            "Link callbacks received again and ignored",
            metrics.duplicates.clone(),
        );
        registry.register(
            "link_funnel_sessions",
            "Link sessions that reached a funnel step",
            metrics.sessions.clone(),
        );
        registry.register(
            "link_exits",
            "Link sessions that exited, by last step, error code and exit status",
            metrics.exits.clone(),
        );
        registry.register(
            "link_step_seconds",
            "Time from the previous funnel step to this one",
            metrics.step_seconds.clone(),
        );
        metrics
    }

    /// Counts what one committed record added: `new` events (and `duplicates`), taking the
    /// session from `before` to `after`.
    pub fn observe(&self, new: &[LinkEvent], duplicates: u32, before: &Progress, after: &Progress) {
        for event in new {
            self.events
                .get_or_create(&CallbackLabel {
                    callback: event.callback.as_str(),
                })
                .inc();
        }
        self.duplicates.inc_by(u64::from(duplicates));
        let times = after.step_times();
        for step in after
            .reached
            .keys()
            .filter(|s| !before.reached.contains_key(s))
        {
            let label = StepLabel {
                step: step.as_str(),
            };
            self.sessions.get_or_create(&label).inc();
            if let Some((_, delta)) = times.iter().find(|(s, _)| s == step) {
                let seconds = delta.num_milliseconds() as f64 / 1000.0;
                self.step_seconds.get_or_create(&label).observe(seconds);
            }
        }
        if let (None, Some(exit)) = (&before.exit, &after.exit) {
            self.exits
                .get_or_create(&ExitLabels {
                    after_step: exit.after.map_or("none", |s| s.as_str()),
                    error_code: exit.error_code.clone(),
                    exit_status: exit.exit_status.clone(),
                })
                .inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use prometheus_client::encoding::text::encode;

    use super::*;

    fn event(name: &str, view: &str, s: i64) -> LinkEvent {
        LinkEvent::on_event(name, view, Utc.timestamp_opt(1_790_000_000 + s, 0).unwrap())
    }

    #[test]
    fn a_step_counts_once_per_session_and_exits_carry_their_labels() {
        let mut registry = Registry::with_prefix("penny_verification");
        let metrics = LinkMetrics::register(&mut registry);
        let first = vec![event("OPEN", "", 0), event("SELECT_INSTITUTION", "", 4)];
        let none = Progress::default();
        let after_first = Progress::of(&first);
        metrics.observe(&first, 0, &none, &after_first);
        // The same OPEN again (a duplicate) and an exit.
        let mut exit = event("", "", 9);
        exit.callback = Callback::OnExit;
        exit.exit_status = "institution_not_found".into();
        let all: Vec<LinkEvent> = first.iter().cloned().chain([exit.clone()]).collect();
        metrics.observe(&[exit], 1, &after_first, &Progress::of(&all));
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        for line in [
            "penny_verification_link_funnel_sessions_total{step=\"opened\"} 1",
            "penny_verification_link_funnel_sessions_total{step=\"institution_selected\"} 1",
            "penny_verification_link_events_total{callback=\"on_event\"} 2",
            "penny_verification_link_events_total{callback=\"on_exit\"} 1",
            "penny_verification_link_event_duplicates_total 1",
            "penny_verification_link_exits_total{after_step=\"institution_selected\",error_code=\"\",exit_status=\"institution_not_found\"} 1",
            "penny_verification_link_step_seconds_sum{step=\"institution_selected\"} 4.0",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
