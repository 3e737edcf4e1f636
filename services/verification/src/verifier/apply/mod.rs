//! [`Verifier::apply`] and [`Verifier::apply_batch`]: the one path every status change takes,
//! for one change or for a batch of webhooks handled together (one read for all, one
//! transaction for all).
//!
//! A batch is processed in rounds with at most one change per Item (a second change to an Item
//! waits for the next round, so it is judged against the first's committed result). Per round:
//!
//! 0. Take this replica's lock on each Item (in Item order) and skip the webhooks already
//!    processed (same stream message, or the same body within the dedupe window: see the
//!    `inbox` module), all with one query.
//! 1. Read the Items and their accounts (one query each) and run the state machine on each
//!    target account, outside any transaction ([`plan`]).
//! 2. Where a decision asks for numbers, call `/auth/get` for those accounts, concurrently and
//!    each under the shared rate limit (a webhook whose budget is spent fails at once with
//!    [`VerifierError::RateLimited`] and its turn).
//! 3. In one transaction ([`commit`]): lock the Item rows (in Item order: a row lock on
//!    PostgreSQL, the write lock on SQLite, so changes to one Item are serialised across
//!    replicas), check the dedupe again (a duplicate that committed meanwhile is seen here),
//!    re-read the accounts and decide again (the state may have moved since step 1), then write
//!    every change of the round with set statements: the new states (version-checked), numbers,
//!    purges, outbox events (each in its own webhook's trace), the history and the inbox.
//!    Commit. A change whose decision needs numbers it was not planned with fails alone
//!    ([`VerifierError::Conflict`]: retry); a version conflict fails the round.

mod commit;
mod plan;

use std::collections::HashMap;
use std::time::Duration;

use tracing::Instrument as _;

use super::change::{ChangeRequest, Report};
use super::{Verifier, VerifierError};
use crate::crash::{CrashPoint, maybe_crash};
use crate::domain::Event;
use crate::store::{Numbers, items};

/// What one change ended with.
pub type Result = std::result::Result<Report, VerifierError>;

impl Verifier {
    /// Applies one change (see the module docs). Errors: unknown Item/account, Plaid failures
    /// of `/auth/get`, rate limiting, [`VerifierError::Conflict`] (retry) and
    /// [`VerifierError::Duplicate`] (already processed).
    pub async fn apply(&self, req: &ChangeRequest) -> Result {
        self.apply_batch(std::slice::from_ref(req))
            .await
            .pop()
            .unwrap_or(Err(VerifierError::Conflict))
    }

    /// Applies several changes together; one result per change, in order. Work for one change
    /// (its `/auth/get` call) runs in the change's span, so it joins that webhook's trace.
    pub async fn apply_batch(&self, reqs: &[ChangeRequest]) -> Vec<Result> {
        let mut results: Vec<Option<Result>> = (0..reqs.len()).map(|_| None).collect();
        for round in rounds(reqs) {
            self.apply_round(reqs, &round, &mut results).await;
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or(Err(VerifierError::Conflict)))
            .collect()
    }

