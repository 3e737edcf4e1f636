//! Linking: the idempotent public-token exchange.
//!
//! The exchange is keyed by the SHA-256 of the public token (never the token itself). The first
//! caller claims it and talks to Plaid; a concurrent duplicate waits for that claim to complete
//! and returns the same Item; a later duplicate finds the completed row and returns the Item
//! without calling Plaid. The sealed access token is kept with the claim as soon as Plaid
//! returns it, so an attempt that fails or dies before the Item is stored is resumed by the
//! next call (after `exchange_stale_after` for a silent death, at once after a failure)
//! without exchanging the single-use public token again.

use std::time::Duration;

use chrono::{DateTime, Utc};

use penny_plaid::{AccountBase, PublicToken};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::{Verifier, VerifierError};
use crate::domain::{AccountState, DomainEvent, Flow, Verification};
use crate::events::{self, AccountEventFacts};
use crate::store::accounts::{AccountRecord, NewAccount};
use crate::store::exchanges::{self, Claim, Exchanged};
use crate::store::{self, Numbers, accounts, items};

/// An account as Link's `onSuccess` metadata lists it (a fallback for fields `/accounts/get`
/// leaves out).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkAccountInput {
    pub account_id: String,
    pub name: String,
    pub mask: String,
    pub subtype: String,
    /// Plaid `verification_status` as Link reported it.
    pub verification_status: String,
}

/// How often a waiting duplicate looks at the claim.
const CLAIM_POLL: Duration = Duration::from_millis(50);

impl Verifier {
    /// Exchanges a public token and stores the Item, its accounts and their status. Idempotent
    /// for the same public token; returns the Item id and its accounts.
    #[tracing::instrument(skip_all, fields(user_id = %user_id))]
    pub async fn exchange(
        &self,
        user_id: &str,
        public_token: &PublicToken,
        link_accounts: &[LinkAccountInput],
    ) -> Result<(String, Vec<AccountRecord>), VerifierError> {
        let sha = hex::encode(Sha256::digest(public_token.expose().as_bytes()));
        let attempt = Attempt {
            user_id,
            sha: &sha,
            public_token,
            link_accounts,
        };
        let deadline = Instant::now() + self.settings.exchange_wait;
        loop {
            let now = store::now();
            match exchanges::claim(&self.db, &sha, user_id, now).await? {
                Claim::Done {
                    item_id,
                    user_id: owner,
                } => {
                    if owner != user_id {
                        return Err(VerifierError::UserMismatch);
                    }
                    tracing::info!(%item_id, "public token already exchanged; returning the stored Item");
                    let accounts = accounts::of_item(&self.db, &item_id).await?;
                    return Ok((item_id, accounts));
                }
                Claim::Claimed { claimed_at } => {
                    return self.run_attempt(&attempt, claimed_at, None).await;
                }
                Claim::InFlight {
                    claimed_at,
                    user_id: owner,
                    exchanged,
                } => {
                    if owner != user_id {
                        return Err(VerifierError::UserMismatch);
                    }
                    let age = (now - claimed_at).to_std().unwrap_or_default();
                    if age > self.settings.exchange_stale_after
                        && exchanges::take_over(&self.db, &sha, claimed_at, now).await?
                    {
                        tracing::warn!(
                            resumed = exchanged.is_some(),
                            "taking over an abandoned public token exchange"
                        );
                        return self.run_attempt(&attempt, now, exchanged).await;
                    }
                    if Instant::now() >= deadline {
                        return Err(VerifierError::ExchangeInProgress);
                    }
                    tokio::time::sleep(CLAIM_POLL).await;
                }
            }
        }
    }

    /// Runs a claimed attempt; on failure releases the claim so a retry can go on.
    async fn run_attempt(
        &self,
        attempt: &Attempt<'_>,
        claimed_at: DateTime<Utc>,
        exchanged: Option<Exchanged>,
    ) -> Result<(String, Vec<AccountRecord>), VerifierError> {
        let result = self.exchange_claimed(attempt, claimed_at, exchanged).await;
        if result.is_err()
            && let Err(e) = exchanges::release(&self.db, attempt.sha, claimed_at).await
        {
            tracing::warn!(error = %format!("{e:#}"), "could not release an exchange claim");
        }
        result
    }

