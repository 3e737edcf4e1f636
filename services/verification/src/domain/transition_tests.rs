//! Exhaustive tests of the state machine: the full table over every reachable state and event,
//! then properties over every representable state.

use super::*;
use crate::domain::status::Status;

use DomainEvent as D;
use Effect::*;
use Event::*;

fn st(verification: Verification, login_required: bool, has_numbers: bool) -> AccountState {
    AccountState {
        verification,
        login_required,
        has_numbers,
    }
}

// The reachable states (the invariants: update mode only while pending or verified; numbers
// only while verified).
const P: AccountState = AccountState {
    verification: Verification::Pending,
    login_required: false,
    has_numbers: false,
};
const PL: AccountState = AccountState {
    login_required: true,
    ..P
};
const V: AccountState = AccountState {
    verification: Verification::Verified,
    login_required: false,
    has_numbers: true,
};
const VL: AccountState = AccountState {
    login_required: true,
    ..V
};
const V0: AccountState = AccountState {
    has_numbers: false,
    ..V
};
const V0L: AccountState = AccountState {
    login_required: true,
    ..V0
};
const E: AccountState = AccountState {
    verification: Verification::Expired,
    login_required: false,
    has_numbers: false,
};
const F: AccountState = AccountState {
    verification: Verification::Failed,
    ..E
};
const R: AccountState = AccountState {
    verification: Verification::Revoked,
    ..E
};
const REACHABLE: [AccountState; 9] = [P, PL, V, VL, V0, V0L, E, F, R];

fn apply(state: AccountState, effects: &[Effect]) -> Decision {
    Decision::Apply {
        state,
        effects: effects.to_vec(),
    }
}

fn ignore(reason: IgnoreReason) -> Decision {
    Decision::Ignore(reason)
}

#[test]
fn full_table_over_reachable_states() {
    use IgnoreReason as I;
    let verified = [FetchNumbers, Emit(D::Verified)];
    let reverified = [FetchNumbers, UnlockItem, Emit(D::Verified)];
    let expired = [LockItem, Emit(D::VerificationExpired)];
    let failed = [LockItem, Emit(D::VerificationFailed)];
    let revoked = [PurgeSecrets, Emit(D::Revoked)];
    let account_revoked = [PurgeNumbers, Emit(D::Revoked)];
    let numbers = [FetchNumbers, Emit(D::NumbersChanged)];
    let needs_update = [Emit(D::NeedsUpdate)];
    let repaired = [Emit(D::LoginRepaired)];

    #[rustfmt::skip]
    let table: Vec<(AccountState, Event, Decision)> = vec![
        // pending
        (P, AutomaticallyVerified, apply(V, &verified)),
        (P, VerificationExpired, apply(E, &expired)),
        (P, VerificationFailed, apply(F, &failed)),
        (P, LoginRequired, apply(PL, &needs_update)),
        (P, LoginRepaired, ignore(I::NotInUpdateMode)),
        (P, Revoked, apply(R, &revoked)),
        (P, AccountRevoked, apply(R, &account_revoked)),
        (P, NumbersChanged, ignore(I::NotVerified)),
        // pending, in update mode
        (PL, AutomaticallyVerified, apply(VL, &verified)),
        (PL, VerificationExpired, apply(E, &expired)),
        (PL, VerificationFailed, apply(F, &failed)),
        (PL, LoginRequired, ignore(I::AlreadyNeedsUpdate)),
        (PL, LoginRepaired, apply(P, &repaired)),
        (PL, Revoked, apply(R, &revoked)),
        (PL, AccountRevoked, apply(R, &account_revoked)),
        (PL, NumbersChanged, ignore(I::NotVerified)),
        // verified with numbers
        (V, AutomaticallyVerified, ignore(I::AlreadyVerified)),
        (V, VerificationExpired, ignore(I::VerifiedIsFinal)),
        (V, VerificationFailed, ignore(I::VerifiedIsFinal)),
        (V, LoginRequired, apply(VL, &needs_update)),
        (V, LoginRepaired, ignore(I::NotInUpdateMode)),
        (V, Revoked, apply(R, &revoked)),
        (V, AccountRevoked, apply(R, &account_revoked)),
        (V, NumbersChanged, apply(V, &numbers)),
        // verified with numbers, in update mode
        (VL, AutomaticallyVerified, ignore(I::AlreadyVerified)),
        (VL, VerificationExpired, ignore(I::VerifiedIsFinal)),
        (VL, VerificationFailed, ignore(I::VerifiedIsFinal)),
        (VL, LoginRequired, ignore(I::AlreadyNeedsUpdate)),
        (VL, LoginRepaired, apply(V, &repaired)),
        (VL, Revoked, apply(R, &revoked)),
        (VL, AccountRevoked, apply(R, &account_revoked)),
        (VL, NumbersChanged, apply(VL, &numbers)),
        // verified, numbers not fetched yet
        (V0, AutomaticallyVerified, apply(V, &[FetchNumbers])),
        (V0, VerificationExpired, ignore(I::VerifiedIsFinal)),
        (V0, VerificationFailed, ignore(I::VerifiedIsFinal)),
        (V0, LoginRequired, apply(V0L, &needs_update)),
        (V0, LoginRepaired, ignore(I::NotInUpdateMode)),
        (V0, Revoked, apply(R, &revoked)),
        (V0, AccountRevoked, apply(R, &account_revoked)),
        (V0, NumbersChanged, apply(V, &numbers)),
        // verified, numbers not fetched yet, in update mode
        (V0L, AutomaticallyVerified, apply(VL, &[FetchNumbers])),
        (V0L, VerificationExpired, ignore(I::VerifiedIsFinal)),
        (V0L, VerificationFailed, ignore(I::VerifiedIsFinal)),
        (V0L, LoginRequired, ignore(I::AlreadyNeedsUpdate)),
        (V0L, LoginRepaired, apply(V0, &repaired)),
        (V0L, Revoked, apply(R, &revoked)),
        (V0L, AccountRevoked, apply(R, &account_revoked)),
        (V0L, NumbersChanged, apply(VL, &numbers)),
        // expired
        (E, AutomaticallyVerified, apply(V, &reverified)),
        (E, VerificationExpired, ignore(I::AlreadyFinal)),
        (E, VerificationFailed, ignore(I::AlreadyFinal)),
        (E, LoginRequired, ignore(I::LockedForGood)),
        (E, LoginRepaired, ignore(I::NotInUpdateMode)),
        (E, Revoked, apply(R, &revoked)),
        (E, AccountRevoked, apply(R, &account_revoked)),
        (E, NumbersChanged, ignore(I::NotVerified)),
        // failed
        (F, AutomaticallyVerified, apply(V, &reverified)),
        (F, VerificationExpired, ignore(I::AlreadyFinal)),
        (F, VerificationFailed, ignore(I::AlreadyFinal)),
        (F, LoginRequired, ignore(I::LockedForGood)),
        (F, LoginRepaired, ignore(I::NotInUpdateMode)),
        (F, Revoked, apply(R, &revoked)),
        (F, AccountRevoked, apply(R, &account_revoked)),
        (F, NumbersChanged, ignore(I::NotVerified)),
    ];
    // revoked: every event is ignored
    let mut table = table;
    for e in Event::ALL {
        table.push((R, e, ignore(I::Revoked)));
    }

    assert_eq!(table.len(), REACHABLE.len() * Event::ALL.len());
    for (state, event, want) in table {
        assert_eq!(transition(state, event), want, "{state:?} + {event:?}");
    }
}

