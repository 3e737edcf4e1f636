//! Exhaustive tests of the send state machine: the full table over every state and event on
//! every channel, then the "never twice" property over every sequence of up to nine events.

use super::*;

use Resolution as R;
use SendEvent as E;
use SendState as S;

const POLICY: SendPolicy = SendPolicy {
    max_attempts: 3,
    max_resends: 2,
    retry_base: Duration::from_secs(2),
    retry_cap: Duration::from_secs(60),
    reconcile_after: Duration::from_secs(30),
};

const EVENTS: [SendEvent; 12] = [
    E::Claim,
    E::Accepted,
    E::Transient { retry_after: None },
    E::Transient {
        retry_after: Some(Duration::from_secs(7)),
    },
    E::Rejected,
    E::Ambiguous,
    E::ClaimExpired,
    E::Reconcile,
    E::Defer {
        by: Duration::from_secs(3600),
    },
    E::Suppress,
    E::Resolve(R::Sent),
    E::Resolve(R::Failed),
];

fn st(state: SendState, attempts: u32, resends: u32) -> SendStatus {
    SendStatus {
        state,
        attempts,
        resends,
    }
}

fn run(status: SendStatus, event: SendEvent, channel: Channel) -> Result<Move, Refusal> {
    transition(status, event, channel, &POLICY, 0.5)
}

/// The expected result of `event` in `status` on `channel`, written out case by case.
fn expected(status: SendStatus, event: SendEvent, channel: Channel) -> Result<Move, Refusal> {
    let SendStatus {
        state,
        attempts,
        resends,
    } = status;
    let mv = |to: SendStatus, due: Due| Ok(Move { to, due });
    let resendable = channel != Channel::Sms && resends < POLICY.max_resends;
    match (state, event) {
        (S::Sent | S::Failed | S::Suppressed, _) => Err(Refusal::Final(state)),
        (S::Pending, E::Claim) => mv(st(S::Sending, attempts + 1, resends), Due::Keep),
        (S::Pending, E::Defer { by }) => mv(status, Due::In(by)),
        (S::Pending, E::Suppress) => mv(st(S::Suppressed, attempts, resends), Due::Keep),
        (S::Sending, E::Accepted) => mv(st(S::Sent, attempts, resends), Due::Keep),
        (S::Sending, E::Rejected) => mv(st(S::Failed, attempts, resends), Due::Keep),
        (S::Sending, E::Transient { retry_after }) => {
            if attempts >= POLICY.max_attempts {
                mv(st(S::Failed, attempts, resends), Due::Keep)
            } else {
                let wait = retry_after.unwrap_or_else(|| POLICY.backoff(attempts, 0.5));
                mv(st(S::Pending, attempts, resends), Due::In(wait))
            }
        }
        (S::Sending, E::Ambiguous | E::ClaimExpired) => mv(
            st(S::Unknown, attempts, resends),
            if resendable {
                Due::In(POLICY.reconcile_after)
            } else {
                Due::Never
            },
        ),
        (S::Unknown, E::Reconcile) if resendable => mv(
            st(S::Pending, attempts, resends + 1),
            Due::In(Duration::ZERO),
        ),
        (S::Unknown, E::Reconcile) => Err(Refusal::HeldForOperator),
        (S::Unknown, E::Resolve(R::Sent)) => mv(st(S::Sent, attempts, resends), Due::Keep),
        (S::Unknown, E::Resolve(R::Failed)) => mv(st(S::Failed, attempts, resends), Due::Keep),
        (S::Unknown, E::Resolve(R::Resend)) => mv(
            st(S::Pending, attempts, resends + 1),
            Due::In(Duration::ZERO),
        ),
        (s, _) => Err(Refusal::NotApplicable(s)),
    }
}

