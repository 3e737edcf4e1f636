//! What a command prints: a table for people, one JSON document for scripts (`--json`), and
//! notes on stderr (never mixed into stdout, so `--json` output always parses).

use std::io::Write;

use serde_json::Value;

use crate::table;

/// Where and how a command writes its result.
pub struct Output<'a> {
    /// `--json`.
    pub json: bool,
    /// The result (stdout in the binary).
    pub out: &'a mut dyn Write,
}

impl Output<'_> {
    /// Writes `value` as one JSON document (scripts) or calls `human` (people).
    pub fn emit(
        &mut self,
        value: &Value,
        human: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        if self.json {
            writeln!(self.out, "{value}")?;
        } else {
            human(self.out)?;
        }
        Ok(())
    }
}

/// A JSON value as a table cell.
pub fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Writes the objects `rows` as a table of `columns` (JSON keys), headed by the keys in upper
/// case.
pub fn object_table(out: &mut dyn Write, columns: &[&str], rows: &[Value]) -> std::io::Result<()> {
    let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| columns.iter().map(|c| cell(&row[*c])).collect())
        .collect();
    table::write(out, &header, &cells)
}

/// A note for the operator on stderr (not part of the result).
pub fn note(line: impl std::fmt::Display) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "pennyctl: {line}");
}
