//! One pass of the reconciliation sweep: every account whose check is due is claimed (by one
//! replica), asked about at Plaid through [`Verifier::refresh_read`] (the same state machine,
//! history and domain events as a webhook; cause `sweep/reconcile`) and given its next check.
//!
//! An account needs a check while it is pending, or verified without numbers (an instant-Auth
//! account whose `/auth/get` failed at link time). A check that fails for a reason that may pass
//! (a Plaid 429 or 5xx, the budget, the database) leaves the account claimed until the claim
//! ends, then due again; one that fails for good (the Item is gone) waits for the next recheck.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use tracing::Instrument as _;

use super::{Verifier, VerifierError};
use crate::domain::Verification;
use crate::store;
use crate::store::accounts::AccountRecord;
use crate::store::reconcile::{self, Due};

/// The history and event cause of a sweep's change.
pub const SWEEP_CAUSE: &str = "sweep/reconcile";

/// How one pass runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepPass {
    /// Accounts read per pass.
    pub batch: u64,
    /// Checks in flight at once.
    pub concurrency: usize,
    /// How long a claimed account is left alone (a check that failed is retried after it).
    pub claim: Duration,
}

/// What became of one due account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckOutcome {
    /// Plaid's answer settled it (verified with numbers, expired, failed, login required...).
    Settled,
    /// Still pending at Plaid: checked again later.
    StillPending,
    /// Already settled by a webhook or the API: no Plaid call.
    AlreadySettled,
    /// Another replica claimed it first.
    ClaimedElsewhere,
    /// The check failed; retried after the claim (or at the next recheck if it cannot pass).
    Failed,
}

impl CheckOutcome {
    /// Every outcome (metric series start at 0).
    pub const ALL: [CheckOutcome; 5] = [
        Self::Settled,
        Self::StillPending,
        Self::AlreadySettled,
        Self::ClaimedElsewhere,
        Self::Failed,
    ];

    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Settled => "settled",
            Self::StillPending => "still_pending",
            Self::AlreadySettled => "already_settled",
            Self::ClaimedElsewhere => "claimed_elsewhere",
            Self::Failed => "failed",
        }
    }
}

/// Whether the sweep still has something to ask Plaid about this account.
pub fn needs_check(account: &AccountRecord) -> bool {
    match account.row.verification.parse::<Verification>() {
        Ok(Verification::Pending) => true,
        Ok(Verification::Verified) => !account.has_numbers,
        _ => false,
    }
}

impl Verifier {
    /// Checks the accounts due now (at most `pass.batch`), returning each one's outcome.
    pub async fn reconcile_due(&self, pass: SweepPass) -> Result<Vec<CheckOutcome>, VerifierError> {
        let due = reconcile::due(&self.db, store::now(), pass.batch).await?;
        Ok(futures::stream::iter(due)
            .map(|d| self.check(d, pass.claim))
            .buffer_unordered(pass.concurrency.max(1))
            .collect()
            .await)
    }

    /// Claims and checks one account. The claim runs from when it is taken (a pass waiting on
    /// the budget may reach its last accounts long after it read them).
    async fn check(&self, due: Due, claim: Duration) -> CheckOutcome {
        let now = store::now();
        let until =
            now + chrono::Duration::from_std(claim).unwrap_or_else(|_| chrono::Duration::hours(1));
        match reconcile::claim(&self.db, &due, now, until).await {
            Ok(true) => {}
            Ok(false) => return CheckOutcome::ClaimedElsewhere,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "could not claim an account to reconcile");
                return CheckOutcome::Failed;
            }
        }
        let (outcome, next) = match self.account(&due.account_id).await {
            Ok(account) if !needs_check(&account) => (CheckOutcome::AlreadySettled, Some(None)),
            Ok(account) => self.ask_plaid(&due, account).await,
            Err(VerifierError::AccountNotFound(_)) => (CheckOutcome::AlreadySettled, Some(None)),
            Err(error) => {
                tracing::warn!(error = %error, "could not read an account to reconcile");
                (CheckOutcome::Failed, None)
            }
        };
        // `None`: leave the claim to expire (then the account is due again).
        let Some(next) = next else {
            return outcome;
        };
        if let Err(error) = reconcile::schedule(&self.db, &due, next).await {
            tracing::warn!(error = %format!("{error:#}"), "could not schedule an account's next reconciliation");
        }
        outcome
    }

    /// Refreshes a claimed account from Plaid: the outcome and the next check to set, counted
    /// from the answer (`None`: leave the claim to expire; `Some(None)`: no more checks).
    async fn ask_plaid(
        &self,
        due: &Due,
        account: AccountRecord,
    ) -> (CheckOutcome, Option<Option<DateTime<Utc>>>) {
        let span =
            tracing::info_span!("reconcile", account_id = %due.account_id, check = due.checks + 1);
        let schedule = self.settings.reconcile;
        let answer = self
            .refresh_read(account, SWEEP_CAUSE)
            .instrument(span)
            .await;
        let now = store::now();
        match answer {
            Ok(after) if needs_check(&after) => (
                CheckOutcome::StillPending,
                Some(schedule.next(due.linked_at, now)),
            ),
            Ok(after) => {
                tracing::info!(account_id = %due.account_id, verification = %after.row.verification, "reconciled");
                (CheckOutcome::Settled, Some(None))
            }
            Err(error) if passes(&error) => {
                tracing::warn!(account_id = %due.account_id, error = %error, "reconciliation failed; retried after the claim");
                (CheckOutcome::Failed, None)
            }
            Err(error) => {
                tracing::warn!(account_id = %due.account_id, error = %error, "reconciliation failed; retried at the next recheck");
                (
                    CheckOutcome::Failed,
                    Some(schedule.next(due.linked_at, now)),
                )
            }
        }
    }
}

/// Whether a failed check may succeed if tried again soon.
fn passes(error: &VerifierError) -> bool {
    match error {
        VerifierError::RateLimited { .. }
        | VerifierError::Conflict
        | VerifierError::Internal(_) => true,
        VerifierError::Plaid { source, .. } => source.is_retryable(),
        _ => false,
    }
}
