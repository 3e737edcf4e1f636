//! PromQL against an exposition: the series names an OpenMetrics text holds, and the metric
//! names each expression selects (parsed by a real PromQL parser, so a syntax error fails).

use std::collections::BTreeSet;

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr, VectorSelector};
use promql_parser::util::{ExprVisitor, walk_expr};

/// One PromQL expression and where it is (a panel or a rule).
#[derive(Debug)]
pub struct Query {
    /// Where it is.
    pub origin: String,
    /// The PromQL.
    pub expr: String,
}

/// The series names an OpenMetrics exposition holds: every sample's name, and each family's
/// series by its type (so a family with no sample yet still counts).
pub fn series_names(exposition: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in exposition.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut words = rest.split_whitespace();
            let (Some(family), Some(kind)) = (words.next(), words.next()) else {
                continue;
            };
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" | "gaugehistogram" => &["_bucket", "_sum", "_count"],
                "summary" => &["", "_sum", "_count"],
                _ => &[""],
            };
            names.extend(suffixes.iter().map(|s| format!("{family}{s}")));
        } else if !line.starts_with('#') && !line.is_empty() {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            names.insert(line[..end].to_owned());
        }
    }
    names
}

/// Collects the metric names an expression selects; a selector without a plain name is an
/// error (a regex on `__name__` cannot be checked).
#[derive(Default)]
struct Names(BTreeSet<String>);

impl Names {
    fn add(&mut self, selector: &VectorSelector) -> Result<(), String> {
        let name = selector.name.clone().or_else(|| {
            selector
                .matchers
                .matchers
                .iter()
                .find(|m| m.name == "__name__" && m.op == MatchOp::Equal)
                .map(|m| m.value.clone())
        });
        match name {
            Some(name) => {
                self.0.insert(name);
                Ok(())
            }
            None => Err(format!("a selector without a metric name: {selector}")),
        }
    }
}

impl ExprVisitor for Names {
    type Error = String;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, String> {
        match expr {
            Expr::VectorSelector(vs) => self.add(vs)?,
            Expr::MatrixSelector(ms) => self.add(&ms.vs)?,
            _ => {}
        }
        Ok(true)
    }
}

/// The metric names `expr` selects, or why it does not parse.
fn metric_names(expr: &str) -> Result<BTreeSet<String>, String> {
    let ast = parser::parse(expr)?;
    let mut names = Names::default();
    walk_expr(&mut names, &ast)?;
    Ok(names.0)
}

/// Every `(name, origin)` that `queries` select and neither `exposed` nor `recorded` holds,
/// and every query that does not parse.
pub fn unknown_names(
    queries: &[Query],
    exposed: &BTreeSet<String>,
    recorded: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for query in queries {
        match metric_names(&query.expr) {
            Ok(names) => problems.extend(
                names
                    .into_iter()
                    .filter(|n| !exposed.contains(n) && !recorded.contains(n))
                    .map(|n| format!("{n} (in {})", query.origin)),
            ),
            Err(error) => problems.push(format!(
                "{}: does not parse: {error}: {}",
                query.origin, query.expr
            )),
        }
    }
    problems
}
