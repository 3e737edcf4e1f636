//! Account numbers: fetching them from `/auth/get` within the shared rate limit, and reading the
//! stored ones.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use penny_plaid::AccessToken;
use tokio::time::Instant;

use super::{Verifier, VerifierError};
use crate::domain::Verification;
use crate::store::{Numbers, accounts};
use penny_bus::kv::Grant;

/// Limiter key of `/auth/get`.
pub(crate) const AUTH_GET: &str = "auth_get";

impl Verifier {
    /// Takes one unit of `endpoint`'s budget for `item_id`, waiting at most `max_wait`; with
    /// `hand_back` (a webhook, which never waits) a spent budget takes the caller's turn among
    /// the waiters and fails with the time until it, so it comes back when a unit is likely
    /// free for it.
    pub(crate) async fn rate_limit(
        &self,
        endpoint: &str,
        item_id: &str,
        max_wait: Duration,
        hand_back: bool,
    ) -> Result<(), VerifierError> {
        let deadline = Instant::now() + max_wait;
        loop {
            let grant = if hand_back {
                self.limiter.acquire_or_queue(endpoint, item_id).await
            } else {
                self.limiter.acquire(endpoint, item_id).await
            }
            .map_err(|e| VerifierError::Internal(anyhow::Error::new(e)))?;
            match grant {
                Grant::Granted => return Ok(()),
                Grant::Wait(wait) => {
                    if Instant::now() + wait > deadline {
                        return Err(VerifierError::RateLimited { retry_after: wait });
                    }
                    tracing::debug!(?wait, endpoint, "rate-limit budget spent; waiting");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Calls `/auth/get` for `account_ids` of an Item and returns their ACH numbers.
    ///
    /// Every HTTP attempt takes a unit of the shared budget first, so Plaid never sees more
    /// calls than the limiter counted. A webhook (`max_wait` zero) makes one attempt: its retry
    /// is the consumer's redelivery, which takes a unit of its own. An API call retries a
    /// retryable failure by the Plaid client's rule, taking a unit (waiting at most what is left
    /// of `max_wait`) before each attempt.
    #[tracing::instrument(skip_all, fields(item_id = %item_id, accounts = account_ids.len()))]
    pub(crate) async fn fetch_numbers(
        &self,
        item_id: &str,
        token: &AccessToken,
        account_ids: &[String],
        max_wait: Duration,
    ) -> Result<HashMap<String, Numbers>, VerifierError> {
        let deadline = Instant::now() + max_wait;
        let hand_back = max_wait.is_zero();
        let attempts = if hand_back {
            1
        } else {
            1 + self.plaid.max_retries()
        };
        let once = self.plaid.with_max_retries(0);
        let mut attempt = 1;
        let response = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            self.rate_limit(AUTH_GET, item_id, left, hand_back).await?;
            match once.auth_get_for_accounts(token, account_ids).await {
                Ok(response) => break response,
                Err(e) if e.is_retryable() && attempt < attempts => {
                    tokio::time::sleep(self.plaid.retry_delay(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(VerifierError::plaid("/auth/get")(e)),
            }
        };
        let mut out = HashMap::new();
        for id in account_ids {
            let ach = response.numbers.ach_for(id).ok_or_else(|| {
                anyhow::anyhow!("/auth/get returned no ACH numbers for account {id}")
            })?;
            out.insert(
                id.clone(),
                Numbers {
                    account: ach.account.clone(),
                    routing: ach.routing.clone(),
                    wire_routing: ach.wire_routing.clone(),
                },
            );
        }
        Ok(out)
    }

    /// The stored numbers of a verified account and when they were fetched.
    pub async fn numbers(
        &self,
        account_id: &str,
    ) -> Result<(Numbers, DateTime<Utc>), VerifierError> {
        let account = accounts::find(&self.db, account_id)
            .await?
            .ok_or_else(|| VerifierError::AccountNotFound(account_id.to_owned()))?;
        let state = account.state()?;
        if state.verification != Verification::Verified {
            return Err(VerifierError::NotVerified {
                account_id: account_id.to_owned(),
                status: state.status(),
            });
        }
        let (sealed, fetched_at) = accounts::numbers(&self.db, account_id)
            .await?
            .ok_or_else(|| VerifierError::NumbersMissing(account_id.to_owned()))?;
        let numbers = self
            .secrets
            .open_numbers(account_id, &sealed)
            .map_err(anyhow::Error::new)?;
        Ok((numbers, fetched_at))
    }
}