    async fn exchange_claimed(
        &self,
        attempt: &Attempt<'_>,
        claimed_at: DateTime<Utc>,
        exchanged: Option<Exchanged>,
    ) -> Result<(String, Vec<AccountRecord>), VerifierError> {
        let exchanged = match exchanged {
            Some(done) => done,
            None => {
                let response = self
                    .plaid
                    .item_public_token_exchange(attempt.public_token)
                    .await
                    .map_err(VerifierError::plaid("/item/public_token/exchange"))?;
                let token = self
                    .secrets
                    .seal_access_token(&response.item_id, &response.access_token)
                    .map_err(anyhow::Error::new)?;
                let done = Exchanged {
                    item_id: response.item_id,
                    token,
                };
                // Keep the sealed token with the claim before anything else can fail, so an
                // attempt that dies from here on is resumed instead of lost.
                if !exchanges::record_exchanged(&self.db, attempt.sha, claimed_at, &done).await? {
                    return Err(VerifierError::ExchangeInProgress);
                }
                done
            }
        };
        let item_id = exchanged.item_id.clone();
        let token = self
            .secrets
            .open_access_token(
                &item_id,
                &exchanged.token.key_id,
                &exchanged.token.ciphertext,
            )
            .map_err(anyhow::Error::new)?;
        let listed = self
            .plaid
            .accounts_get(&token)
            .await
            .map_err(VerifierError::plaid("/accounts/get"))?;
        let mut new_accounts: Vec<NewAccount> = listed
            .accounts
            .iter()
            .map(|a| new_account(a, attempt.link_accounts))
            .collect();

        // Accounts verified at link time (instant Auth) get their numbers now when the budget
        // allows; otherwise the reconciliation sweep (or RefreshAccount) fetches them later.
        let verified: Vec<String> = new_accounts
            .iter()
            .filter(|a| a.verification == Verification::Verified)
            .map(|a| a.account_id.clone())
            .collect();
        let numbers = if verified.is_empty() {
            Default::default()
        } else {
            match self
                .fetch_numbers(&item_id, &token, &verified, self.settings.api_rate_wait)
                .await
            {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "numbers of an instantly verified Item not fetched; RefreshAccount will");
                    Default::default()
                }
            }
        };

        let now = store::now();
        for account in &mut new_accounts {
            account.reconcile_at = match account.verification {
                Verification::Pending => self.settings.reconcile.first(account.flow, now),
                // Verified without numbers: the sweep fetches them soon.
                Verification::Verified if !numbers.contains_key(&account.account_id) => {
                    self.settings.reconcile.next(now, now)
                }
                _ => None,
            };
        }
        let txn = store::begin_write(&self.db)
            .await
            .map_err(VerifierError::db)?;
        if !exchanges::complete(&txn, attempt.sha, claimed_at, &item_id, now).await? {
            // Taken over meanwhile: the other attempt stores the Item.
            return Err(VerifierError::ExchangeInProgress);
        }
        items::insert(
            &txn,
            &item_id,
            attempt.user_id,
            listed.item.institution_id.clone(),
            exchanged.token,
            now,
        )
        .await?;
        accounts::insert_all(&txn, &item_id, attempt.user_id, &new_accounts, now).await?;
        for (account_id, n) in &numbers {
            store_numbers(self, &txn, account_id, &item_id, n, now).await?;
        }
        for account in &new_accounts {
            let status = AccountState {
                verification: account.verification,
                login_required: false,
                has_numbers: numbers.contains_key(&account.account_id),
            }
            .status();
            let event = events::account_event(
                &AccountEventFacts {
                    user_id: attempt.user_id,
                    item_id: &item_id,
                    account_id: &account.account_id,
                    status,
                    previous: status,
                    cause: "LINK/EXCHANGE",
                    mask: account.mask.as_deref(),
                    flow: account.flow,
                },
                now,
            );
            events::enqueue(&self.outbox, &txn, DomainEvent::Linked, &event).await?;
        }
        txn.commit().await.map_err(VerifierError::db)?;
        self.outbox.committed();
        tracing::info!(%item_id, accounts = new_accounts.len(), "Item linked");
        let stored = accounts::of_item(&self.db, &item_id).await?;
        Ok((item_id, stored))
    }
}

/// One call's inputs.
struct Attempt<'a> {
    user_id: &'a str,
    sha: &'a str,
    public_token: &'a PublicToken,
    link_accounts: &'a [LinkAccountInput],
}

async fn store_numbers(
    verifier: &Verifier,
    txn: &sea_orm::DatabaseTransaction,
    account_id: &str,
    item_id: &str,
    numbers: &Numbers,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), VerifierError> {
    let sealed = verifier
        .secrets
        .seal_numbers(account_id, numbers)
        .map_err(anyhow::Error::new)?;
    accounts::put_numbers(txn, account_id, item_id, sealed, now).await?;
    Ok(())
}

/// An account to store, from `/accounts/get`, with Link's metadata as the fallback.
fn new_account(a: &AccountBase, link_accounts: &[LinkAccountInput]) -> NewAccount {
    let link = link_accounts.iter().find(|l| l.account_id == a.account_id);
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let plaid_status = a
        .verification_status
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .or_else(|| link.and_then(|l| non_empty(&l.verification_status)))
        .unwrap_or_default();
    NewAccount {
        account_id: a.account_id.clone(),
        name: if a.name.is_empty() {
            link.map(|l| l.name.clone()).unwrap_or_default()
        } else {
            a.name.clone()
        },
        mask: a
            .mask
            .clone()
            .or_else(|| link.and_then(|l| non_empty(&l.mask))),
        subtype: a
            .subtype
            .clone()
            .or_else(|| link.and_then(|l| non_empty(&l.subtype))),
        // An unknown status is treated as pending: a webhook or a refresh settles it.
        verification: Verification::from_plaid(Some(&plaid_status))
            .unwrap_or(Verification::Pending),
        flow: Flow::at_link(&plaid_status),
        plaid_verification_status: plaid_status,
        reconcile_at: None,
    }
}
