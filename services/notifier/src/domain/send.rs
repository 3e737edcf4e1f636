//! The send state machine of one alert: one pure function ([`transition`]) decides what every
//! step of a delivery does, so retries, crashes and duplicates are settled in one place.
//!
//! ```text
//!            Claim                Accepted
//! pending ──────────▶ sending ──────────────▶ sent
//!   ▲ │ ▲                │  │ Rejected, or Transient with no attempts left
//!   │ │ └── Transient ───┘  └──────────────────────▶ failed
//!   │ │     (jittered backoff, or the provider's Retry-After)
//!   │ │ Suppress                 │ Ambiguous (request written, no answer), ClaimExpired (sender died)
//!   │ └──────▶ suppressed        ▼
//!   └──────── Reconcile ──── unknown ── Resolve(Sent | Failed | Resend) by an operator
//!     (email and push only: the resend carries the same Message-ID / webhook-id)
//! ```
//!
//! Rules, with the reasons:
//! - An alert is **claimed before the provider is called** (`pending → sending`, one more
//!   attempt), by a compare-and-set on its row, so two replicas never both send it.
//! - Going back to `pending` needs proof that nothing was delivered (`Transient`: the
//!   connection was refused, the server answered 4xx before the message, the API said 429),
//!   or an id the receiver deduplicates by (`Reconcile` on email and push), or an operator.
//! - An outcome that cannot be known (`Ambiguous`: a timeout between the request and the
//!   answer, an SMS API 500; `ClaimExpired`: the sender died mid-call) is `unknown`, never
//!   retried like a failure. Email and push leave `unknown` by a resend with the same id after
//!   `reconcile_after` (at most `max_resends` times); SMS has no such id and waits for an
//!   operator ([`Resolution`]).
//! - `sent`, `failed` and `suppressed` are final.

use std::time::Duration;

use super::kind::Channel;

/// Where an alert stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendState {
    /// Waiting for its due time.
    Pending,
    /// Claimed by a sender; the provider is being called.
    Sending,
    /// The provider accepted it.
    Sent,
    /// The provider refused it, or retries ran out.
    Failed,
    /// The provider may or may not have it.
    Unknown,
    /// Not sent on purpose.
    Suppressed,
}

impl SendState {
    /// Every state.
    pub const ALL: [SendState; 6] = [
        Self::Pending,
        Self::Sending,
        Self::Sent,
        Self::Failed,
        Self::Unknown,
        Self::Suppressed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::Suppressed => "suppressed",
        }
    }

    /// The state called `name`.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| format!("unknown send state {name:?}"))
    }

    /// Whether nothing changes it any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Sent | Self::Failed | Self::Suppressed)
    }
}

/// The state-machine part of an alert row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SendStatus {
    /// Where it stands.
    pub state: SendState,
    /// Provider calls started (claims).
    pub attempts: u32,
    /// Resends after an unknown outcome.
    pub resends: u32,
}

impl SendStatus {
    /// A new alert.
    pub const NEW: SendStatus = SendStatus {
        state: SendState::Pending,
        attempts: 0,
        resends: 0,
    };
}

/// An operator's verdict on an `unknown` alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// The person got it (e.g. the provider's console says delivered).
    Sent,
    /// Give up on it.
    Failed,
    /// Send it again (the operator accepts the risk of a second message).
    Resend,
}

/// What happened to an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendEvent {
    /// A sender claims the due alert, before calling the provider.
    Claim,
    /// The provider accepted it.
    Accepted,
    /// Nothing was delivered and trying later can work; `retry_after` is the provider's wait.
    Transient {
        /// The provider's `Retry-After`, if it gave one.
        retry_after: Option<Duration>,
    },
    /// The provider refused it for good (mailbox rejected, 4xx from the SMS API).
    Rejected,
    /// The request was written and no usable answer came: the outcome cannot be known.
    Ambiguous,
    /// The sender's claim ran out without an outcome (it died or hung mid-call).
    ClaimExpired,
    /// Time to settle an unknown outcome.
    Reconcile,
    /// Quiet hours: wait this long.
    Defer {
        /// How long from now.
        by: Duration,
    },
    /// It must not go out (switched off, contact deleted).
    Suppress,
    /// An operator settles an unknown alert.
    Resolve(Resolution),
}

/// The knobs of the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendPolicy {
    /// Provider calls before a transiently failing alert is `failed`.
    pub max_attempts: u32,
    /// Resends after unknown outcomes (email and push) before it waits for an operator.
    pub max_resends: u32,
    /// First retry delay ceiling (doubles per attempt).
    pub retry_base: Duration,
    /// Largest retry delay.
    pub retry_cap: Duration,
    /// How long an unknown outcome waits before its resend.
    pub reconcile_after: Duration,
}

