//! The Grafana dashboard: its queries, and what would stop Grafana importing it.

use std::collections::BTreeSet;

use serde_json::Value;

use super::promql::Query;

/// Every `expr` of the dashboard, with the title of the panel holding it.
pub fn dashboard_queries(node: &Value, title: &str, out: &mut Vec<Query>) {
    match node {
        Value::Object(map) => {
            let title = map.get("title").and_then(Value::as_str).unwrap_or(title);
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr", Value::String(expr)) => out.push(Query {
                        origin: format!("panel {title:?}"),
                        expr: expr.clone(),
                    }),
                    _ => dashboard_queries(value, title, out),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| dashboard_queries(item, title, out)),
        _ => {}
    }
}

/// What would stop Grafana importing the dashboard or showing a panel (empty when nothing): a
/// uid and title, the `datasource` variable every panel uses, unique panel ids, panels inside
/// the 24-column grid, and queries with a refId and an expression.
pub fn check_dashboard(dashboard: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["uid", "title"] {
        if dashboard[key].as_str().is_none_or(str::is_empty) {
            problems.push(format!("no {key}"));
        }
    }
    if dashboard["schemaVersion"].as_u64().is_none() {
        problems.push("no schemaVersion".to_owned());
    }
    let variables = dashboard["templating"]["list"].as_array();
    if !variables.is_some_and(|v| {
        v.iter()
            .any(|v| v["name"] == "datasource" && v["type"] == "datasource")
    }) {
        problems.push("no datasource variable".to_owned());
    }
    let mut ids = BTreeSet::new();
    let panels = dashboard["panels"].as_array().cloned().unwrap_or_default();
    if panels.is_empty() {
        problems.push("no panels".to_owned());
    }
    for panel in &panels {
        let title = panel["title"].as_str().unwrap_or("?");
        if !panel["id"].as_u64().is_some_and(|id| ids.insert(id)) {
            problems.push(format!("panel {title:?}: id missing or repeated"));
        }
        let grid = &panel["gridPos"];
        let (x, w, h) = (grid["x"].as_u64(), grid["w"].as_u64(), grid["h"].as_u64());
        if !matches!((x, w, h), (Some(x), Some(w), Some(h)) if w > 0 && h > 0 && x + w <= 24) {
            problems.push(format!("panel {title:?}: gridPos {grid}"));
        }
        if panel["type"] == "row" {
            continue;
        }
        if panel["datasource"]["uid"] != "${datasource}" {
            problems.push(format!("panel {title:?}: not on the datasource variable"));
        }
        let targets = panel["targets"].as_array().cloned().unwrap_or_default();
        if targets.is_empty() {
            problems.push(format!("panel {title:?}: no query"));
        }
        let mut refs = BTreeSet::new();
        for target in &targets {
            if !target["refId"]
                .as_str()
                .is_some_and(|r| refs.insert(r.to_owned()))
            {
                problems.push(format!("panel {title:?}: refId missing or repeated"));
            }
            if target["expr"].as_str().is_none_or(|e| e.trim().is_empty()) {
                problems.push(format!("panel {title:?}: an empty query"));
            }
        }
    }
    problems
}