fn all_states() -> Vec<AccountState> {
    let mut out = Vec::new();
    for v in Verification::ALL {
        for l in [false, true] {
            for n in [false, true] {
                out.push(st(v, l, n));
            }
        }
    }
    out
}

fn invariants_hold(s: AccountState) -> bool {
    let usable = matches!(
        s.verification,
        Verification::Pending | Verification::Verified
    );
    (!s.login_required || usable) && (!s.has_numbers || s.verification == Verification::Verified)
}

#[test]
fn reachable_set_is_closed_under_every_event() {
    for s in REACHABLE {
        assert!(invariants_hold(s), "{s:?}");
        for e in Event::ALL {
            if let Decision::Apply { state, .. } = transition(s, e) {
                assert!(REACHABLE.contains(&state), "{s:?} + {e:?} -> {state:?}");
            }
        }
    }
}

#[test]
fn revoked_is_absorbing() {
    for s in all_states()
        .into_iter()
        .filter(|s| s.verification == Verification::Revoked)
    {
        for e in Event::ALL {
            assert_eq!(transition(s, e), Decision::Ignore(IgnoreReason::Revoked));
        }
    }
}

#[test]
fn verified_never_expires_fails_or_goes_back_to_pending() {
    for s in all_states()
        .into_iter()
        .filter(|s| s.verification == Verification::Verified)
    {
        for e in Event::ALL {
            if let Decision::Apply { state, .. } = transition(s, e) {
                assert!(
                    matches!(
                        state.verification,
                        Verification::Verified | Verification::Revoked
                    ),
                    "{s:?} + {e:?} -> {state:?}"
                );
            }
        }
    }
}

#[test]
fn nothing_ever_moves_back_to_pending_from_elsewhere() {
    for s in all_states() {
        for e in Event::ALL {
            if let Decision::Apply { state, .. } = transition(s, e)
                && state.verification == Verification::Pending
            {
                assert_eq!(s.verification, Verification::Pending, "{s:?} + {e:?}");
            }
        }
    }
}

