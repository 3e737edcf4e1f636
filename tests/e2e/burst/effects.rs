//! [`Effects`]: what a burst left behind, counted where it shows: accounts penny serves as
//! verified with their numbers (gRPC), `verified` domain events on `PENNY_EVENTS` (read back
//! from the stream), and the alerts people received (distinct Message-IDs at the SMTP server,
//! distinct `webhook-id`s at the push endpoint, as receivers that deduplicate see them).
//! Only the cohort's are counted. Lost: a member without one of them. Doubled: a member with
//! more than one of any.

use std::collections::{HashMap, HashSet};
use std::fmt;

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use penny_proto::v1 as pb;

use super::{Cohort, received};
use crate::local::LocalStack;
use crate::morning::Clients;

/// gRPC reads in flight while counting.
const CONCURRENCY: usize = 32;
/// The push payload's `kind` of the alert a verified account gets.
const VERIFIED_KIND: &str = "account_verified";

/// What one burst produced, per member and effect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Members in the cohort.
    pub members: usize,
    /// Members penny serves as VERIFIED, numbers included.
    pub verified: usize,
    /// `verified` domain events per account.
    pub events: HashMap<String, usize>,
    /// Distinct emails (Message-IDs) per recipient.
    pub emails: HashMap<String, usize>,
    /// Distinct `account_verified` pushes (`webhook-id`s) per user.
    pub pushes: HashMap<String, usize>,
}

impl Effects {
    /// Counts everything for `cohort` (call once the pipeline is quiet).
    pub async fn count(
        stack: &LocalStack,
        clients: &Clients,
        cohort: &Cohort,
    ) -> anyhow::Result<Self> {
        let verified = verified(clients, cohort).await?;
        let accounts: HashSet<&str> = cohort
            .members
            .iter()
            .map(|m| m.account_id.as_str())
            .collect();
        let addresses: HashSet<&str> = cohort.members.iter().map(|m| m.email.as_str()).collect();
        let users: HashSet<&str> = cohort.members.iter().map(|m| m.user_id.as_str()).collect();
        let subject = penny_bus::AccountEvent::Verified.subject();
        let events = received::events(&stack.nats_url(), &subject, |_, e: pb::AccountEvent| {
            e.account_id
        })
        .await?;
        let events = events
            .into_iter()
            .filter(|(account, _)| accounts.contains(account.as_str()))
            .collect();
        let emails = received::emails(stack, |to| addresses.contains(to))?;
        let pushes = received::pushes(stack, VERIFIED_KIND, |user| users.contains(user));
        Ok(Self {
            members: cohort.len(),
            verified,
            events,
            emails,
            pushes,
        })
    }

    /// How many of `cohort`'s members miss an effect (each missing effect counts once).
    pub fn lost(&self, cohort: &Cohort) -> usize {
        let unverified = self.members.saturating_sub(self.verified);
        unverified + self.per_member(cohort, |count| usize::from(count.is_none()))
    }

    /// How many extra copies of an effect `cohort`'s members got (0 when each has one).
    pub fn doubled(&self, cohort: &Cohort) -> usize {
        self.per_member(cohort, |count| count.map_or(0, |n| n - 1))
    }

    /// `cohort`'s effects recorded: verified accounts, events, emails and pushes.
    pub fn recorded(&self, cohort: &Cohort) -> usize {
        self.verified + self.per_member(cohort, |count| count.unwrap_or(0))
    }

    /// `score` of each member's count of each effect (event, email, push; `None`: none
    /// recorded), summed over `cohort`.
    fn per_member(&self, cohort: &Cohort, score: impl Fn(Option<usize>) -> usize) -> usize {
        cohort
            .members
            .iter()
            .map(|m| {
                score(self.events.get(&m.account_id).copied())
                    + score(self.emails.get(&m.email).copied())
                    + score(self.pushes.get(&m.user_id).copied())
            })
            .sum()
    }
}

impl fmt::Display for Effects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} members: {} verified with numbers, {} verified events, {} emails, {} pushes",
            self.members,
            self.verified,
            self.events.values().sum::<usize>(),
            self.emails.values().sum::<usize>(),
            self.pushes.values().sum::<usize>()
        )
    }
}

/// Members served as VERIFIED whose numbers penny also serves.
async fn verified(clients: &Clients, cohort: &Cohort) -> anyhow::Result<usize> {
    let served: Vec<bool> = futures::stream::iter(&cohort.members)
        .map(|m| {
            let mut client = clients.verification.clone();
            async move {
                let account = client
                    .get_account(pb::GetAccountRequest {
                        account_id: m.account_id.clone(),
                    })
                    .await
                    .with_context(|| format!("GetAccount {}", m.account_id))?
                    .into_inner();
                if account.status != pb::AccountStatus::Verified as i32 {
                    return Ok::<_, anyhow::Error>(false);
                }
                let numbers = client
                    .get_auth_numbers(pb::GetAuthNumbersRequest {
                        account_id: m.account_id.clone(),
                    })
                    .await
                    .with_context(|| format!("GetAuthNumbers {}", m.account_id))?
                    .into_inner();
                Ok(!numbers.account.is_empty())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(served.into_iter().filter(|v| *v).count())
}
