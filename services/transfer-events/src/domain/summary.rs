//! An account's micro-deposits taken together ([`summarize`]). Credits decide the state (they
//! are what the user looks for on a statement); the legacy flow's clawback debit counts in the
//! amounts only.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{DepositState, Direction, Stage};

/// One deposit as the summary needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositFacts {
    /// Credit or debit (`None`, unknown, counts as a credit).
    pub direction: Option<Direction>,
    /// Its latest stage.
    pub stage: Stage,
    /// Its amount, when Plaid sent a decimal.
    pub amount: Option<Decimal>,
    /// When posted funds are available.
    pub available_at: Option<DateTime<Utc>>,
    /// Its ACH return code, when returned.
    pub ach_return_code: Option<String>,
    /// The event that last moved it.
    pub last_event_id: u64,
}

/// The account-level view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// `None` when the account has no deposit yet.
    pub state: Option<DepositState>,
    /// Credits.
    pub credits: u32,
    /// Debits.
    pub debits: u32,
    /// Posted (not returned) credits.
    pub credited: Decimal,
    /// Posted (not returned) debits.
    pub debited: Decimal,
    /// `credited - debited`.
    pub net: Decimal,
    /// When the last posted credit is available.
    pub available_at: Option<DateTime<Utc>>,
    /// The first returned credit's code.
    pub ach_return_code: Option<String>,
}

/// Summarises `deposits`: REVERSED if a credit was returned, else FAILED if one failed, else
/// PENDING while one is pending, else POSTED once a credit posted, else CANCELLED.
pub fn summarize(deposits: &[DepositFacts]) -> Summary {
    let is_credit = |d: &&DepositFacts| d.direction != Some(Direction::Debit);
    let credits: Vec<&DepositFacts> = deposits.iter().filter(is_credit).collect();
    let has = |state: DepositState| credits.iter().any(|d| d.stage.state() == state);
    let state = if credits.is_empty() {
        None
    } else if has(DepositState::Reversed) {
        Some(DepositState::Reversed)
    } else if has(DepositState::Failed) {
        Some(DepositState::Failed)
    } else if has(DepositState::Pending) {
        Some(DepositState::Pending)
    } else if has(DepositState::Posted) {
        Some(DepositState::Posted)
    } else {
        Some(DepositState::Cancelled)
    };
    let posted_sum = |want: Direction| -> Decimal {
        deposits
            .iter()
            .filter(|d| d.direction.unwrap_or(Direction::Credit) == want)
            .filter(|d| d.stage.state() == DepositState::Posted)
            .filter_map(|d| d.amount)
            .sum()
    };
    let credited = posted_sum(Direction::Credit);
    let debited = posted_sum(Direction::Debit);
    let available_at = credits
        .iter()
        .filter(|d| d.stage.state() == DepositState::Posted)
        .filter_map(|d| d.available_at)
        .max();
    let ach_return_code = credits
        .iter()
        .filter(|d| d.stage == Stage::Reversed)
        .min_by_key(|d| d.last_event_id)
        .and_then(|d| d.ach_return_code.clone());
    Summary {
        state,
        credits: u32::try_from(credits.len()).unwrap_or(u32::MAX),
        debits: u32::try_from(deposits.len() - credits.len()).unwrap_or(u32::MAX),
        credited,
        debited,
        net: credited - debited,
        available_at,
        ach_return_code,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(direction: Direction, stage: Stage, amount: &str, id: u64) -> DepositFacts {
        DepositFacts {
            direction: Some(direction),
            stage,
            amount: Decimal::from_str(amount).ok(),
            available_at: None,
            ach_return_code: (stage == Stage::Reversed).then(|| format!("R{id:02}")),
            last_event_id: id,
        }
    }

    use Direction::{Credit, Debit};

    #[test]
    fn amounts_are_exact_where_floats_are_not() {
        let s = summarize(&[
            d(Credit, Stage::Posted, "0.10", 1),
            d(Credit, Stage::Posted, "0.20", 2),
            d(Debit, Stage::Pending, "0.30", 3),
        ]);
        assert_eq!(s.state, Some(DepositState::Posted));
        assert_eq!(s.credited, Decimal::from_str("0.30").unwrap());
        assert_eq!(s.credited.to_string(), "0.30");
        assert_eq!((s.credits, s.debits), (2, 1));
        assert_eq!(s.net.to_string(), "0.30");
        let clawed = summarize(&[
            d(Credit, Stage::Posted, "0.10", 1),
            d(Credit, Stage::Posted, "0.20", 2),
            d(Debit, Stage::Posted, "0.30", 3),
        ]);
        assert_eq!(clawed.net, Decimal::ZERO);
        assert_eq!(clawed.debited.to_string(), "0.30");
    }

    #[test]
    fn the_state_follows_the_credits_in_order_of_severity() {
        use Stage::*;
        let cases: &[(&[Stage], Option<DepositState>)] = &[
            (&[], None),
            (&[Pending], Some(DepositState::Pending)),
            (&[Posted, Pending], Some(DepositState::Pending)),
            (
                &[Posted, Settled, FundsAvailable],
                Some(DepositState::Posted),
            ),
            (&[Posted, Failed, Pending], Some(DepositState::Failed)),
            (&[Failed, Reversed], Some(DepositState::Reversed)),
            (&[Cancelled, Posted], Some(DepositState::Posted)),
            (&[Cancelled], Some(DepositState::Cancelled)),
        ];
        for (stages, want) in cases {
            let deposits: Vec<_> = stages
                .iter()
                .enumerate()
                .map(|(i, s)| d(Credit, *s, "0.01", i as u64 + 1))
                .collect();
            assert_eq!(summarize(&deposits).state, *want, "{stages:?}");
        }
        // Debits never decide it.
        let only_debit = summarize(&[d(Debit, Stage::Reversed, "0.30", 1)]);
        assert_eq!(only_debit.state, None);
    }

    #[test]
    fn the_first_return_and_the_last_availability_are_reported() {
        let t = |h| Utc::now() + chrono::Duration::hours(h);
        let mut a = d(Credit, Stage::Posted, "0.01", 1);
        a.available_at = Some(t(1));
        let mut b = d(Credit, Stage::Posted, "0.02", 2);
        b.available_at = Some(t(5));
        let s = summarize(&[a.clone(), b.clone()]);
        assert_eq!(s.available_at, b.available_at);
        let s = summarize(&[
            d(Credit, Stage::Reversed, "0.01", 7),
            d(Credit, Stage::Reversed, "0.01", 4),
            b,
        ]);
        assert_eq!(s.ach_return_code.as_deref(), Some("R04"));
        assert_eq!(
            s.credited.to_string(),
            "0.02",
            "returned credits do not count"
        );
    }
}
