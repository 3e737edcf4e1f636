//! [`DepositEffects`]: what the bank posting then returning every member's $0.01 micro-deposit
//! left behind, counted where it shows: deposits transfer-events serves as REVERSED (gRPC), one
//! `deposit.posted` and one `deposit.reversed` domain event per account on `PENNY_EVENTS`, and
//! the `deposit_reversed` alerts received ("link your account again": distinct Message-IDs at
//! the SMTP server, distinct `webhook-id`s at the push endpoint). The deposit twin of
//! `penny_e2e::burst::Effects`, which counts the verified ones.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use penny_e2e::burst::{Cohort, INTERVAL, received};
use penny_e2e::local::LocalStack;
use penny_e2e::morning::Clients;
use penny_proto::v1 as pb;

use super::Tally;

/// The push payload's `kind` of a returned deposit's alert.
const REVERSED_KIND: &str = "deposit_reversed";
/// The deposit events each account gets: its credit posted, then returned.
const STATES: [&str; 2] = ["posted", "reversed"];

/// Per member and effect.
#[derive(Debug, Clone, Default)]
pub struct DepositEffects {
    /// Members served with their deposit REVERSED.
    pub reversed: usize,
    /// `deposit.posted` and `deposit.reversed` events per account and state.
    pub events: HashMap<(String, String), usize>,
    /// Distinct emails per recipient.
    pub emails: HashMap<String, usize>,
    /// Distinct `deposit_reversed` pushes per user.
    pub pushes: HashMap<String, usize>,
}

impl DepositEffects {
    /// Counts everything for `cohort`.
    pub async fn count(
        stack: &LocalStack,
        clients: &Clients,
        cohort: &Cohort,
    ) -> anyhow::Result<Self> {
        let mut reversed = 0;
        for member in &cohort.members {
            let status = clients
                .transfers
                .clone()
                .get_deposit_status(pb::GetDepositStatusRequest {
                    account_id: member.account_id.clone(),
                })
                .await
                .with_context(|| format!("GetDepositStatus {}", member.account_id))?
                .into_inner();
            let state = status.summary.map(|s| s.state);
            reversed += usize::from(state == Some(pb::DepositState::Reversed as i32));
        }
        let nats_url = stack.nats_url();
        let filter = penny_bus::DEPOSIT_EVENTS_FILTER;
        // Per account and state (the subject's last token: `posted`, `reversed`).
        let events = received::events(&nats_url, filter, |subject, e: pb::DepositEvent| {
            let state = subject.rsplit('.').next().unwrap_or_default();
            (e.account_id, state.to_owned())
        })
        .await?;
        Ok(Self {
            reversed,
            events,
            emails: received::emails(stack, |_| true)?,
            pushes: received::pushes(stack, REVERSED_KIND, |_| true),
        })
    }

    /// Lost, doubled and recorded effects of `cohort`.
    pub fn tally(&self, cohort: &Cohort) -> Tally {
        let mut lost = cohort.len().saturating_sub(self.reversed);
        let mut doubled = 0;
        let mut count = |found: Option<&usize>| match found {
            None => lost += 1,
            Some(n) => doubled += n - 1,
        };
        for m in &cohort.members {
            for state in STATES {
                count(self.events.get(&(m.account_id.clone(), state.to_owned())));
            }
            count(self.emails.get(&m.email));
            count(self.pushes.get(&m.user_id));
        }
        let events = self.events.values().sum::<usize>();
        let sum = |m: &HashMap<String, usize>| m.values().sum::<usize>();
        Tally {
            recorded: self.reversed + events + sum(&self.emails) + sum(&self.pushes),
            lost,
            doubled,
            summary: format!(
                "{} members: {} deposits reversed, {events} deposit events, {} emails, {} pushes",
                cohort.len(),
                self.reversed,
                sum(&self.emails),
                sum(&self.pushes)
            ),
        }
    }
}

/// Counts until nothing is lost or `deadline` passes; returns the last tally.
pub async fn settle(
    stack: &LocalStack,
    clients: &Clients,
    cohort: &Cohort,
    deadline: Duration,
) -> anyhow::Result<Tally> {
    penny_testkit::last_until(
        deadline,
        INTERVAL,
        || async {
            Ok(DepositEffects::count(stack, clients, cohort)
                .await?
                .tally(cohort))
        },
        |tally| tally.lost == 0,
    )
    .await
}
