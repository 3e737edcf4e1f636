//! Points in time on the command line: RFC 3339 (`2026-12-01T08:30:00Z`) or an age
//! (`90m`, `2h`, `7days`: that long ago).

use chrono::{DateTime, Utc};

/// Parses a time; the `value_parser` of `--since`, `--from`, `--to`.
pub fn parse_when(raw: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    let age = penny_config::parse_duration(raw).map_err(|_| {
        format!("{raw:?} is neither an RFC 3339 time (2026-12-01T08:30:00Z) nor an age (2h, 7days)")
    })?;
    let age = chrono::TimeDelta::from_std(age).map_err(|_| format!("{raw:?} is too long ago"))?;
    Utc::now()
        .checked_sub_signed(age)
        .ok_or_else(|| format!("{raw:?} is too long ago"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_ages() {
        let at = parse_when("2026-12-01T08:30:00Z").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-01T08:30:00+00:00");
        let ago = Utc::now() - parse_when("2h").unwrap();
        assert!((ago.num_seconds() - 7200).abs() < 5);
        assert!(parse_when("yesterday").is_err());
    }
}
