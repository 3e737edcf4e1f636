//! The Prometheus rules file, checked the way `promtool check rules` would: known keys only,
//! one of `record`/`alert`, names, durations, and every alert with a `for`, a severity, a
//! summary, a description and a runbook naming the command to run.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::promql::Query;

/// The alerts issue 16 asks for.
const REQUIRED_ALERTS: [&str; 6] = [
    "PennyDeadLetters",
    "PennyConsumerLagGrowing",
    "PennyWebhookRejectionSpike",
    "PennyTransferSyncStale",
    "PennyScheduledAlertsOverdue",
    "PennyAuthGetBudgetExhausted",
];
const SEVERITIES: [&str; 2] = ["critical", "warning"];
/// A runbook names what the operator runs.
const COMMANDS: [&str; 3] = ["pennyctl ", "penny-notifier ", "penny-verification "];

/// A Prometheus rules file; unknown keys are refused, as Prometheus does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleGroup {
    name: String,
    #[serde(default)]
    interval: Option<String>,
    rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    #[serde(default)]
    record: Option<String>,
    #[serde(default)]
    alert: Option<String>,
    expr: String,
    #[serde(default, rename = "for")]
    for_: Option<String>,
    #[serde(default)]
    keep_firing_for: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Whether `s` is a Prometheus duration such as `10m` or `1h30m`.
pub fn is_duration(s: &str) -> bool {
    let mut rest = s;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
        parts += 1;
    }
    parts > 0
}

fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// What is wrong with the rules file's structure (empty when nothing), the recording rules'
/// names, and every expression with its rule.
pub fn check_rules(file: &RuleFile) -> (Vec<String>, BTreeSet<String>, Vec<Query>) {
    let mut problems = Vec::new();
    let (mut recorded, mut alerts, mut groups) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut queries = Vec::new();
    if file.groups.is_empty() {
        problems.push("no groups".to_owned());
    }
    for group in &file.groups {
        if !groups.insert(group.name.as_str()) {
            problems.push(format!("group {} twice", group.name));
        }
        if group.interval.as_deref().is_some_and(|i| !is_duration(i)) {
            problems.push(format!("group {}: bad interval", group.name));
        }
        if group.rules.is_empty() {
            problems.push(format!("group {} has no rules", group.name));
        }
        for rule in &group.rules {
            let origin = match (&rule.record, &rule.alert) {
                (Some(record), None) => {
                    if !is_metric_name(record) || !record.contains(':') {
                        problems.push(format!("recording rule {record:?}: want level:metric:op"));
                    }
                    if rule.for_.is_some() || !rule.annotations.is_empty() {
                        problems.push(format!("recording rule {record}: for/annotations"));
                    }
                    recorded.insert(record.clone());
                    format!("rule {record}")
                }
                (None, Some(alert)) => {
                    problems.extend(check_alert(alert, rule));
                    if !alerts.insert(alert.clone()) {
                        problems.push(format!("alert {alert} twice"));
                    }
                    format!("alert {alert}")
                }
                _ => {
                    problems.push(format!("a rule needs one of record/alert: {rule:?}"));
                    continue;
                }
            };
            queries.push(Query {
                origin,
                expr: rule.expr.clone(),
            });
        }
    }
    for required in REQUIRED_ALERTS {
        if !alerts.contains(required) {
            problems.push(format!("alert {required} is missing"));
        }
    }
    (problems, recorded, queries)
}

/// What is wrong with one alerting rule.
fn check_alert(alert: &str, rule: &Rule) -> Vec<String> {
    let mut problems = Vec::new();
    if !is_metric_name(alert) || alert.contains(':') {
        problems.push(format!("alert name {alert:?}"));
    }
    if !rule.for_.as_deref().is_some_and(is_duration) {
        problems.push(format!("alert {alert}: `for` missing or not a duration"));
    }
    if rule
        .keep_firing_for
        .as_deref()
        .is_some_and(|d| !is_duration(d))
    {
        problems.push(format!("alert {alert}: bad keep_firing_for"));
    }
    let severity = rule.labels.get("severity").map(String::as_str);
    if !severity.is_some_and(|s| SEVERITIES.contains(&s)) {
        problems.push(format!("alert {alert}: severity {severity:?}"));
    }
    for key in ["summary", "description", "runbook"] {
        if rule
            .annotations
            .get(key)
            .is_none_or(|v| v.trim().is_empty())
        {
            problems.push(format!("alert {alert}: no {key} annotation"));
        }
    }
    let runbook = rule.annotations.get("runbook").map_or("", String::as_str);
    if !COMMANDS.iter().any(|c| runbook.contains(c)) {
        problems.push(format!("alert {alert}: the runbook names no command"));
    }
    for (key, text) in rule.labels.iter().chain(&rule.annotations) {
        if text.matches("{{").count() != text.matches("}}").count() {
            problems.push(format!("alert {alert}: unbalanced template in {key}"));
        }
    }
    problems
}
