//! Step 1 of a round: read the Items and their accounts (one query each) and run the state
//! machine on every target account, to know which changes need numbers from Plaid first.

use std::collections::{BTreeMap, HashMap};

use super::super::change::{ChangeRequest, Target};
use super::super::{Verifier, VerifierError};
use crate::domain::transition;
use crate::store::accounts::{self, AccountRecord};
use crate::store::entities::item;
use crate::store::items;

/// What one change of a round will do, as planned outside the transaction.
pub(super) struct Plan {
    /// Its Item.
    pub item: Option<item::Model>,
    /// The accounts whose decision asks for numbers.
    pub need_numbers: Vec<String>,
    /// Why it cannot go on (unknown Item or account), if so.
    pub error: Option<VerifierError>,
}

impl Verifier {
    /// Plans the changes `live` of `reqs`, whose Items are `item_ids`.
    pub(super) async fn plan(
        &self,
        reqs: &[ChangeRequest],
        live: &[usize],
        item_ids: &[&str],
    ) -> Result<BTreeMap<usize, Plan>, VerifierError> {
        let mut found: HashMap<String, item::Model> = items::find_many(&self.db, item_ids)
            .await?
            .into_iter()
            .map(|i| (i.item_id.clone(), i))
            .collect();
        let accounts = by_item(accounts::of_items(&self.db, item_ids).await?);
        let mut plans = BTreeMap::new();
        for &i in live {
            let req = &reqs[i];
            let Some(item) = found.remove(&req.item_id) else {
                let error = Some(VerifierError::ItemNotFound(req.item_id.clone()));
                plans.insert(
                    i,
                    Plan {
                        item: None,
                        need_numbers: Vec::new(),
                        error,
                    },
                );
                continue;
            };
            let mut plan = Plan {
                item: Some(item),
                need_numbers: Vec::new(),
                error: None,
            };
            match targets(&accounts, &req.item_id, &req.target) {
                Ok(targets) => {
                    for account in targets {
                        if transition(account.state()?, req.event).needs_numbers() {
                            plan.need_numbers.push(account.row.account_id.clone());
                        }
                    }
                }
                Err(e) => plan.error = Some(e),
            }
            plans.insert(i, plan);
        }
        Ok(plans)
    }
}

/// Accounts grouped by Item.
pub(super) fn by_item(records: Vec<AccountRecord>) -> HashMap<String, Vec<AccountRecord>> {
    let mut out: HashMap<String, Vec<AccountRecord>> = HashMap::new();
    for record in records {
        out.entry(record.row.item_id.clone())
            .or_default()
            .push(record);
    }
    out
}

/// The accounts of `item_id` that `target` names.
pub(super) fn targets<'a>(
    accounts: &'a HashMap<String, Vec<AccountRecord>>,
    item_id: &str,
    target: &Target,
) -> Result<Vec<&'a AccountRecord>, VerifierError> {
    let of_item: &[AccountRecord] = accounts.get(item_id).map(Vec::as_slice).unwrap_or(&[]);
    match target {
        Target::AllOfItem => Ok(of_item.iter().collect()),
        Target::Account(id) => of_item
            .iter()
            .find(|a| &a.row.account_id == id)
            .map(|a| vec![a])
            .ok_or_else(|| VerifierError::AccountNotFound(id.clone())),
        Target::Accounts(ids) => Ok(of_item
            .iter()
            .filter(|a| ids.contains(&a.row.account_id))
            .collect()),
    }
}