#[test]
fn applying_the_same_event_twice_changes_nothing_the_second_time() {
    for s in all_states() {
        for e in Event::ALL.into_iter().filter(|e| *e != NumbersChanged) {
            if let Decision::Apply { state, .. } = transition(s, e) {
                assert!(
                    matches!(transition(state, e), Decision::Ignore(_)),
                    "{s:?} + {e:?} twice"
                );
            }
        }
    }
}

#[test]
fn an_event_is_emitted_exactly_when_the_status_or_verification_changes_or_numbers_change() {
    for s in REACHABLE {
        for e in Event::ALL {
            let Decision::Apply { state, effects } = transition(s, e) else {
                continue;
            };
            let emitted: Vec<_> = effects
                .iter()
                .filter_map(|f| match f {
                    Emit(d) => Some(*d),
                    _ => None,
                })
                .collect();
            assert!(emitted.len() <= 1, "{s:?} + {e:?}: {emitted:?}");
            // Verified while in update mode shows as needs-update both before and after, but
            // "verified" is still news: the numbers are there now.
            let status_changed =
                s.status() != state.status() || s.verification != state.verification;
            let numbers_changed = emitted == [D::NumbersChanged];
            assert_eq!(
                !emitted.is_empty(),
                status_changed || numbers_changed,
                "{s:?} + {e:?}: {emitted:?}"
            );
        }
    }
}

#[test]
fn numbers_are_fetched_exactly_when_the_result_needs_new_numbers() {
    for s in REACHABLE {
        for e in Event::ALL {
            let d = transition(s, e);
            let Decision::Apply { state, effects } = &d else {
                continue;
            };
            let fetch = effects.contains(&FetchNumbers);
            let wants = state.has_numbers && (!s.has_numbers || e == NumbersChanged);
            assert_eq!(fetch, wants, "{s:?} + {e:?}");
            assert_eq!(d.needs_numbers(), fetch);
            if effects.contains(&PurgeSecrets) || effects.contains(&PurgeNumbers) {
                assert!(!state.has_numbers);
            }
        }
    }
}

/// Applies a sequence of events, skipping ignored ones.
fn run(start: AccountState, events: &[Event]) -> AccountState {
    events.iter().fold(start, |s, e| match transition(s, *e) {
        Decision::Apply { state, .. } => state,
        Decision::Ignore(_) => s,
    })
}

#[test]
fn verification_and_expiry_converge_in_either_order() {
    for start in [P, PL] {
        let a = run(start, &[AutomaticallyVerified, VerificationExpired]);
        let b = run(start, &[VerificationExpired, AutomaticallyVerified]);
        assert_eq!(a.verification, Verification::Verified);
        assert_eq!(b.verification, Verification::Verified);
        assert!(a.has_numbers && b.has_numbers);
        // The update-mode flag may differ (expiry clears it), but then /auth/get decides.
        assert_eq!(b.status(), Status::Verified);
    }
}

#[test]
fn duplicates_interleaved_with_reordering_end_in_the_same_state() {
    let order1 = [
        AutomaticallyVerified,
        AutomaticallyVerified,
        VerificationExpired,
        AutomaticallyVerified,
        VerificationExpired,
    ];
    let order2 = [
        VerificationExpired,
        VerificationExpired,
        AutomaticallyVerified,
        VerificationExpired,
        AutomaticallyVerified,
    ];
    assert_eq!(run(P, &order1), run(P, &order2));
    assert_eq!(run(P, &order1), V);
}

#[test]
fn revocation_after_anything_ends_revoked_with_nothing_kept() {
    for s in REACHABLE {
        for e in Event::ALL {
            let end = run(s, &[e, Revoked, e]);
            assert_eq!(end, R, "{s:?} + {e:?} then revoked");
        }
    }
}

#[test]
fn plaid_statuses_reconcile_through_events() {
    assert_eq!(
        Event::from_plaid_status(Some("automatically_verified")),
        Some(AutomaticallyVerified)
    );
    assert_eq!(
        Event::from_plaid_status(Some("verification_expired")),
        Some(VerificationExpired)
    );
    assert_eq!(
        Event::from_plaid_status(Some("verification_failed")),
        Some(VerificationFailed)
    );
    assert_eq!(
        Event::from_plaid_status(Some("pending_automatic_verification")),
        None
    );
    assert_eq!(Event::from_plaid_status(Some("new_thing")), None);
}

#[test]
fn subjects_are_distinct_nats_tokens() {
    let all = [
        D::Verified,
        D::VerificationExpired,
        D::VerificationFailed,
        D::NeedsUpdate,
        D::LoginRepaired,
        D::Revoked,
        D::NumbersChanged,
    ];
    let mut seen = std::collections::HashSet::new();
    for d in all {
        let s = d.subject_suffix();
        assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
        assert!(seen.insert(s));
    }
}
