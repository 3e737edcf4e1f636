//! The micro-deposits an account gets, per Item ([`DepositShape`]): the automated flow's single
//! credit, or the legacy same-day shape (two credits and one clawback debit of their sum).

use std::str::FromStr;

use rand::Rng as _;
use serde::{Deserialize, Serialize};

use super::Direction;

/// How many micro-deposits an account gets, and which way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositShape {
    /// One $0.01 credit (Automated Micro-deposits, and today's Same-Day flow).
    #[default]
    Single,
    /// Two small credits and one debit taking both back, each its own transfer (the legacy
    /// Same-Day flow: "Plaid will reverse the two micro-deposits").
    LegacySameDay,
}

impl FromStr for DepositShape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "single" => Ok(Self::Single),
            "legacy_same_day" => Ok(Self::LegacySameDay),
            other => Err(format!(
                "unknown deposit shape {other:?} (single | legacy_same_day)"
            )),
        }
    }
}

/// The transfers of one account: `(direction, amount)` in creation order. `credits` fixes the
/// legacy shape's two credit amounts (`"0.10"`, `"0.20"`); otherwise they are random cents,
/// 1 to 49 each, and the debit is their exact sum.
pub fn deposits(shape: DepositShape, credits: Option<[u32; 2]>) -> Vec<(Direction, String)> {
    match shape {
        DepositShape::Single => vec![(Direction::Credit, cents(1))],
        DepositShape::LegacySameDay => {
            let [a, b] = credits.unwrap_or_else(|| {
                let mut rng = rand::rng();
                [rng.random_range(1..50), rng.random_range(1..50)]
            });
            vec![
                (Direction::Credit, cents(a)),
                (Direction::Credit, cents(b)),
                (Direction::Debit, cents(a + b)),
            ]
        }
    }
}

/// Cents as a dollar decimal string: 7 → `"0.07"`, 130 → `"1.30"`.
pub fn cents(n: u32) -> String {
    format!("{}.{:02}", n / 100, n % 100)
}

/// A dollar decimal string with at most two decimals as cents (`"0.1"` → 10); `None` when it is
/// not one, or not between 0.01 and 0.99 (a micro-deposit).
pub fn parse_micro_amount(s: &str) -> Option<u32> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole != "0"
        || frac.is_empty()
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut n: u32 = frac.parse().ok()?;
    if frac.len() == 1 {
        n *= 10;
    }
    (1..=99).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_is_one_cent_credit() {
        assert_eq!(
            deposits(DepositShape::Single, None),
            vec![(Direction::Credit, "0.01".to_owned())]
        );
    }

    #[test]
    fn legacy_debit_is_the_exact_sum_of_the_credits() {
        let fixed = deposits(DepositShape::LegacySameDay, Some([10, 20]));
        assert_eq!(
            fixed,
            vec![
                (Direction::Credit, "0.10".to_owned()),
                (Direction::Credit, "0.20".to_owned()),
                (Direction::Debit, "0.30".to_owned()),
            ]
        );
        for _ in 0..100 {
            let d = deposits(DepositShape::LegacySameDay, None);
            let n: Vec<u32> = d.iter().map(|(_, a)| parse_cents(a)).collect();
            assert_eq!(n[0] + n[1], n[2]);
            assert!(n[0] >= 1 && n[1] >= 1 && n[0] < 50 && n[1] < 50);
        }
    }

    fn parse_cents(s: &str) -> u32 {
        let (w, f) = s.split_once('.').unwrap();
        w.parse::<u32>().unwrap() * 100 + f.parse::<u32>().unwrap()
    }

    #[test]
    fn amounts_and_shapes_parse() {
        assert_eq!(parse_micro_amount("0.1"), Some(10));
        assert_eq!(parse_micro_amount("0.07"), Some(7));
        for bad in ["1.00", "0.00", "0.123", ".5", "0.", "abc", "0.-1"] {
            assert_eq!(parse_micro_amount(bad), None, "{bad}");
        }
        assert_eq!(cents(130), "1.30");
        assert_eq!("legacy_same_day".parse(), Ok(DepositShape::LegacySameDay));
        assert!("double".parse::<DepositShape>().is_err());
    }
}
