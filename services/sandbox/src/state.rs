//! The shared state of a running sandbox.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use penny_config::Secret;
use serde_json::Value;

use crate::clock::Clock;
use crate::config::{Config, Delay};
use crate::faults::Faults;
use crate::ids;
use crate::items::{Item, ItemStore};
use crate::keys::Keys;
use crate::ledger::{Feed, Ledger};
use crate::ratelimit::RateLimiter;
use crate::scheduler::Scheduler;
use crate::stats::Stats;
use crate::tokens::Tokens;
use crate::webhooks::Webhooks;

/// Everything the handlers and the timeline share.
#[derive(Debug)]
pub struct AppState {
    /// Accepted `client_id`.
    pub client_id: String,
    /// Accepted `secret`.
    pub secret: Secret<String>,
    /// Automatic verification delay.
    pub verify_after: Delay,
    /// Expiry delay.
    pub expire_after: Duration,
    /// Auto-post delay.
    pub auto_post_after: Delay,
    /// Simulated clock.
    pub clock: Arc<Clock>,
    /// Items by access token.
    pub items: ItemStore,
    /// Link and public tokens.
    pub tokens: Tokens,
    /// Micro-deposit transfers and their event feeds.
    pub transfers: Ledger,
    /// The feed new Items' micro-deposit events go to (a client setting at Plaid: Transfer
    /// customers get them from `/transfer/event/sync`).
    pub event_feed: Feed,
    /// Webhook delivery.
    pub webhooks: Arc<Webhooks>,
    /// Timers.
    pub scheduler: Arc<Scheduler>,
    /// Endpoint faults.
    pub faults: Faults,
    /// Rate limits.
    pub rate: RateLimiter,
    /// Call counters.
    pub stats: Stats,
    /// URL of the BANK_TRANSFERS and TRANSFER webhooks (a Dashboard setting at Plaid).
    pub bank_transfers_webhook: RwLock<Option<String>>,
}

impl AppState {
    /// State for `cfg`.
    pub fn new(cfg: &Config) -> anyhow::Result<Self> {
        let clock = Arc::new(Clock::new(cfg.clock_speed)?);
        let scheduler = Arc::new(Scheduler::default());
        let keys = Arc::new(Keys::new()?);
        let webhooks = Arc::new(Webhooks::new(
            keys,
            Arc::clone(&clock),
            Arc::clone(&scheduler),
            cfg.webhook_timeout,
            cfg.webhook_concurrency,
        )?);
        Ok(Self {
            client_id: cfg.client_id.clone(),
            secret: cfg.secret.clone(),
            verify_after: cfg.verify_after,
            expire_after: cfg.expire_after,
            auto_post_after: cfg.auto_post_after,
            clock,
            items: ItemStore::default(),
            tokens: Tokens::default(),
            transfers: Ledger::with_event_id_base(cfg.event_id_base),
            event_feed: cfg.event_feed,
            webhooks,
            scheduler,
            faults: Faults::default(),
            rate: RateLimiter::new(cfg.rate_limits),
            stats: Stats::default(),
            bank_transfers_webhook: RwLock::new(cfg.bank_transfers_webhook.clone()),
        })
    }

    /// Stores a new Item; returns its access token.
    pub fn add_item(&self, item: Item) -> String {
        let token = ids::access_token();
        self.items.insert(token.clone(), item);
        token
    }

    /// Sends `body` to the Item's webhook URL (if it has one) and remembers it as the last webhook.
    pub fn send_item_webhook(&self, access_token: &str, body: &Value) -> bool {
        let now = self.clock.now();
        let code = body["webhook_code"].as_str().unwrap_or_default().to_owned();
        let url = self
            .items
            .update(access_token, |item| {
                item.last_webhook = Some((now, code));
                item.webhook.clone()
            })
            .flatten();
        match url {
            Some(url) => {
                self.webhooks.send(&url, body);
                true
            }
            None => false,
        }
    }

    /// Sends `feed`'s poke (`BANK_TRANSFERS_EVENTS_UPDATE` or `TRANSFER_EVENTS_UPDATE`, no data,
    /// the same bytes every time) to `url`, signed like every webhook.
    pub fn send_events_update(&self, feed: Feed, url: &str) {
        let (webhook_type, webhook_code) = feed.poke();
        let body = serde_json::json!({
            "webhook_type": webhook_type,
            "webhook_code": webhook_code,
            "environment": "sandbox",
        });
        self.webhooks.send(url, &body);
    }

    /// The configured BANK_TRANSFERS webhook URL.
    pub fn bank_transfers_url(&self) -> Option<String> {
        self.bank_transfers_webhook
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
