//! Items and their accounts, in a sharded map keyed by access token (no global lock on the hot
//! path: a read takes one shard's read lock).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids;
use crate::ledger::Feed;
use crate::ledger::shape::DepositShape;
use crate::ratelimit::ItemCounters;

/// Institution used for Automated Micro-deposits in Plaid's sandbox.
pub const HOUNDSTOOTH: &str = "ins_109512";
/// Plaid's sandbox Same-Day routing number.
pub const SAME_DAY_ROUTING: &str = "110000000";
/// Plaid's sandbox Same-Day account number.
pub const SAME_DAY_ACCOUNT: &str = "1111222233330000";
/// The code in the Same-Day deposit's description (`#ABC <client name> ACCTVERIFY`); compared
/// without regard to case.
pub const SAME_DAY_CODE: &str = "ABC";
/// Wrong codes after which Plaid locks a Same-Day Item.
pub const SAME_DAY_ATTEMPTS: u8 = 3;

/// How the Item's accounts were verified (`Item.auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// Verified at once from the bank login.
    InstantAuth,
    /// Verified by Plaid's automated micro-deposit.
    AutomatedMicrodeposits,
    /// Numbers typed by the user, verified by the user confirming a Same-Day deposit's code.
    SameDayMicrodeposits,
}

impl AuthMethod {
    /// Plaid's enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::InstantAuth => "INSTANT_AUTH",
            AuthMethod::AutomatedMicrodeposits => "AUTOMATED_MICRODEPOSITS",
            AuthMethod::SameDayMicrodeposits => "SAME_DAY_MICRODEPOSITS",
        }
    }
}

/// `AccountBase.verification_status` values the sandbox produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Deposit sent, Plaid will verify by itself.
    PendingAutomaticVerification,
    /// Verified.
    AutomaticallyVerified,
    /// Not verified within 7 days; the Item is locked.
    VerificationExpired,
    /// Same-Day: the deposit is sent; the user confirms its code in Link's update mode.
    PendingManualVerification,
    /// Same-Day: the user confirmed the code.
    ManuallyVerified,
    /// Same-Day: three wrong codes (or a failed SMS verification); the Item is locked.
    VerificationFailed,
}

impl VerificationStatus {
    /// Whether the account waits for a micro-deposit verification (either flow).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Self::PendingAutomaticVerification | Self::PendingManualVerification
        )
    }
}

/// One account of an Item (sandbox data is static, so most strings are `'static`).
#[derive(Debug, Clone)]
pub struct Account {
    pub account_id: String,
    /// Display name.
    pub name: &'static str,
    /// Official name at the bank.
    pub official_name: Option<&'static str>,
    /// Last four digits.
    pub mask: &'static str,
    /// `checking` or `savings`.
    pub subtype: &'static str,
    /// Available balance.
    pub available: Option<f64>,
    /// Current balance.
    pub current: Option<f64>,
    /// Micro-deposit verification state, `None` for instant-auth accounts.
    pub verification_status: Option<VerificationStatus>,
    /// ACH account number.
    pub account_number: &'static str,
    /// ACH routing number.
    pub routing: &'static str,
    /// Wire routing number.
    pub wire_routing: &'static str,
}

/// A linked Item.
#[derive(Debug)]
pub struct Item {
    pub item_id: String,
    /// Institution id, e.g. `ins_109508`.
    pub institution_id: String,
    pub institution_name: &'static str,
    /// Webhook URL for AUTH and ITEM webhooks.
    pub webhook: Option<String>,
    /// Billed products.
    pub products: Vec<String>,
    /// How the accounts are verified.
    pub auth_method: AuthMethod,
    /// Creation time (simulated).
    pub created_at: DateTime<Utc>,
    /// Set by `/sandbox/item/reset_login`; cleared by Link update mode.
    pub login_required: bool,
    pub accounts: Vec<Account>,
    /// Last webhook sent for this Item: (sent_at, code).
    pub last_webhook: Option<(DateTime<Utc>, String)>,
    /// Per-Item rate-limit counters.
    pub counters: ItemCounters,
    /// The micro-deposits each pending account gets at exchange.
    pub deposit_shape: DepositShape,
    /// The feed their events go to.
    pub event_feed: Feed,
    /// Same-Day: wrong deposit codes entered so far (the third locks the Item).
    pub wrong_codes: u8,
    /// Same-Day: set when verification failed for good (`verification_failed`).
    pub locked: bool,
    /// Automated: the deposit is never matched (sandbox password `microdeposits_unmatched`), so
    /// the account is not verified automatically and expires after `--expire-after`.
    pub unmatched: bool,
}

