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
const AUTH_GET: &str = "auth_get";

impl Verifier {
    /// Waits for one unit of `endpoint`'s budget for `item_id`, at most `max_wait`.
    pub(crate) async fn rate_limit(
        &self,
        endpoint: &str,
        item_id: &str,
        max_wait: Duration,
    ) -> Result<(), VerifierError> {
        let deadline = Instant::now() + max_wait;
        loop {
            let grant = self
                .limiter
                .acquire(endpoint, item_id)
                .await
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
    #[tracing::instrument(skip_all, fields(item_id = %item_id, accounts = account_ids.len()))]
    pub(crate) async fn fetch_numbers(
        &self,
        item_id: &str,
        token: &AccessToken,
        account_ids: &[String],
        max_wait: Duration,
    ) -> Result<HashMap<String, Numbers>, VerifierError> {
        self.rate_limit(AUTH_GET, item_id, max_wait).await?;
        let response = self
            .plaid
            .auth_get_for_accounts(token, account_ids)
            .await
            .map_err(VerifierError::plaid("/auth/get"))?;
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
