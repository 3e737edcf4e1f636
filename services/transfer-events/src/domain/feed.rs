//! [`Feed`]: which Plaid event feed the service syncs (`PENNY_TRANSFER_EVENTS_MODE`).

use std::fmt;
use std::str::FromStr;

/// Plaid's two micro-deposit event feeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feed {
    /// Auth customers: `BANK_TRANSFERS_EVENTS_UPDATE`, `/bank_transfer/event/sync` (`count` ≤ 25,
    /// no `has_more`: page until a short page).
    BankTransfer,
    /// Plaid Transfer customers: `TRANSFER_EVENTS_UPDATE`, `/transfer/event/sync` (`count` ≤ 500,
    /// `has_more`).
    Transfer,
}

impl Feed {
    /// Both feeds.
    pub const ALL: [Feed; 2] = [Feed::BankTransfer, Feed::Transfer];

    /// The name in configuration, the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Feed::BankTransfer => "bank_transfer",
            Feed::Transfer => "transfer",
        }
    }

    /// The largest page the feed's sync endpoint serves.
    pub fn max_page(self) -> u32 {
        match self {
            Feed::BankTransfer => {
                penny_plaid::api::bank_transfer::BANK_TRANSFER_EVENT_SYNC_MAX_COUNT
            }
            Feed::Transfer => penny_plaid::api::transfer::TRANSFER_EVENT_SYNC_MAX_COUNT,
        }
    }

    /// The webhook type whose pokes ask for a sync of this feed.
    pub fn webhook_type(self) -> &'static str {
        match self {
            Feed::BankTransfer => penny_plaid::webhook::TYPE_BANK_TRANSFERS,
            Feed::Transfer => penny_plaid::webhook::TYPE_TRANSFER,
        }
    }

    /// The poke's webhook code.
    pub fn webhook_code(self) -> &'static str {
        match self {
            Feed::BankTransfer => "BANK_TRANSFERS_EVENTS_UPDATE",
            Feed::Transfer => "TRANSFER_EVENTS_UPDATE",
        }
    }
}

impl fmt::Display for Feed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Feed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Feed::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown mode {s:?} (bank_transfer | transfer)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_limits_are_plaids() {
        for feed in Feed::ALL {
            assert_eq!(feed.as_str().parse::<Feed>(), Ok(feed));
        }
        assert!("bank_transfers".parse::<Feed>().is_err());
        assert_eq!(Feed::BankTransfer.max_page(), 25);
        assert_eq!(Feed::Transfer.max_page(), 500);
        assert_eq!(Feed::Transfer.webhook_code(), "TRANSFER_EVENTS_UPDATE");
    }
}
