//! The micro-deposit part of the control API (`/__sandbox/transfers/*`): Items with their
//! pending deposits in bulk, transfers advanced in bulk, pokes in bulk, sweeps, and the feeds'
//! sizes.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::SandboxControl;

/// Which product's event feed (`/bank_transfer/event/sync` or `/transfer/event/sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventFeed {
    /// Auth micro-deposit events, poked by `BANK_TRANSFERS_EVENTS_UPDATE`.
    BankTransfer,
    /// Plaid Transfer events, poked by `TRANSFER_EVENTS_UPDATE`.
    Transfer,
}

/// The micro-deposits an account gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositShape {
    /// One $0.01 credit.
    Single,
    /// Two credits and one debit of their sum, each its own transfer.
    LegacySameDay,
}

/// Credit or debit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferDirection {
    /// To the user.
    Credit,
    /// From the user.
    Debit,
}

/// `POST /__sandbox/transfers/items`: Automated Micro-deposits Items as if linked and exchanged,
/// with their pending deposits recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BulkItems {
    /// How many (1 to 200,000).
    pub count: usize,
    /// Their deposits (`None`: single).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposit_shape: Option<DepositShape>,
    /// Their feed (`None`: the sandbox's `--event-feed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed: Option<EventFeed>,
    /// The legacy shape's two credit amounts, e.g. `["0.10", "0.20"]` (`None`: random).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<[String; 2]>,
    /// Leave the Items out of the answer (large counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<bool>,
}

/// One transfer of a created Item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedTransfer {
    /// Plaid's `bank_transfer_id` / `transfer_id`.
    pub transfer_id: String,
    /// Credit or debit.
    pub direction: TransferDirection,
    /// Decimal string.
    pub amount: String,
}

/// One created Item (Automated Micro-deposits Items have one account).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedItem {
    /// Plaid's `item_id`.
    pub item_id: String,
    /// Its access token.
    pub access_token: String,
    /// Its account.
    pub account_id: String,
    /// The account's pending deposits.
    pub transfers: Vec<CreatedTransfer>,
}

/// What `POST /__sandbox/transfers/items` made.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedItems {
    /// How many Items.
    pub count: usize,
    /// The Items (empty when `ids: false`).
    #[serde(default)]
    pub items: Vec<CreatedItem>,
}

/// `failure_reason` for returns and failures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TransferFailure {
    /// `R01`… (returns only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ach_return_code: Option<String>,
    /// Words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `POST /__sandbox/transfers/advance`: moves every selected transfer whose lifecycle allows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Advance {
    /// `posted`, `settled`, `funds_available`, `failed`, `cancelled`, `reversed` / `returned`.
    pub to: String,
    /// Only this feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed: Option<EventFeed>,
    /// Only these accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_ids: Option<Vec<String>>,
    /// Only these transfers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_ids: Option<Vec<String>>,
    /// Only credits or debits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<TransferDirection>,
    /// At most this many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// For returns and failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<TransferFailure>,
    /// Then poke each affected feed's webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poke: Option<bool>,
}

impl Advance {
    /// Every transfer that can go to `to`.
    pub fn to(to: &str) -> Self {
        Self {
            to: to.to_owned(),
            ..Self::default()
        }
    }

    /// Only the transfers of `accounts`.
    #[must_use]
    pub fn accounts<I: IntoIterator<Item = S>, S: Into<String>>(mut self, accounts: I) -> Self {
        self.account_ids = Some(accounts.into_iter().map(Into::into).collect());
        self
    }

    /// With ACH return code `code`.
    #[must_use]
    pub fn return_code(mut self, code: &str) -> Self {
        self.failure_reason = Some(TransferFailure {
            ach_return_code: Some(code.to_owned()),
            description: None,
        });
        self
    }
}

/// What an advance did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Advanced {
    /// Transfers moved (one event each).
    pub advanced: usize,
    /// Events appended to the Bank Transfers feed.
    pub bank_transfer_events: usize,
    /// Events appended to the Transfer feed.
    pub transfer_events: usize,
}

/// Events and transfers of one feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct FeedCounts {
    /// Events (the last event id).
    pub events: u64,
    /// Transfers.
    pub transfers: u64,
}

/// `GET /__sandbox/transfers`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct TransferCounts {
    /// The Bank Transfers feed.
    pub bank_transfer: FeedCounts,
    /// The Transfer feed.
    pub transfer: FeedCounts,
}

impl SandboxControl {
    /// Creates Items with their pending deposits.
    pub async fn create_items(&self, request: &BulkItems) -> anyhow::Result<CreatedItems> {
        self.call(Method::POST, "/__sandbox/transfers/items", Some(request))
            .await
    }

    /// Moves transfers along their lifecycle.
    pub async fn advance_transfers(&self, request: &Advance) -> anyhow::Result<Advanced> {
        self.call(Method::POST, "/__sandbox/transfers/advance", Some(request))
            .await
    }

    /// Sends `count` pokes of `feed` to the configured webhook URL.
    pub async fn poke(&self, feed: EventFeed, count: u32) -> anyhow::Result<u32> {
        #[derive(Deserialize)]
        struct Sent {
            sent: u32,
        }
        let body = json!({ "feed": feed, "count": count });
        let sent: Sent = self
            .call(Method::POST, "/__sandbox/transfers/poke", Some(&body))
            .await?;
        Ok(sent.sent)
    }

    /// Records a sweep (`sweep.posted`) in the Transfer feed; returns its event id.
    pub async fn sweep(&self, amount: &str) -> anyhow::Result<u64> {
        #[derive(Deserialize)]
        struct Swept {
            event_id: u64,
        }
        let body = json!({ "amount": amount });
        let swept: Swept = self
            .call(Method::POST, "/__sandbox/transfers/sweep", Some(&body))
            .await?;
        Ok(swept.event_id)
    }

    /// Events and transfers per feed.
    pub async fn transfer_counts(&self) -> anyhow::Result<TransferCounts> {
        self.call(Method::GET, "/__sandbox/transfers", None::<&()>)
            .await
    }
}