impl Default for SendPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            max_resends: 3,
            retry_base: Duration::from_secs(2),
            retry_cap: Duration::from_secs(600),
            reconcile_after: Duration::from_secs(60),
        }
    }
}

impl SendPolicy {
    /// The wait before attempt `attempts + 1` after a transient failure: equal jitter over an
    /// exponential ceiling (half the ceiling plus `jitter` ∈ [0, 1) of the other half), so
    /// replicas retrying at once spread out but never retry at once.
    pub fn backoff(&self, attempts: u32, jitter: f64) -> Duration {
        let exp = attempts.saturating_sub(1).min(20);
        let ceiling = self
            .retry_base
            .saturating_mul(1u32 << exp)
            .min(self.retry_cap);
        let half = ceiling / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// How the due time changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Unchanged.
    Keep,
    /// This long from now.
    In(Duration),
    /// No due time: it waits for an operator.
    Never,
}

/// A transition to carry out (a compare-and-set from the current status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    /// The status after.
    pub to: SendStatus,
    /// The due time after.
    pub due: Due,
}

/// Why an event does nothing in a state (the caller writes nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The state is final.
    Final(SendState),
    /// The event does not apply to the state (e.g. an outcome for an alert nobody claimed).
    NotApplicable(SendState),
    /// An unknown SMS (or one out of resends) waits for an operator.
    HeldForOperator,
}

/// What `event` does to an alert on `channel` in `status`. `jitter` ∈ [0, 1) spreads retries.
pub fn transition(
    status: SendStatus,
    event: SendEvent,
    channel: Channel,
    policy: &SendPolicy,
    jitter: f64,
) -> Result<Move, Refusal> {
    use SendEvent as E;
    use SendState as S;
    let at = |state: SendState, due: Due| Move {
        to: SendStatus { state, ..status },
        due,
    };
    match (status.state, event) {
        (s, _) if s.is_final() => Err(Refusal::Final(s)),

        (S::Pending, E::Claim) => Ok(Move {
            to: SendStatus {
                state: S::Sending,
                attempts: status.attempts.saturating_add(1),
                ..status
            },
            due: Due::Keep,
        }),
        (S::Pending, E::Defer { by }) => Ok(at(S::Pending, Due::In(by))),
        (S::Pending, E::Suppress) => Ok(at(S::Suppressed, Due::Keep)),

        (S::Sending, E::Accepted) => Ok(at(S::Sent, Due::Keep)),
        (S::Sending, E::Rejected) => Ok(at(S::Failed, Due::Keep)),
        (S::Sending, E::Transient { .. }) if status.attempts >= policy.max_attempts => {
            Ok(at(S::Failed, Due::Keep))
        }
        (S::Sending, E::Transient { retry_after }) => {
            let wait = retry_after
                .map(|d| d.min(policy.retry_cap))
                .unwrap_or_else(|| policy.backoff(status.attempts, jitter));
            Ok(at(S::Pending, Due::In(wait)))
        }
        (S::Sending, E::Ambiguous | E::ClaimExpired) => {
            let due = if resendable(status, channel, policy) {
                Due::In(policy.reconcile_after)
            } else {
                Due::Never
            };
            Ok(at(S::Unknown, due))
        }

        (S::Unknown, E::Reconcile) if resendable(status, channel, policy) => Ok(Move {
            to: SendStatus {
                state: S::Pending,
                resends: status.resends.saturating_add(1),
                ..status
            },
            due: Due::In(Duration::ZERO),
        }),
        (S::Unknown, E::Reconcile) => Err(Refusal::HeldForOperator),
        (S::Unknown, E::Resolve(Resolution::Sent)) => Ok(at(S::Sent, Due::Keep)),
        (S::Unknown, E::Resolve(Resolution::Failed)) => Ok(at(S::Failed, Due::Keep)),
        (S::Unknown, E::Resolve(Resolution::Resend)) => Ok(Move {
            to: SendStatus {
                state: S::Pending,
                resends: status.resends.saturating_add(1),
                ..status
            },
            due: Due::In(Duration::ZERO),
        }),

        (
            s @ (S::Pending | S::Sending | S::Unknown),
            E::Claim
            | E::Accepted
            | E::Rejected
            | E::Transient { .. }
            | E::Ambiguous
            | E::ClaimExpired
            | E::Reconcile
            | E::Defer { .. }
            | E::Suppress
            | E::Resolve(_),
        ) => Err(Refusal::NotApplicable(s)),
        (s @ (S::Sent | S::Failed | S::Suppressed), _) => Err(Refusal::Final(s)),
    }
}

/// Whether an unknown alert may leave `unknown` by a resend without an operator.
fn resendable(status: SendStatus, channel: Channel, policy: &SendPolicy) -> bool {
    channel.dedupes_by_id() && status.resends < policy.max_resends
}

#[cfg(test)]
#[path = "send_tests.rs"]
mod tests;