impl Item {
    /// An instant-auth Item (sandbox `user_good` / `pass_good`): checking and savings, usable at once.
    pub fn instant(
        institution_id: &str,
        webhook: Option<String>,
        products: Vec<String>,
        now: DateTime<Utc>,
    ) -> Item {
        let accounts = vec![
            Account {
                account_id: ids::object_id(),
                name: "Plaid Checking",
                official_name: Some("Plaid Gold Standard 0% Interest Checking"),
                mask: "0000",
                subtype: "checking",
                available: Some(100.0),
                current: Some(110.0),
                verification_status: None,
                account_number: "1111222233330000",
                routing: "011401533",
                wire_routing: "021000021",
            },
            Account {
                account_id: ids::object_id(),
                name: "Plaid Saving",
                official_name: Some("Plaid Silver Standard 0.1% Interest Saving"),
                mask: "1111",
                subtype: "savings",
                available: Some(200.0),
                current: Some(210.0),
                verification_status: None,
                account_number: "1111222233331111",
                routing: "011401533",
                wire_routing: "021000021",
            },
        ];
        Self::with_accounts(
            institution_id,
            webhook,
            products,
            now,
            AuthMethod::InstantAuth,
            accounts,
        )
    }

    /// An Automated Micro-deposits Item (sandbox `user_good` / `microdeposits_good`): one
    /// checking account pending automatic verification.
    pub fn automated_microdeposits(
        institution_id: &str,
        webhook: Option<String>,
        products: Vec<String>,
        now: DateTime<Utc>,
    ) -> Item {
        let accounts = vec![Account {
            account_id: ids::object_id(),
            name: "Plaid Checking",
            official_name: Some("Plaid Gold Standard 0% Interest Checking"),
            mask: "0000",
            subtype: "checking",
            available: None,
            current: None,
            verification_status: Some(VerificationStatus::PendingAutomaticVerification),
            account_number: "1111222233330000",
            routing: "021000021",
            wire_routing: "021000021",
        }];
        Self::with_accounts(
            institution_id,
            webhook,
            products,
            now,
            AuthMethod::AutomatedMicrodeposits,
            accounts,
        )
    }

    /// A Same-Day Micro-deposits Item: the user typed routing [`SAME_DAY_ROUTING`] and account
    /// [`SAME_DAY_ACCOUNT`] in Link (no bank login, so no institution); one checking account
    /// pending manual verification until its deposit's code ([`SAME_DAY_CODE`]) is confirmed.
    pub fn same_day_microdeposits(
        webhook: Option<String>,
        products: Vec<String>,
        now: DateTime<Utc>,
    ) -> Item {
        let accounts = vec![Account {
            account_id: ids::object_id(),
            name: "Checking",
            official_name: None,
            mask: "0000",
            subtype: "checking",
            available: None,
            current: None,
            verification_status: Some(VerificationStatus::PendingManualVerification),
            account_number: SAME_DAY_ACCOUNT,
            routing: SAME_DAY_ROUTING,
            wire_routing: SAME_DAY_ROUTING,
        }];
        let mut item = Self::with_accounts(
            "",
            webhook,
            products,
            now,
            AuthMethod::SameDayMicrodeposits,
            accounts,
        );
        item.institution_name = "";
        item
    }

    fn with_accounts(
        institution_id: &str,
        webhook: Option<String>,
        products: Vec<String>,
        now: DateTime<Utc>,
        auth_method: AuthMethod,
        accounts: Vec<Account>,
    ) -> Item {
        Item {
            item_id: ids::object_id(),
            institution_name: institution_name(institution_id).unwrap_or("Sandbox Institution"),
            institution_id: institution_id.to_owned(),
            webhook,
            products,
            auth_method,
            created_at: now,
            login_required: false,
            accounts,
            last_webhook: None,
            counters: ItemCounters::default(),
            deposit_shape: DepositShape::Single,
            event_feed: Feed::BankTransfer,
            wrong_codes: 0,
            locked: false,
            unmatched: false,
        }
    }

    /// The account with this id.
    pub fn account_mut(&mut self, account_id: &str) -> Option<&mut Account> {
        self.accounts
            .iter_mut()
            .find(|a| a.account_id == account_id)
    }
}

