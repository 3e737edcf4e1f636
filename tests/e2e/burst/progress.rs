//! [`Progress`]: a burst's throughput over time, sampled every [`INTERVAL`] while it drains:
//! webhooks ingress accepted, webhooks the verification replicas consumed and `/auth/get`
//! answers they got (by status), read from each service's own `/metrics`; emails and pushes
//! received, counted at the receivers; the whole machine's busy and stolen CPU seconds
//! ([`penny_testkit::machine_cpu`]). Every count is relative to the start (whatever came
//! before, e.g. a ceiling measured in the same run, is not the burst's).

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::local::LocalStack;

/// Time between samples.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the trigger.
    pub t: f64,
    /// `penny_ingress_webhooks_accepted_total`.
    pub accepted: f64,
    /// `penny_verification_consumer_messages_total`, every replica.
    pub consumed: f64,
    /// `/auth/get` calls answered with the numbers, every replica.
    pub auth_get_ok: f64,
    /// `/auth/get` calls answered 429, every replica.
    pub auth_get_429: f64,
    /// Emails at the SMTP server.
    pub emails: f64,
    /// Pushes accepted at the push endpoint.
    pub pushes: f64,
    /// CPU seconds the machine ran anything, summed over its cores.
    #[serde(default)]
    pub busy: f64,
    /// CPU seconds stolen by the hypervisor.
    #[serde(default)]
    pub steal: f64,
}

/// Every sample of one burst.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Oldest first.
    pub samples: Vec<Sample>,
    /// The counters at the start, subtracted from each sample.
    #[serde(skip)]
    base: Sample,
}

impl Progress {
    /// Starts counting from the stack's counters now.
    pub async fn starting_at(stack: &LocalStack) -> Self {
        Self {
            samples: Vec::new(),
            base: read(stack).await,
        }
    }

    /// Takes one sample `since` the trigger.
    pub async fn sample(&mut self, stack: &LocalStack, since: Instant) -> Sample {
        let now = read(stack).await;
        let b = self.base;
        let sample = Sample {
            t: since.elapsed().as_secs_f64(),
            accepted: now.accepted - b.accepted,
            consumed: now.consumed - b.consumed,
            auth_get_ok: now.auth_get_ok - b.auth_get_ok,
            auth_get_429: now.auth_get_429 - b.auth_get_429,
            emails: now.emails - b.emails,
            pushes: now.pushes - b.pushes,
            busy: now.busy - b.busy,
            steal: now.steal - b.steal,
        };
        self.samples.push(sample);
        sample
    }

    /// The last sample.
    pub fn last(&self) -> Sample {
        self.samples.last().copied().unwrap_or_default()
    }

    /// The highest rate of `field` between consecutive samples, per second.
    pub fn peak_rate(&self, field: impl Fn(&Sample) -> f64) -> f64 {
        self.rates(field)
            .into_iter()
            .map(|(_, r)| r)
            .fold(0.0, f64::max)
    }

    /// The rate of `field` between consecutive samples: `(t at the end, per second)`.
    pub fn rates(&self, field: impl Fn(&Sample) -> f64) -> Vec<(f64, f64)> {
        self.samples
            .windows(2)
            .map(|w| {
                let rate = (field(&w[1]) - field(&w[0])) / (w[1].t - w[0].t).max(1e-9);
                (w[1].t, rate)
            })
            .collect()
    }

    /// `field`'s value at the first sample at or after `t` (the last sample's if none is).
    pub fn at(&self, t: f64, field: impl Fn(&Sample) -> f64) -> f64 {
        let sample = self
            .samples
            .iter()
            .find(|s| s.t >= t)
            .copied()
            .unwrap_or_else(|| self.last());
        field(&sample)
    }

    /// The first time `field` reached `n` (the last sample's time if it never did).
    pub fn time_to(&self, n: usize, field: impl Fn(&Sample) -> f64) -> f64 {
        self.samples
            .iter()
            .find(|s| field(s) >= n as f64)
            .map_or(self.last().t, |s| s.t)
    }
}

/// The counters as they are now (`t` = 0).
async fn read(stack: &LocalStack) -> Sample {
    // One client for every sample: building one loads the TLS roots each time.
    static HTTP: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);
    let http = &*HTTP;
    let machine = penny_testkit::machine_cpu().unwrap_or_default();
    let mut sample = Sample {
        emails: stack.smtp.count().unwrap_or(0) as f64,
        pushes: stack.push.accepted_count() as f64,
        busy: machine.busy,
        steal: machine.steal,
        ..Sample::default()
    };
    for url in stack.metrics_urls() {
        let Ok(response) = http.get(&url).send().await else {
            continue;
        };
        let Ok(text) = response.text().await else {
            continue;
        };
        let requests = "penny_verification_plaid_requests_total";
        sample.accepted += sum(&text, "penny_ingress_webhooks_accepted_total", &[]);
        sample.consumed += sum(&text, "penny_verification_consumer_messages_total", &[]);
        sample.auth_get_ok += sum(&text, requests, &["/auth/get", "ok"]);
        sample.auth_get_429 += sum(&text, requests, &["/auth/get", "rate_limited"]);
    }
    sample
}

/// The sum of every sample of `metric` in a Prometheus text exposition, restricted to lines
/// containing each of `label_values` (quoted).
pub fn sum(text: &str, metric: &str, label_values: &[&str]) -> f64 {
    text.lines()
        .filter(|line| {
            line.strip_prefix(metric)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|line| {
            label_values
                .iter()
                .all(|v| line.contains(&format!("\"{v}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::{Progress, Sample, sum};

    #[test]
    fn sums_a_metric_over_its_labels() {
        let text = "# HELP x\npenny_a_total{status=\"200\"} 3\npenny_a_total{status=\"429\"} 2\npenny_a_total_other 9\npenny_b 1\n";
        assert_eq!(sum(text, "penny_a_total", &[]), 5.0);
        assert_eq!(sum(text, "penny_a_total", &["429"]), 2.0);
        assert_eq!(sum(text, "penny_a_total", &["429", "200"]), 0.0);
        assert_eq!(sum(text, "penny_b", &[]), 1.0);
        assert_eq!(sum(text, "penny_c", &[]), 0.0);
    }

    #[test]
    fn a_value_at_a_time_is_the_first_sample_at_or_after_it() {
        let sample = |t: f64, busy: f64| Sample {
            t,
            busy,
            ..Sample::default()
        };
        let progress = Progress {
            samples: vec![sample(0.0, 0.0), sample(1.0, 1.5), sample(2.0, 3.5)],
            base: Sample::default(),
        };
        assert_eq!(progress.at(1.0, |s| s.busy), 1.5);
        assert_eq!(progress.at(1.2, |s| s.busy), 3.5);
        assert_eq!(progress.at(9.0, |s| s.busy), 3.5);
        assert_eq!(Progress::default().at(1.0, |s| s.busy), 0.0);
    }
}
