//! The account state machine: one pure function decides what every webhook, refresh or removal
//! does to an account, so duplicates and out-of-order deliveries are settled in one place.
//!
//! Rules, with the reasons:
//! - `Revoked` is terminal: nothing brings an account back once its token and numbers are gone.
//! - `Verified` is terminal with respect to expiry and failure: a late `VERIFICATION_EXPIRED`
//!   (Plaid does not promise ordering) never undoes a verification.
//! - A proof of verification wins in either order: `AUTOMATICALLY_VERIFIED` moves even an
//!   `Expired` or `Failed` account to `Verified`, because `/auth/get` returning numbers (fetched
//!   before the change is committed) settles it. With the previous rule, the two webhooks reach
//!   the same end state whichever arrives first.
//! - Update mode (`login_required`) only matters while an account can still be used (pending or
//!   verified); entering a final state clears it.
//! - Each decision is idempotent: applying the same event to the state it produced is `Ignore`
//!   (except `NumbersChanged`, which always means "fetch again"; duplicates of that webhook are
//!   recognised by their dedupe key before they get here).

use super::status::{AccountState, Verification};

/// Something that happened to an account (from a webhook, a refresh or an API call).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// `AUTH/AUTOMATICALLY_VERIFIED`, `AUTH/SMS_MICRODEPOSITS_VERIFICATION` with
    /// `MANUALLY_VERIFIED`, or `/accounts/get` reports the account verified (either flow).
    AutomaticallyVerified,
    /// `AUTH/VERIFICATION_EXPIRED`, or `/accounts/get` reports `verification_expired`.
    VerificationExpired,
    /// `AUTH/SMS_MICRODEPOSITS_VERIFICATION` with `VERIFICATION_FAILED`, or `/accounts/get`
    /// reports `verification_failed` (three wrong Same-Day codes).
    VerificationFailed,
    /// `ITEM/ERROR` with `ITEM_LOGIN_REQUIRED`.
    LoginRequired,
    /// `ITEM/LOGIN_REPAIRED`.
    LoginRepaired,
    /// `ITEM/USER_PERMISSION_REVOKED`, or the Item was removed through the API.
    Revoked,
    /// `ITEM/USER_ACCOUNT_REVOKED`: this one account's access was revoked at the bank; the
    /// Item (and its other accounts) stays usable.
    AccountRevoked,
    /// `AUTH/DEFAULT_UPDATE`: the numbers changed at the bank.
    NumbersChanged,
}

impl Event {
    /// Every value, for exhaustive tests.
    pub const ALL: [Event; 8] = [
        Self::AutomaticallyVerified,
        Self::VerificationExpired,
        Self::VerificationFailed,
        Self::LoginRequired,
        Self::LoginRepaired,
        Self::Revoked,
        Self::AccountRevoked,
        Self::NumbersChanged,
    ];

    /// The event a Plaid `verification_status` implies, used to reconcile (`RefreshAccount`).
    /// Pending statuses imply nothing: an account never moves back to pending.
    pub fn from_plaid_status(status: Option<&str>) -> Option<Self> {
        match Verification::from_plaid(status)? {
            Verification::Verified => Some(Self::AutomaticallyVerified),
            Verification::Expired => Some(Self::VerificationExpired),
            Verification::Failed => Some(Self::VerificationFailed),
            Verification::Pending | Verification::Revoked => None,
        }
    }
}

/// A domain event to publish (`penny.event.account.<subject_suffix>`): the account events
/// every service names the same way ([`penny_bus::AccountEvent`]).
pub use penny_bus::AccountEvent as DomainEvent;

/// A side effect the caller carries out together with the state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Call `/auth/get` *before* the transaction and store the account's numbers in it.
    FetchNumbers,
    /// Delete the account's numbers and the Item's access token.
    PurgeSecrets,
    /// Delete the account's numbers only (the Item's other accounts still need its token).
    PurgeNumbers,
    /// Mark the Item locked (Plaid will not verify it any more).
    LockItem,
    /// Clear the Item's lock (verification proved it usable after all).
    UnlockItem,
    /// Publish this domain event through the outbox.
    Emit(DomainEvent),
}

/// Why an event changes nothing; recorded in the webhook history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IgnoreReason {
    /// The account is revoked; that is final.
    Revoked,
    /// Already verified with numbers stored.
    AlreadyVerified,
    /// Verified accounts never expire or fail.
    VerifiedIsFinal,
    /// Already expired or failed.
    AlreadyFinal,
    /// Already in update mode.
    AlreadyNeedsUpdate,
    /// Not in update mode, so there is nothing to repair.
    NotInUpdateMode,
    /// The account expired or failed; update mode would not help, the user must link again.
    LockedForGood,
    /// Numbers only exist for verified accounts.
    NotVerified,
}