/// Name of a known sandbox institution.
pub fn institution_name(institution_id: &str) -> Option<&'static str> {
    Some(match institution_id {
        "ins_109508" => "First Platypus Bank",
        "ins_109509" => "First Gingham Credit Union",
        "ins_109510" => "Tattersall Federal Credit Union",
        "ins_109511" => "Tartan Bank",
        "ins_109512" => "Houndstooth Bank",
        "ins_43" => "Platypus OAuth Bank",
        "ins_116834" => "Flexible Platypus Open Banking",
        _ => return None,
    })
}

/// Whether an institution id is acceptable (`ins_` followed by digits).
pub fn valid_institution(institution_id: &str) -> bool {
    institution_id
        .strip_prefix("ins_")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

const SHARDS: usize = 64;

/// Items by access token, in 64 independently locked shards.
#[derive(Debug)]
pub struct ItemStore {
    shards: Box<[RwLock<HashMap<String, Item>>]>,
    hasher: RandomState,
}

impl Default for ItemStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl ItemStore {
    fn shard(&self, access_token: &str) -> &RwLock<HashMap<String, Item>> {
        let i = (self.hasher.hash_one(access_token) as usize) % SHARDS;
        &self.shards[i]
    }

    /// Adds an Item under its access token.
    pub fn insert(&self, access_token: String, item: Item) {
        let mut shard = self
            .shard(&access_token)
            .write()
            .unwrap_or_else(|e| e.into_inner());
        shard.insert(access_token, item);
    }

    /// Runs `f` on the Item, under the shard's read lock.
    pub fn read<R>(&self, access_token: &str, f: impl FnOnce(&Item) -> R) -> Option<R> {
        let shard = self
            .shard(access_token)
            .read()
            .unwrap_or_else(|e| e.into_inner());
        shard.get(access_token).map(f)
    }

    /// Runs `f` on the Item, under the shard's write lock.
    pub fn update<R>(&self, access_token: &str, f: impl FnOnce(&mut Item) -> R) -> Option<R> {
        let mut shard = self
            .shard(access_token)
            .write()
            .unwrap_or_else(|e| e.into_inner());
        shard.get_mut(access_token).map(f)
    }

    /// Removes the Item.
    pub fn remove(&self, access_token: &str) -> Option<Item> {
        let mut shard = self
            .shard(access_token)
            .write()
            .unwrap_or_else(|e| e.into_inner());
        shard.remove(access_token)
    }

    /// The access token of the Item holding `account_id` (a scan: control API only).
    pub fn token_of_account(&self, account_id: &str) -> Option<String> {
        self.shards.iter().find_map(|shard| {
            let shard = shard.read().unwrap_or_else(|e| e.into_inner());
            shard
                .iter()
                .find(|(_, item)| item.accounts.iter().any(|a| a.account_id == account_id))
                .map(|(token, _)| token.clone())
        })
    }

    /// Number of Items.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_round_trip() {
        let store = ItemStore::default();
        let item = Item::instant("ins_109508", None, vec!["auth".into()], Utc::now());
        let id = item.item_id.clone();
        store.insert("access-sandbox-1".into(), item);
        assert_eq!(
            store.read("access-sandbox-1", |i| i.item_id.clone()),
            Some(id)
        );
        assert_eq!(store.len(), 1);
        store.update("access-sandbox-1", |i| i.login_required = true);
        assert_eq!(
            store.read("access-sandbox-1", |i| i.login_required),
            Some(true)
        );
        assert!(store.remove("access-sandbox-1").is_some());
        assert!(store.read("access-sandbox-1", |_| ()).is_none());
    }

    #[test]
    fn institutions() {
        assert!(valid_institution("ins_109512"));
        assert!(!valid_institution("ins_"));
        assert!(!valid_institution("bank"));
        assert_eq!(institution_name(HOUNDSTOOTH), Some("Houndstooth Bank"));
    }

    #[test]
    fn microdeposit_item_shape() {
        let item = Item::automated_microdeposits(HOUNDSTOOTH, None, vec![], Utc::now());
        assert_eq!(item.accounts.len(), 1);
        let a = &item.accounts[0];
        assert_eq!(
            (a.name, a.mask, a.routing),
            ("Plaid Checking", "0000", "021000021")
        );
        assert_eq!(
            a.verification_status,
            Some(VerificationStatus::PendingAutomaticVerification)
        );
        assert_eq!(item.auth_method.as_str(), "AUTOMATED_MICRODEPOSITS");
    }
}
