//! Per-phase wall-clock timings of a round, printed as they complete and kept for the report.

use std::time::Instant;

/// Laps since the previous lap.
pub struct Timings {
    last: Instant,
    pub laps: Vec<(String, f64)>,
}

impl Timings {
    pub fn start() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    /// Ends the phase `name` and prints its length.
    pub fn lap(&mut self, name: &str) {
        let secs = self.last.elapsed().as_secs_f64();
        self.last = Instant::now();
        crate::say(format!("    {name:<28} {secs:>7.2} s"));
        self.laps.push((name.to_owned(), secs));
    }

    /// The laps as a JSON object (seconds).
    pub fn to_json(&self) -> serde_json::Value {
        self.laps
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}