impl IgnoreReason {
    /// A stable machine-readable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoked => "revoked_is_final",
            Self::AlreadyVerified => "already_verified",
            Self::VerifiedIsFinal => "verified_is_final",
            Self::AlreadyFinal => "already_expired_or_failed",
            Self::AlreadyNeedsUpdate => "already_needs_update",
            Self::NotInUpdateMode => "not_in_update_mode",
            Self::LockedForGood => "locked_for_good",
            Self::NotVerified => "not_verified",
        }
    }
}

/// What to do with an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Move to `state` and carry out `effects`.
    Apply {
        /// The new state.
        state: AccountState,
        /// Side effects, in order.
        effects: Vec<Effect>,
    },
    /// Change nothing (record it as ignored).
    Ignore(IgnoreReason),
}

impl Decision {
    /// Whether the decision asks for `/auth/get`.
    pub fn needs_numbers(&self) -> bool {
        matches!(self, Self::Apply { effects, .. } if effects.contains(&Effect::FetchNumbers))
    }
}

/// Decides what `event` does to an account in state `current`. Pure and total.
pub fn transition(current: AccountState, event: Event) -> Decision {
    use Decision::Ignore;
    use Verification::*;

    if current.verification == Revoked {
        return Ignore(IgnoreReason::Revoked);
    }
    let apply = |state: AccountState, effects: Vec<Effect>| Decision::Apply { state, effects };
    let final_state = |verification| AccountState {
        verification,
        login_required: false,
        has_numbers: false,
    };

    match event {
        Event::AutomaticallyVerified => match current.verification {
            Verified if current.has_numbers => Ignore(IgnoreReason::AlreadyVerified),
            // Verified without numbers (e.g. the fetch at link time failed): just fetch them.
            Verified => apply(
                AccountState {
                    has_numbers: true,
                    ..current
                },
                vec![Effect::FetchNumbers],
            ),
            Pending => apply(
                AccountState {
                    verification: Verified,
                    has_numbers: true,
                    ..current
                },
                vec![Effect::FetchNumbers, Effect::Emit(DomainEvent::Verified)],
            ),
            Expired | Failed => apply(
                AccountState {
                    verification: Verified,
                    login_required: false,
                    has_numbers: true,
                },
                vec![
                    Effect::FetchNumbers,
                    Effect::UnlockItem,
                    Effect::Emit(DomainEvent::Verified),
                ],
            ),
            Revoked => Ignore(IgnoreReason::Revoked),
        },
        Event::VerificationExpired | Event::VerificationFailed => match current.verification {
            Verified => Ignore(IgnoreReason::VerifiedIsFinal),
            Expired | Failed => Ignore(IgnoreReason::AlreadyFinal),
            Pending => {
                let (to, emitted) = if event == Event::VerificationExpired {
                    (Expired, DomainEvent::VerificationExpired)
                } else {
                    (Failed, DomainEvent::VerificationFailed)
                };
                apply(
                    final_state(to),
                    vec![Effect::LockItem, Effect::Emit(emitted)],
                )
            }
            Revoked => Ignore(IgnoreReason::Revoked),
        },
        Event::LoginRequired => match current.verification {
            Expired | Failed => Ignore(IgnoreReason::LockedForGood),
            _ if current.login_required => Ignore(IgnoreReason::AlreadyNeedsUpdate),
            _ => apply(
                AccountState {
                    login_required: true,
                    ..current
                },
                vec![Effect::Emit(DomainEvent::NeedsUpdate)],
            ),
        },
        Event::LoginRepaired => {
            if current.login_required {
                apply(
                    AccountState {
                        login_required: false,
                        ..current
                    },
                    vec![Effect::Emit(DomainEvent::LoginRepaired)],
                )
            } else {
                Ignore(IgnoreReason::NotInUpdateMode)
            }
        }
        Event::Revoked => apply(
            final_state(Revoked),
            vec![Effect::PurgeSecrets, Effect::Emit(DomainEvent::Revoked)],
        ),
        Event::AccountRevoked => apply(
            final_state(Revoked),
            vec![Effect::PurgeNumbers, Effect::Emit(DomainEvent::Revoked)],
        ),
        Event::NumbersChanged => match current.verification {
            Verified => apply(
                AccountState {
                    has_numbers: true,
                    ..current
                },
                vec![
                    Effect::FetchNumbers,
                    Effect::Emit(DomainEvent::NumbersChanged),
                ],
            ),
            _ => Ignore(IgnoreReason::NotVerified),
        },
    }
}

#[cfg(test)]
#[path = "transition_tests.rs"]
mod tests;