    /// One round: the changes `round` (indexes into `reqs`, at most one per Item).
    async fn apply_round(
        &self,
        reqs: &[ChangeRequest],
        round: &[usize],
        results: &mut [Option<Result>],
    ) {
        let mut item_ids: Vec<&str> = round.iter().map(|&i| reqs[i].item_id.as_str()).collect();
        item_ids.sort_unstable();
        let mut guards = Vec::with_capacity(item_ids.len());
        for id in &item_ids {
            guards.push(self.item_locks.lock(id).await);
        }
        let mut live: Vec<usize> = Vec::with_capacity(round.len());
        match self.duplicates(&self.db, reqs, round).await {
            Ok(duplicate) => {
                for (&i, dup) in round.iter().zip(duplicate) {
                    if dup {
                        results[i] = Some(Err(VerifierError::Duplicate));
                    } else {
                        live.push(i);
                    }
                }
            }
            Err(e) => return fail_all(round, results, &e),
        }
        let plans = match self.plan(reqs, &live, &item_ids).await {
            Ok(plans) => plans,
            Err(e) => return fail_all(&live, results, &e),
        };
        let mut fetched: HashMap<usize, HashMap<String, Numbers>> = HashMap::new();
        let mut ready: Vec<usize> = Vec::with_capacity(live.len());
        let fetches = plans
            .iter()
            .filter(|(_, p)| !p.need_numbers.is_empty())
            .map(|(&i, p)| {
                let req = &reqs[i];
                let work = self.numbers_for(req, p).instrument(req.span.clone());
                async move { (i, work.await) }
            });
        for (i, outcome) in futures::future::join_all(fetches).await {
            match outcome {
                Ok(numbers) => {
                    fetched.insert(i, numbers);
                }
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        for (&i, plan) in &plans {
            match &plan.error {
                Some(e) => results[i] = Some(Err(e.clone_kind())),
                None if results[i].is_none() => ready.push(i),
                None => {}
            }
        }
        ready.sort_unstable();
        if ready.iter().any(|&i| self.crash_points_apply(&reqs[i])) {
            maybe_crash(self.settings.crash_at, CrashPoint::AfterAuthGet);
        }
        let committed = self.commit(reqs, &ready, &fetched).await;
        for (i, outcome) in committed {
            results[i] = Some(outcome);
        }
        drop(guards);
        if ready.iter().any(|&i| self.crash_points_apply(&reqs[i])) {
            maybe_crash(self.settings.crash_at, CrashPoint::AfterCommit);
        }
    }

    /// `/auth/get` for the accounts `plan` needs numbers of. A webhook does not wait for budget
    /// (the consumer hands it back with its turn); an API call waits a little.
    async fn numbers_for(
        &self,
        req: &ChangeRequest,
        plan: &plan::Plan,
    ) -> std::result::Result<HashMap<String, Numbers>, VerifierError> {
        let item = plan.item.as_ref().ok_or(VerifierError::Conflict)?;
        let token = items::access_token(&self.secrets, item)?
            .ok_or_else(|| VerifierError::Revoked(item.item_id.clone()))?;
        let max_wait = if req.webhook.is_some() {
            Duration::ZERO
        } else {
            self.settings.api_rate_wait
        };
        self.fetch_numbers(&item.item_id, &token, &plan.need_numbers, max_wait)
            .await
    }

    /// Fault injection applies to the `AUTOMATICALLY_VERIFIED` webhook handler only.
    fn crash_points_apply(&self, req: &ChangeRequest) -> bool {
        self.settings.crash_at.is_some()
            && req.event == Event::AutomaticallyVerified
            && req.webhook.is_some()
    }
}

/// The changes split into rounds of at most one change per Item, in arrival order.
fn rounds(reqs: &[ChangeRequest]) -> Vec<Vec<usize>> {
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, req) in reqs.iter().enumerate() {
        let n = seen.entry(req.item_id.as_str()).or_insert(0);
        if rounds.len() <= *n {
            rounds.push(Vec::new());
        }
        rounds[*n].push(i);
        *n += 1;
    }
    rounds
}

/// Sets every change of `which` to a failure like `e` (a database or NATS error: retry).
fn fail_all(which: &[usize], results: &mut [Option<Result>], e: &VerifierError) {
    for &i in which {
        results[i] = Some(Err(e.clone_kind()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifier::Target;

    fn req(item: &str) -> ChangeRequest {
        ChangeRequest {
            item_id: item.to_owned(),
            target: Target::AllOfItem,
            event: Event::AutomaticallyVerified,
            cause: "test".to_owned(),
            webhook: None,
            plaid_status: None,
            span: tracing::Span::none(),
        }
    }

    #[test]
    fn a_second_change_to_an_item_waits_for_the_next_round() {
        let reqs = [req("a"), req("b"), req("a"), req("c"), req("a")];
        assert_eq!(rounds(&reqs), vec![vec![0, 1, 3], vec![2], vec![4]]);
        assert!(rounds(&[]).is_empty());
    }
}
