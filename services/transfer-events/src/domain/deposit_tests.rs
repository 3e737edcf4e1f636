//! Every (current, incoming) pair of [`step`], written out.

use super::*;
use Stage::*;

/// `M(stage, announce)` or `I` for each incoming stage, in [`Stage::ALL`] order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum E {
    M(Stage, Option<DepositState>),
    I,
}
use E::{I, M};

const P: Option<DepositState> = Some(DepositState::Posted);
const R: Option<DepositState> = Some(DepositState::Reversed);
const F: Option<DepositState> = Some(DepositState::Failed);
const C: Option<DepositState> = Some(DepositState::Cancelled);

fn expected(current: Option<Stage>) -> [E; 7] {
    //            Pending          Posted           Settled            FundsAvailable          Reversed          Failed          Cancelled
    match current {
        None => [
            M(Pending, None),
            M(Posted, P),
            M(Settled, P),
            M(FundsAvailable, P),
            M(Reversed, R),
            M(Failed, F),
            M(Cancelled, C),
        ],
        Some(Pending) => [
            I,
            M(Posted, P),
            M(Settled, P),
            M(FundsAvailable, P),
            M(Reversed, R),
            M(Failed, F),
            M(Cancelled, C),
        ],
        Some(Posted) => [
            I,
            I,
            M(Settled, None),
            M(FundsAvailable, None),
            M(Reversed, R),
            I,
            I,
        ],
        Some(Settled) => [I, I, I, M(FundsAvailable, None), M(Reversed, R), I, I],
        Some(FundsAvailable) => [I, I, I, I, M(Reversed, R), I, I],
        Some(Reversed) | Some(Failed) | Some(Cancelled) => [I; 7],
    }
}

#[test]
fn every_pair_of_stages() {
    let currents = std::iter::once(None).chain(Stage::ALL.into_iter().map(Some));
    let mut checked = 0;
    for current in currents {
        for (incoming, want) in Stage::ALL.into_iter().zip(expected(current)) {
            let got = match step(current, incoming) {
                Step::Move { stage, announce } => M(stage, announce),
                Step::Ignore => I,
            };
            assert_eq!(got, want, "{current:?} + {incoming:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 8 * 7);
}

#[test]
fn posted_is_announced_once_along_transfers_lifecycle() {
    let mut at = None;
    let mut announced = Vec::new();
    for incoming in [
        Pending,
        Posted,
        Posted,
        Settled,
        FundsAvailable,
        Reversed,
        Posted,
    ] {
        if let Step::Move { stage, announce } = step(at, incoming) {
            at = Some(stage);
            announced.extend(announce);
        }
    }
    assert_eq!(at, Some(Reversed));
    assert_eq!(announced, [DepositState::Posted, DepositState::Reversed]);
}

#[test]
fn states_and_names() {
    for stage in Stage::ALL {
        assert_eq!(stage.as_str().parse::<Stage>(), Ok(stage));
    }
    assert!("returned".parse::<Stage>().is_err());
    assert_eq!(Settled.state(), DepositState::Posted);
    assert_eq!(FundsAvailable.state(), DepositState::Posted);
    assert_eq!(DepositState::Reversed.subject_suffix(), "reversed");
    assert_eq!(DepositState::Posted.to_proto(), pb::DepositState::Posted);
    assert_eq!("debit".parse::<Direction>(), Ok(Direction::Debit));
    assert_eq!(Direction::Credit.to_proto(), pb::DepositDirection::Credit);
}