#[test]
fn the_full_table() {
    let mut checked = 0;
    for state in S::ALL {
        for attempts in 0..=POLICY.max_attempts {
            for resends in 0..=POLICY.max_resends {
                for channel in Channel::ALL {
                    for event in EVENTS.into_iter().chain([E::Resolve(R::Resend)]) {
                        let status = st(state, attempts, resends);
                        assert_eq!(
                            run(status, event, channel),
                            expected(status, event, channel),
                            "{status:?} {event:?} {channel:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 6 * 4 * 3 * 3 * 13);
}

#[test]
fn a_provider_retry_after_is_honoured_and_capped() {
    let sending = st(S::Sending, 1, 0);
    let wait = |d| {
        run(
            sending,
            E::Transient {
                retry_after: Some(d),
            },
            Channel::Sms,
        )
        .unwrap()
        .due
    };
    assert_eq!(
        wait(Duration::from_secs(1)),
        Due::In(Duration::from_secs(1))
    );
    assert_eq!(wait(Duration::from_secs(3600)), Due::In(POLICY.retry_cap));
}

#[test]
fn backoff_grows_with_jitter_and_stays_under_the_cap() {
    let policy = SendPolicy::default();
    assert_eq!(policy.backoff(1, 0.0), Duration::from_secs(1));
    assert_eq!(policy.backoff(1, 0.999_999).as_millis(), 1999);
    assert_eq!(policy.backoff(2, 0.0), Duration::from_secs(2));
    for attempts in 0..100 {
        for jitter in [0.0, 0.3, 0.99, 7.0, -1.0] {
            let d = policy.backoff(attempts, jitter);
            assert!(d <= policy.retry_cap, "{attempts} {jitter}: {d:?}");
            assert!(d >= Duration::from_secs(1), "{attempts} {jitter}: {d:?}");
        }
    }
}

#[test]
fn states_round_trip_and_the_final_ones_are_final() {
    for state in S::ALL {
        assert_eq!(S::parse(state.as_str()).unwrap(), state);
    }
    assert!(S::parse("lost").is_err());
    let finals: Vec<_> = S::ALL.into_iter().filter(|s| s.is_final()).collect();
    assert_eq!(finals, [S::Sent, S::Failed, S::Suppressed]);
}

/// Walks every sequence of up to nine events from a new alert, tracking what the provider
/// may have received, and checks after every step:
///
/// - **never twice**: a claim (a provider call) while an earlier call may have delivered the
///   message happens only on a channel whose receivers deduplicate by our id (the same id is
///   sent again), or after an operator chose to resend (which takes the earlier calls on them);
/// - **never lost**: a sequence may end `unknown` but never `pending`/`sending` forever: from
///   any non-final state some event still moves it;
/// - attempts count the claims, and `sent` is reached only from an accepted or resolved send.
#[test]
fn never_twice_over_every_sequence() {
    for channel in Channel::ALL {
        let mut walked = 0u64;
        walk(channel, SendStatus::NEW, Trace::default(), 9, &mut walked);
        assert!(walked > 3_000, "{channel:?}: {walked}");
    }
}

#[derive(Clone, Copy, Default, Debug)]
struct Trace {
    /// An earlier provider call may have delivered it (and no operator took that on since).
    maybe_delivered: bool,
    claims: u32,
}

fn walk(channel: Channel, status: SendStatus, trace: Trace, depth: u32, walked: &mut u64) {
    *walked += 1;
    if !status.state.is_final() {
        let movable = EVENTS
            .into_iter()
            .chain([E::Resolve(R::Resend)])
            .any(|e| run(status, e, channel).is_ok());
        assert!(movable, "{status:?} on {channel:?} is stuck");
    }
    if depth == 0 {
        return;
    }
    for event in EVENTS.into_iter().chain([E::Resolve(R::Resend)]) {
        let Ok(mv) = run(status, event, channel) else {
            assert_eq!(
                run(status, event, channel),
                expected(status, event, channel)
            );
            continue;
        };
        let mut next = trace;
        match event {
            E::Claim => {
                assert!(
                    !trace.maybe_delivered || channel.dedupes_by_id(),
                    "a second call on {channel:?} after a possible delivery: {status:?}"
                );
                next.claims += 1;
            }
            E::Accepted | E::Ambiguous | E::ClaimExpired => next.maybe_delivered = true,
            E::Resolve(R::Resend) => next.maybe_delivered = false,
            _ => {}
        }
        assert_eq!(mv.to.attempts, next.claims, "attempts count the claims");
        if mv.to.state == S::Sent {
            assert!(matches!(event, E::Accepted | E::Resolve(R::Sent)));
        }
        walk(channel, mv.to, next, depth - 1, walked);
    }
}
